package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"kam/domain"
	"kam/pipeline/core"
	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

func TestUnitMailboxes(t *testing.T) {
	units := []domain.Unit{
		{Code: "D01", Email: "d01@dg.cn; d01b@dg.cn"}, {Code: "D02"}, {Code: "P01", Email: "p01@dg.cn"},
	}
	got := core.UnitMailboxes(units, map[string][]string{"D01": {"d01@dg.cn", "boss@dg.cn"}, "W09": {"w09@dg.cn"}})
	wantEqual(t, "mailboxes", got, map[string][]string{
		"D01": {"d01@dg.cn", "d01b@dg.cn", "boss@dg.cn"}, "P01": {"p01@dg.cn"}, "W09": {"w09@dg.cn"},
	})
}

// A file rejected from inbox/<单位编码>/ notifies that unit's mailbox as well as the rejection recipients.
func TestUnitFolderRejectionNotifiesTheUnit(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.Recipients.Rejections = []string{"clerk@dg.cn"}
		a.Cfg.Recipients.Units = map[string][]string{"DC": {"dc@dg.cn"}}
		base := baselineFiles(t)
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"]))
		scan(t, a)
		if err := os.MkdirAll(filepath.Join(a.Cfg.Paths.Inbox, "DC"), 0o755); err != nil {
			t.Fatal(err)
		}
		drop(t, a, "DC/经理.csv", []byte(hManagers+"M9,某经理,不存在的单位,在职\r\n"))
		if res := scan(t, a); len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeRejected {
			t.Fatalf("files %+v", res.Files)
		}
		var rcpts []string
		if err := s.DB().Select(&rcpts, "SELECT recipient FROM outbox WHERE kind = 'rejection' ORDER BY recipient"); err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "rejection notice recipients", rcpts, []string{"clerk@dg.cn", "dc@dg.cn"})
	})
}
