package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// What kam will not read stays where it is, is listed until it goes, and is logged once.
func TestIngestReportsWhatItWillNotReadOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		base := baselineFiles(t)
		drop(t, a, "d_units.csv", []byte(base["d_units.csv"]))
		scan(t, a)

		inbox := a.Cfg.Paths.Inbox
		units := []byte(base["d_units.csv"])
		drop(t, a, ".hidden.csv", units)
		drop(t, a, "bad\xff\xfe.csv", units)
		if err := os.Symlink(filepath.Join(inbox, ".hidden.csv"), filepath.Join(inbox, "link.csv")); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"杂项", "DC/子文件夹"} {
			if err := os.MkdirAll(filepath.Join(inbox, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		drop(t, a, "杂项/m.csv", []byte(base["c_managers.csv"]))
		drop(t, a, "DC/c_managers.csv", []byte(base["c_managers.csv"])) // a unit's folder: read
		drop(t, a, "~$lock.xlsx", []byte("x"))                          // Excel's lock file: silent

		res := scan(t, a)
		if len(res.Files) != 1 || res.Files[0].Outcome != ingest.OutcomeLoaded {
			t.Fatalf("files %+v", res.Files)
		}
		recs, _ := s.LastScanFiles(t.Context())
		if len(recs) != 1 || recs[0].Unit != "DC" || recs[0].Confirmed {
			t.Errorf("record %+v, want unit DC", recs)
		}
		want := map[string]string{
			".hidden.csv":               "隐藏文件",
			`bad\xff\xfe.csv`:           "无法识别的字符",
			"link.csv":                  "符号链接",
			"杂项":                        "既不是「确认替换」也不是已导入的单位编码",
			filepath.Join("DC", "子文件夹"): "下一层文件夹",
		}
		check := func(when string) {
			t.Helper()
			got, err := s.UnreadFiles(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s: unread %+v", when, got)
			}
			for _, u := range got {
				if !strings.Contains(u.Reason, want[u.Path]) || want[u.Path] == "" {
					t.Errorf("%s: %q: %q", when, u.Path, u.Reason)
				}
			}
		}
		check("first scan")
		scan(t, a)
		fresh, err := s.SyncUnreadFiles(t.Context(), mustUnread(t, s)) // what a scan finds again is not reported again
		if err != nil || len(fresh) != 0 {
			t.Errorf("seen again as new: %v %v", fresh, err)
		}
		check("second scan")
		for _, p := range []string{".hidden.csv", "bad\xff\xfe.csv", "link.csv", "杂项/m.csv"} {
			if _, err := os.Lstat(filepath.Join(inbox, p)); err != nil {
				t.Errorf("%s moved: %v", p, err)
			}
		}
		os.Remove(filepath.Join(inbox, "link.csv"))
		delete(want, "link.csv")
		scan(t, a)
		check("after the link went")
	})
}

func mustUnread(t *testing.T, s *store.Store) []store.UnreadFile {
	t.Helper()
	got, err := s.UnreadFiles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return got
}
