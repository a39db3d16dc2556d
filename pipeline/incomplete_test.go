package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"kam/pipeline/jobs"
	"kam/store"
	"kam/store/storetest"
)

// A quarter missing a month is refused naming it; with --allow-incomplete it
// runs, and its 数据警告 sheet and its mail say what is missing.
func TestGradeRefusesIncompleteDataUnlessAllowed(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		seedGradeData(t, s)
		if _, err := s.DB().Exec("DELETE FROM revenue WHERE month = 202605"); err != nil {
			t.Fatal(err)
		}
		a := newTestApp(t, s, time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC))
		a.Cfg.Recipients.Reports["grades"] = []string{"ops@example.com"}
		_, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q2"})
		wantRefused(t, s, err, "2026-05")

		out, err := a.RunJob(t.Context(), "grade", jobs.RunRequest{Period: "2026Q2", AllowIncomplete: true})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Headline, "数据不完整") || !strings.Contains(out.Headline, "2026-05") {
			t.Errorf("headline %q does not say the data is incomplete", out.Headline)
		}
		f, err := excelize.OpenFile(out.Paths[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("数据警告")
		if err != nil {
			t.Fatal(err)
		}
		var sheet strings.Builder
		for _, r := range rows {
			sheet.WriteString(strings.Join(r, " ") + "\n")
		}
		if !strings.Contains(sheet.String(), "2026-05") || !strings.Contains(sheet.String(), "allow-incomplete") {
			t.Errorf("数据警告 does not name the missing month:\n%s", sheet.String())
		}
		var bodies []string
		if err := s.DB().Select(&bodies, "SELECT body_text FROM outbox WHERE kind = 'grade'"); err != nil {
			t.Fatal(err)
		}
		if len(bodies) != 1 || !strings.Contains(bodies[0], "数据不完整") || !strings.Contains(bodies[0], "2026-05") {
			t.Errorf("grade mail does not say the data is incomplete: %q", bodies)
		}
	})
}
