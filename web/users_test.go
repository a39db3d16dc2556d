package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kam/link"
	"kam/store"
)

// loginAs posts a name and password and returns the response.
func loginAs(t *testing.T, k *kamWeb, c *http.Client, name, password string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(k.Base+"/login", url.Values{"name": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// addUser stores a user as `kam user add` does.
func addUser(t *testing.T, st *store.Store, name, password, unit string) {
	t.Helper()
	hash, err := HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddUser(context.Background(), store.User{Name: name, PasswordHash: hash, Unit: unit}); err != nil {
		t.Fatal(err)
	}
}

// A user added to the database while serve runs logs in at once; a new
// password or removing the user ends its session at once.
func TestDatabaseUsersNeedNoRestart(t *testing.T) {
	k := seeded(t)
	ctx := context.Background()
	c := client(t)
	if resp := loginAs(t, k, c, "李四", "李四的密码 2026"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("before kam user add: %d, want 401", resp.StatusCode)
	}
	addUser(t, k.App.Store, "李四", "李四的密码 2026", "")
	if resp := loginAs(t, k, c, "李四", "李四的密码 2026"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after kam user add: %d, want 303", resp.StatusCode)
	}
	if code, page := get(t, c, k.Base+"/"); code != http.StatusOK || !strings.Contains(page, "李四") || !strings.Contains(page, "splits_2026-10.xlsx") {
		t.Fatalf("a city-wide database user's page: %d", code)
	}
	hash, _ := HashPassword("换了的密码 2027")
	if err := k.App.Store.SetPassword(ctx, "李四", hash); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, c, k.Base+"/"); code != http.StatusSeeOther {
		t.Errorf("the session after kam user passwd: %d, want 303 to the login", code)
	}
	if resp := loginAs(t, k, c, "李四", "换了的密码 2027"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new password: %d", resp.StatusCode)
	}
	if err := k.App.Store.RemoveUser(ctx, "李四"); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, c, k.Base+"/"); code != http.StatusSeeOther {
		t.Errorf("the session after kam user remove: %d, want 303 to the login", code)
	}
	if resp := loginAs(t, k, c, "李四", "换了的密码 2027"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a removed user: %d, want 401", resp.StatusCode)
	}
	if strings.Contains(k.Log.String(), "李四的密码") || strings.Contains(k.Log.String(), "换了的密码") {
		t.Error("a password is in the log")
	}
}

// A user bound to a unit sees that unit's part only: its reports and its
// files on the page, downloads of its own reports and error workbooks; not
// another unit's nor the city's, by id or by link. A signed link still gives
// exactly the report it names, and nothing else.
func TestUnitUserSeesOnlyItsPart(t *testing.T) {
	k := seeded(t)
	ctx := context.Background()
	reps, err := k.App.Store.ListReports(ctx, store.ReportFilter{Job: "splits"}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var mine, other, city store.Report
	for _, r := range reps {
		switch {
		case r.Unit == "" && strings.HasSuffix(r.FileName, ".xlsx"):
			city = r
		case r.Unit != "" && mine.ID == 0:
			mine = r
		case r.Unit != "" && r.Unit != mine.Unit && other.ID == 0:
			other = r
		}
	}
	if mine.ID == 0 || other.ID == 0 || city.ID == 0 {
		t.Fatalf("want reports of two units and the city's: %+v", reps)
	}
	// A file each unit dropped in its own inbox folder, both rejected in one scan.
	for _, u := range []string{mine.Unit, other.Unit} {
		dir := filepath.Join(k.App.Cfg.Paths.Inbox, u)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "坏_"+u+".csv"), []byte("甲,乙\n1,"+u+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.App.Ingest(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := k.App.Store.LastScanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fileOf := map[string]int64{}
	for _, f := range files {
		fileOf[f.Unit] = f.ID
	}
	if fileOf[mine.Unit] == 0 || fileOf[other.Unit] == 0 {
		t.Fatalf("the scan's files %+v", files)
	}

	addUser(t, k.App.Store, "clerk", "本单位的密码 1", mine.Unit)
	c := client(t)
	if resp := loginAs(t, k, c, "clerk", "本单位的密码 1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	for _, path := range []string{"/", "/?unit=" + url.QueryEscape(other.Unit)} {
		code, page := get(t, c, k.Base+path)
		if code != http.StatusOK || !strings.Contains(page, mine.FileName) || !strings.Contains(page, "坏_"+mine.Unit+".csv") ||
			!strings.Contains(page, "（单位 "+mine.Unit+"）") {
			t.Errorf("%s: %d; want the unit's own report and file, and its scope named", path, code)
		}
		for _, not := range []string{other.FileName, city.FileName, "坏_" + other.Unit + ".csv", `id="runs"`, `id="failed"`, `id="mail"`, `name="unit"`} {
			if strings.Contains(page, not) {
				t.Errorf("%s shows the unit user %q", path, not)
			}
		}
	}
	download := func(path string) (int, []byte) {
		t.Helper()
		code, body := get(t, c, k.Base+path)
		return code, []byte(body)
	}
	var want bytes.Buffer
	if _, err := k.App.Store.ReportContent(ctx, mine.ID, &want); err != nil {
		t.Fatal(err)
	}
	if code, got := download("/reports/" + itoa(mine.ID)); code != http.StatusOK || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("its own report: %d, %d bytes", code, len(got))
	}
	for _, r := range []store.Report{other, city} {
		if code, got := download("/reports/" + itoa(r.ID)); code != http.StatusForbidden || bytes.HasPrefix(got, []byte("PK")) {
			t.Errorf("report %d of unit %q: %d, want 403 and none of it", r.ID, r.Unit, code)
		}
	}
	if code, got := download("/files/" + itoa(fileOf[mine.Unit]) + "/errors"); code != http.StatusOK || !bytes.HasPrefix(got, []byte("PK")) {
		t.Errorf("its own file's error workbook: %d", code)
	}
	if code, _ := download("/files/" + itoa(fileOf[other.Unit]) + "/errors"); code != http.StatusNotFound {
		t.Errorf("another unit's error workbook: %d, want 404", code)
	}

	// Links: the one mailed for its report works; changed to another unit's report, it is refused, session or not.
	p := link.Path([]byte(testLinkKey), mine.ID, testNow.AddDate(0, 0, 30))
	if code, got := download(p); code != http.StatusOK || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("its report's signed link: %d", code)
	}
	forged := strings.Replace(p, "/d/"+itoa(mine.ID)+"/", "/d/"+itoa(other.ID)+"/", 1)
	if code, got := download(forged); code != http.StatusForbidden || bytes.HasPrefix(got, []byte("PK")) {
		t.Errorf("its link changed to another unit's report: %d, want 403", code)
	}
	if m := regexp.MustCompile(`href="/reports/(\d+)"`).FindAllStringSubmatch(mustPage(t, c, k.Base+"/"), -1); len(m) == 0 {
		t.Error("the unit's page lists no download")
	}

	// The city-wide user still sees everything.
	admin := client(t)
	login(t, k, admin, testPassword)
	if code, page := get(t, admin, k.Base+"/"); code != http.StatusOK || !strings.Contains(page, city.FileName) ||
		!strings.Contains(page, "坏_"+other.Unit+".csv") || !strings.Contains(page, `id="runs"`) {
		t.Errorf("the city-wide page: %d", code)
	}
	if code, _ := get(t, admin, k.Base+"/reports/"+itoa(other.ID)); code != http.StatusOK {
		t.Errorf("a city-wide user downloading a unit's report: %d", code)
	}
}

func mustPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	code, page := get(t, c, u)
	if code != http.StatusOK {
		t.Fatalf("%s: %d", u, code)
	}
	return page
}
