package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"kam/store"
	"kam/store/storetest"
)

// errorBookLink is the status page's link to the error workbook of the last scan's one rejected file, "" when it shows none.
func errorBookLink(t *testing.T, k *kamWeb, c *http.Client) string {
	t.Helper()
	code, page := get(t, c, k.Base+"/")
	if code != http.StatusOK || !strings.Contains(page, "fix_me.csv") {
		t.Fatalf("page: %d\n%s", code, page)
	}
	if m := regexp.MustCompile(`href="(/files/\d+/errors)"`).FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// The page links the error workbook the last scan wrote: a file moved back
// from rejected/ and rejected again downloads its " (2)" workbook; a workbook
// that could not be written gets no link, and its address answers 404; a
// recorded workbook outside rejected/ is never served. On both stores.
func TestThePageServesTheErrorWorkbookWritten(t *testing.T) {
	for _, db := range []string{store.SQLite, store.MySQL} {
		t.Run(db, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			if db == store.MySQL {
				cfg.DB.DSN = "mysql://" + storetest.NewMySQLDatabase(t)
			}
			app, clk, logs := newApp(t, cfg, testNow)
			ctx := context.Background()
			inbox := filepath.Join(cfg.Paths.Inbox, "fix_me.csv")
			os.MkdirAll(cfg.Paths.Inbox, 0o755)
			os.WriteFile(inbox, []byte("甲,乙\n1,2\n"), 0o644)
			first, err := app.Ingest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(first.Files[0].MovedTo, inbox); err != nil {
				t.Fatal(err)
			}
			second, err := app.Ingest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := second.Files[0].ErrorBook
			if filepath.Base(want) != "fix_me.csv (2).errors.xlsx" {
				t.Fatalf("second workbook %q", want)
			}
			k := start(t, app, clk, logs)
			c := client(t)
			login(t, k, c, testPassword)
			href := errorBookLink(t, k, c)
			if href == "" {
				t.Fatal("no link to the error workbook")
			}
			resp, err := c.Get(k.Base + href)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != http.StatusOK || !strings.Contains(cd, url.PathEscape("fix_me.csv (2).errors.xlsx")) {
				t.Errorf("download: %d %q; want fix_me.csv (2).errors.xlsx", resp.StatusCode, cd)
			}

			// A record naming a workbook outside rejected/ is not served.
			outside := filepath.Join(filepath.Dir(cfg.Paths.Rejected), "kam.db")
			if _, err := app.Store.DB().Exec(`UPDATE files SET error_book = ?`, outside); err != nil {
				t.Fatal(err)
			}
			if code, body := get(t, c, k.Base+href); code != http.StatusNotFound || strings.HasPrefix(body, "SQLite") {
				t.Errorf("a workbook recorded outside rejected/: %d", code)
			}

			// Rejected again, its workbook unwritten (a full disk): no link, and the address answers 404.
			if err := os.Rename(second.Files[0].MovedTo, inbox); err != nil {
				t.Fatal(err)
			}
			app.FailErrorBook = func(string) error { return &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC} }
			third, err := app.Ingest(ctx)
			if err != nil || third.Files[0].ErrorBook != "" {
				t.Fatalf("third rejection %+v, %v", third.Files, err)
			}
			if got := errorBookLink(t, k, c); got != "" {
				t.Errorf("a link %s to a workbook never written", got)
			}
			recs, _ := app.Store.LastScanFiles(ctx)
			if code, _ := get(t, c, k.Base+"/files/"+itoa(recs[0].ID)+"/errors"); code != http.StatusNotFound {
				t.Errorf("the unwritten workbook's address: %d, want 404", code)
			}
		})
	}
}
