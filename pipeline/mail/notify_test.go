package mail

import (
	"kam/config"
	"kam/pipeline/core"
	"kam/store"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestOverLimitNoteCarriesASignedLinkOnlyWhenConfigured(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	a := &core.App{Cfg: config.Default(), Now: func() time.Time { return now }}
	t.Setenv("KAM_HTTP_LINK_KEY", "")
	r := store.Report{ID: 7, FileName: "splits_2026-10.xlsx"}
	if n := overLimitNote(a, "/srv/kam/reports/splits_2026-10.xlsx", r); !strings.Contains(n, "kam reports get 7 -o splits_2026-10.xlsx") {
		t.Errorf("without a base url: %q", n)
	}
	a.Cfg.HTTP.BaseURL, a.Cfg.HTTP.LinkKey = "https://kam.example.cn/", "k3y-not-in-mail"
	n := overLimitNote(a, "/srv/kam/reports/splits_2026-10.xlsx", r)
	if !regexp.MustCompile(`https://kam\.example\.cn/d/7/\d+/[0-9a-f]{64}`).MatchString(n) || strings.Contains(n, "k3y-not-in-mail") ||
		!strings.Contains(n, "30 天内有效") || !strings.Contains(n, "2026-12-31") {
		t.Errorf("with a base url and key: %q", n)
	}
}

func TestBackoffDoubles(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 9: 256 * time.Minute, 10: 6 * time.Hour, 50: 6 * time.Hour} {
		if got := backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}
