package pipeline

// Files as they land on a network share (SPEC §3.3): copies that pause, files
// overwritten or replaced while kam reads them, renamed meanwhile, dropped
// again. Every test writes real files with real pauses, as a copying client
// would, on both stores.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kam/pipeline/ingest"
	"kam/store"
	"kam/store/storetest"
)

// shareApp is an App on s with the machine's own clock, a short quiet period
// and the reference data loaded, as a share's inbox sees them.
func shareApp(t *testing.T, s *store.Store, quiet, incompleteWait time.Duration) *App {
	t.Helper()
	a := newTestApp(t, s, time.Now())
	base := baselineFiles(t)
	for _, n := range []string{"d_units.csv", "c_managers.csv", "b_customers.csv"} {
		drop(t, a, n, []byte(base[n]))
	}
	if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 3 {
		t.Fatalf("baseline: %+v", res.Files)
	}
	a.Now = time.Now
	a.Cfg.Ingest.QuietPeriod.Duration = quiet
	a.Cfg.Ingest.IncompleteWait.Duration = incompleteWait
	return a
}

// revenueRows is a revenue extract of n rows for month, each of cents fen.
func revenueRows(n int, month string, cents int) string {
	var b strings.Builder
	b.WriteString(hRevenue)
	for i := range n {
		fmt.Fprintf(&b, "C00%d,%s,函件,DC,%d.%02d\r\n", 1+i%2, month, cents/100+i%7, cents%100)
	}
	return b.String()
}

// monthHolds is the stored revenue of month: rows and amount in fen.
func monthHolds(t *testing.T, s *store.Store, month int) (rows, fen int64) {
	t.Helper()
	mustDo(t, s.DB().QueryRowx("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM revenue WHERE month = ?", month).Scan(&rows, &fen))
	return rows, fen
}

// extractHolds is what loading data alone would store: its rows and amount in fen.
func extractHolds(t *testing.T, data string) (rows, fen int64) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(data), "\r\n")[1:] {
		f := strings.Split(line, ",")
		rows++
		fen += int64(money(t, f[4]))
	}
	return rows, fen
}

func outcomeOf(res ingest.ScanResult, name string) ingest.FileResult {
	for _, f := range res.Files {
		if f.Name == name {
			return f
		}
	}
	return ingest.FileResult{}
}

// A copy that pauses inside a row is still arriving: nothing of it is stored
// until it is whole, then all of it is.
func TestPausedCopyWaitsForTheRestOfTheFile(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := shareApp(t, s, 200*time.Millisecond, time.Minute)
		full := revenueRows(2280, "2026-06", 3591)
		cut := strings.Index(full[len(full)/2:], "\r\n") + len(full)/2 + 12 // inside a row, after its amount began
		path := filepath.Join(a.Cfg.Paths.Inbox, "revenue_2026-06.csv")
		f, err := os.Create(path)
		mustDo(t, err)
		_, err = f.WriteString(full[:cut])
		mustDo(t, err)
		time.Sleep(400 * time.Millisecond) // the copy pauses longer than the quiet period

		res := scan(t, a)
		if got := outcomeOf(res, "revenue_2026-06.csv"); got.Outcome != ingest.OutcomeWaiting {
			t.Fatalf("a file that ends inside a row: %+v, want waiting", res.Files)
		}
		if rows, _ := monthHolds(t, s, 202606); rows != 0 {
			t.Fatalf("%d rows of a half-copied file stored", rows)
		}
		_, err = f.WriteString(full[cut:])
		mustDo(t, err)
		mustDo(t, f.Close())
		time.Sleep(400 * time.Millisecond)

		res = scan(t, a)
		got := outcomeOf(res, "revenue_2026-06.csv")
		wantRows, wantFen := extractHolds(t, full)
		if rows, fen := monthHolds(t, s, 202606); got.Outcome != ingest.OutcomeLoaded || rows != wantRows || fen != wantFen {
			t.Fatalf("whole copy: %s, store %d rows %d fen, want %d rows %d fen", got.Outcome, rows, fen, wantRows, wantFen)
		}
		processed, err := os.ReadFile(got.MovedTo)
		mustDo(t, err)
		if string(processed) != full {
			t.Error("processed/ does not hold the file the store holds")
		}
	})
}

// A copy that paused past every wait was loaded short; when it goes on into
// the file kam moved to processed/, the next scan loads it again whole and says so.
func TestFileThatChangesAfterItsLoadIsLoadedAgainWhole(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := shareApp(t, s, 200*time.Millisecond, 0)
		a.Cfg.Recipients.Rejections = []string{"ops@example.cn"}
		full := revenueRows(2280, "2026-06", 3591)
		cut := strings.Index(full[len(full)/2:], "\r\n") + len(full)/2 + 2 // at a row's end: it looks whole
		path := filepath.Join(a.Cfg.Paths.Inbox, "revenue_2026-06.csv")
		f, err := os.Create(path)
		mustDo(t, err)
		_, err = f.WriteString(full[:cut])
		mustDo(t, err)
		time.Sleep(400 * time.Millisecond)

		first := outcomeOf(scan(t, a), "revenue_2026-06.csv")
		shortRows, _ := extractHolds(t, full[:cut])
		if rows, _ := monthHolds(t, s, 202606); first.Outcome != ingest.OutcomeLoaded || rows != shortRows {
			t.Fatalf("first part: %s with %d rows stored, want loaded with %d", first.Outcome, rows, shortRows)
		}
		// The copying client still holds its file open: the rest lands in the file now in processed/.
		_, err = f.WriteString(full[cut:])
		mustDo(t, err)
		mustDo(t, f.Close())
		time.Sleep(400 * time.Millisecond)

		res := scan(t, a)
		again := outcomeOf(res, "revenue_2026-06.csv")
		wantRows, wantFen := extractHolds(t, full)
		if rows, fen := monthHolds(t, s, 202606); again.Outcome != ingest.OutcomeLoaded || rows != wantRows || fen != wantFen {
			t.Fatalf("after the copy went on: %+v; store %d rows %d fen, want %d rows %d fen", res.Files, rows, fen, wantRows, wantFen)
		}
		if !strings.Contains(again.Note, "又有变化") || again.MovedTo != first.MovedTo {
			t.Errorf("the reload does not say what happened, or moved the file: %+v", again)
		}
		var outcomes []string
		mustDo(t, s.DB().Select(&outcomes, "SELECT outcome FROM files WHERE name = ? ORDER BY id", "revenue_2026-06.csv"))
		if strings.Join(outcomes, ",") != "replaced,loaded" {
			t.Errorf("file records %v, want the short load replaced by the whole one", outcomes)
		}
		if res := scan(t, a); len(res.Files) != 0 {
			t.Errorf("a third scan took %+v; the file is in step now", res.Files)
		}
		wantNotice(t, s, "ops@example.cn", "revenue_2026-06.csv", "又有变化")
	})
}

// replaceDuringLoad drops version A, and while the scan loads it, puts
// version B in its place with change; the store must never hold a mix, and
// the next scan loads B whole.
func replaceDuringLoad(t *testing.T, change func(path, b string)) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := shareApp(t, s, 100*time.Millisecond, 0)
		verA, verB := revenueRows(300_000, "2026-06", 12345), revenueRows(221_470, "2026-06", 50000)
		path := drop(t, a, "revenue_2026-06.csv", []byte(verA))
		time.Sleep(200 * time.Millisecond)
		changed := make(chan time.Duration)
		start := time.Now()
		go func() {
			time.Sleep(500 * time.Millisecond) // the scan has hashed the file and is loading it
			change(path, verB)
			changed <- time.Since(start)
		}()
		res := scan(t, a)
		took, at := time.Since(start), <-changed
		got := outcomeOf(res, "revenue_2026-06.csv")
		rows, fen := monthHolds(t, s, 202606)
		aRows, aFen := extractHolds(t, verA)
		bRows, bFen := extractHolds(t, verB)
		t.Logf("scan took %s, the file changed at %s: %s (%s)", took.Round(time.Millisecond), at.Round(time.Millisecond), got.Outcome, got.Reason)
		switch {
		case rows == 0:
		case rows == aRows && fen == aFen && at > took: // loaded before the change came
		case rows == bRows && fen == bFen:
		default:
			t.Fatalf("the store holds %d rows %d fen: a mix of two versions (A %d/%d, B %d/%d)", rows, fen, aRows, aFen, bRows, bFen)
		}
		if at < took && got.Outcome != ingest.OutcomeWaiting {
			t.Errorf("changed during the load, yet %s", got.Outcome)
		}
		time.Sleep(200 * time.Millisecond)
		res = scan(t, a)
		if rows, fen := monthHolds(t, s, 202606); rows != bRows || fen != bFen {
			t.Fatalf("next scan %+v: store %d rows %d fen, want B's %d/%d", res.Files, rows, fen, bRows, bFen)
		}
		entries, err := os.ReadDir(a.Cfg.Paths.Processed)
		mustDo(t, err)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "revenue_2026-06") {
				data, err := os.ReadFile(filepath.Join(a.Cfg.Paths.Processed, e.Name()))
				mustDo(t, err)
				if !bytes.Equal(data, []byte(verB)) {
					t.Errorf("processed/%s is not what the store holds", e.Name())
				}
			}
		}
	})
}

func TestOverwrittenInPlaceDuringTheLoadIsNotCommitted(t *testing.T) {
	replaceDuringLoad(t, func(path, b string) {
		if err := os.WriteFile(path, []byte(b), 0o644); err != nil { // truncates and writes the same file
			panic(err)
		}
	})
}

func TestReplacedByRenameDuringTheLoadIsNotCommitted(t *testing.T) {
	replaceDuringLoad(t, func(path, b string) {
		tmp := filepath.Join(filepath.Dir(path), "~$copy.tmp")
		if err := os.WriteFile(tmp, []byte(b), 0o644); err != nil {
			panic(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			panic(err)
		}
	})
}

// A file renamed while the scan waits out another's quiet period is skipped,
// not fatal; its new name loads on the next scan.
func TestRenameDuringTheQuietWaitIsSkipped(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := shareApp(t, s, time.Second, 0)
		old := drop(t, a, "a_rev10.csv", []byte(revenueRows(10, "2026-10", 100)))
		past := time.Now().Add(-time.Minute)
		mustDo(t, os.Chtimes(old, past, past))                             // settled long ago
		drop(t, a, "b_rev11.csv", []byte(revenueRows(10, "2026-11", 100))) // just now: the scan waits for it
		go func() {
			time.Sleep(300 * time.Millisecond)
			if err := os.Rename(old, filepath.Join(a.Cfg.Paths.Inbox, "a_rev10_renamed.csv")); err != nil {
				panic(err)
			}
		}()
		res, err := a.Ingest(t.Context())
		if err != nil {
			t.Fatalf("a rename during the wait stopped the scan: %v", err)
		}
		if got := outcomeOf(res, "a_rev10.csv"); got.Outcome != "" && got.Outcome != ingest.OutcomeWaiting {
			t.Errorf("the renamed file: %+v", got)
		}
		time.Sleep(1100 * time.Millisecond)
		res = scan(t, a)
		if got := outcomeOf(res, "a_rev10_renamed.csv"); got.Outcome != ingest.OutcomeLoaded {
			t.Errorf("under its new name: %+v", res.Files)
		}
		if rows, _ := monthHolds(t, s, 202610); rows != 10 {
			t.Errorf("2026-10 holds %d rows, want 10", rows)
		}
	})
}

// Dropping the original again undoes a correction: the same bytes load again
// while later files replaced what they loaded, and are a duplicate once they hold.
func TestRedropUndoesACorrection(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		a := newTestApp(t, s, ingestNow)
		a.Cfg.Recipients.Rejections = []string{"ops@example.cn"}
		base := baselineFiles(t)
		for _, n := range []string{"d_units.csv", "c_managers.csv", "b_customers.csv"} {
			drop(t, a, n, []byte(base[n]))
		}
		v1, v2 := revenueRows(100, "2026-06", 100), revenueRows(100, "2026-06", 200)
		drop(t, a, "revenue_2026-06.csv", []byte(v1))
		drop(t, a, "收入更正_2026-06.csv", []byte(v2))
		if res := scan(t, a); res.Count(ingest.OutcomeLoaded) != 5 {
			t.Fatalf("setup: %+v", res.Files)
		}
		// The correction came second (load order is by name within a kind): v2 holds.
		if _, fen := monthHolds(t, s, 202606); fen != mustFen(t, v2) {
			t.Fatalf("v2 does not hold")
		}
		for i, where := range []string{"", ingest.ConfirmFolder + "/"} {
			if i == 1 {
				drop(t, a, "v2_again.csv", []byte(v2)) // v2 holds again, then the original goes through 确认替换/
				mustDo(t, os.MkdirAll(filepath.Join(a.Cfg.Paths.Inbox, ingest.ConfirmFolder), 0o755))
				scan(t, a)
			}
			drop(t, a, where+"revenue_2026-06_原始.csv", []byte(v1))
			got := outcomeOf(scan(t, a), "revenue_2026-06_原始.csv")
			if _, fen := monthHolds(t, s, 202606); got.Outcome != ingest.OutcomeLoaded || fen != mustFen(t, v1) {
				t.Fatalf("re-drop of the original (%q): %+v; 2026-06 holds %d fen, want v1's %d", where, got, fen, mustFen(t, v1))
			}
			if !strings.Contains(got.Note, "撤销更正") || len(got.Impacts) != 1 {
				t.Errorf("the re-drop does not say it undid the correction, or shows no impact: %+v", got)
			}
			wantNotice(t, s, "ops@example.cn", "revenue_2026-06_原始.csv", "撤销更正")
			drop(t, a, where+"revenue_2026-06_原始2.csv", []byte(v1))
			if got := outcomeOf(scan(t, a), "revenue_2026-06_原始2.csv"); got.Outcome != ingest.OutcomeDuplicate {
				t.Errorf("the same bytes while they hold: %+v, want a duplicate", got)
			}
		}
		// Reference data the same way: the older customers file, dropped again, is what holds.
		c1 := base["b_customers.csv"]
		c2 := strings.Replace(c1, "东莞某制造有限公司", "东莞某制造股份有限公司", 1)
		drop(t, a, "b_customers_改名.csv", []byte(c2))
		scan(t, a)
		drop(t, a, "b_customers_原始.csv", []byte(c1))
		if got := outcomeOf(scan(t, a), "b_customers_原始.csv"); got.Outcome != ingest.OutcomeLoaded {
			t.Errorf("the original customers file again: %+v, want loaded", got)
		}
		var name string
		mustDo(t, s.DB().Get(&name, "SELECT name FROM customers WHERE id = 'C001'"))
		if name != "东莞某制造有限公司" {
			t.Errorf("C001 is %q after the original came back", name)
		}
	})
}

func mustFen(t *testing.T, data string) int64 {
	_, fen := extractHolds(t, data)
	return fen
}

// wantNotice finds the notice of a file loaded again in rcpt's queued mail, saying what happened.
func wantNotice(t *testing.T, s *store.Store, rcpt, file, says string) {
	t.Helper()
	var texts []string
	mustDo(t, s.DB().Select(&texts, "SELECT body_text FROM outbox WHERE kind = 'reloaded' AND recipient = ?", rcpt))
	for _, text := range texts {
		if strings.Contains(text, file) && strings.Contains(text, says) {
			return
		}
	}
	t.Errorf("no notice to %s that %s loaded again (%q): %q", rcpt, file, says, texts)
}
