package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// A unit's inbox folder and its configured mailboxes are unit codes, read in
// the normal form the store holds (SPEC §3.3): inbox/dc/ is unit DC's folder,
// and recipients.units: {dc: [...]} is DC's mailbox. A folder whose name is no
// unit code is left unread, as any other folder.
func TestUnitFolderAndMailboxMatchInAnyCase(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.Recipients.Rejections = []string{"clerk@dg.cn"}
		a.Cfg.Recipients.Units = map[string][]string{"dc": {"dc@dg.cn"}}
		if err := a.Cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		base := baselineFiles(t)
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"]))
		scan(t, a)
		for _, dir := range []string{"dc", "ＤＣ０１", "Д C"} {
			if err := os.MkdirAll(filepath.Join(a.Cfg.Paths.Inbox, dir), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		drop(t, a, "dc/经理.csv", []byte(hManagers+"M9,某经理,不存在的单位,在职\r\n"))
		drop(t, a, "ＤＣ０１/经理.csv", []byte(hManagers+"M8,某经理,DC,在职\r\n"))
		drop(t, a, "Д C/经理.csv", []byte(hManagers+"M7,某经理,DC,在职\r\n"))
		res := scan(t, a)
		units := map[string]string{}
		for _, f := range res.Files {
			units[f.Outcome] = f.Unit
		}
		wantEqual(t, "outcome → unit folder", units, map[string]string{ingest.OutcomeRejected: "DC", ingest.OutcomeLoaded: "DC01"})
		var rcpts []string
		if err := s.DB().Select(&rcpts, "SELECT recipient FROM outbox WHERE kind = 'rejection' ORDER BY recipient"); err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "rejection notice recipients", rcpts, []string{"clerk@dg.cn", "dc@dg.cn"})
		unread, err := s.UnreadFiles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(unread) != 1 || unread[0].Path != "Д C" {
			t.Errorf("unread %+v; want the folder Д C", unread)
		}
	})
}
