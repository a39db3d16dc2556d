package pipeline

import (
	"strings"
	"testing"

	"kam/domain"
	"kam/store"
)

// wantRefused checks that err refuses a run for its data, naming each of
// words, and that the run is recorded as refused with no mail queued.
func wantRefused(t *testing.T, s *store.Store, err error, words ...string) {
	t.Helper()
	if domain.KindOf(err) != domain.ERefused {
		t.Fatalf("err = %v; want a refusal for the data", err)
	}
	for _, w := range words {
		if !strings.Contains(domain.Message(err), w) {
			t.Errorf("refusal %q does not name %q", domain.Message(err), w)
		}
	}
	if code := domain.ExitCode(err); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	var outcomes []string
	if err := s.DB().Select(&outcomes, "SELECT outcome FROM job_runs ORDER BY id DESC LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	if len(outcomes) != 1 || outcomes[0] != store.RunRefused {
		t.Errorf("run recorded as %v, want %s", outcomes, store.RunRefused)
	}
	var mails int
	if err := s.DB().Get(&mails, "SELECT COUNT(*) FROM outbox"); err != nil {
		t.Fatal(err)
	}
	if mails != 0 {
		t.Errorf("%d mails queued for a refused run", mails)
	}
}
