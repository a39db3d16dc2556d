package storetest

import (
	"fmt"
	"testing"
)

// recorder stands in for a test so OpenMySQL's skip and fail decisions can be observed.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Cleanup(func())            {}
func (r *recorder) Fatal(a ...any)            { r.fatal = fmt.Sprint(a...); panic(r) }
func (r *recorder) Skipf(f string, a ...any)  { r.skip = fmt.Sprintf(f, a...); panic(r) }
func (r *recorder) Fatalf(f string, a ...any) { r.fatal = fmt.Sprintf(f, a...); panic(r) }

func openMySQLWith(t *testing.T, dsn, ci string) *recorder {
	t.Setenv(EnvMySQLDSN, dsn)
	t.Setenv("CI", ci)
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		OpenMySQL(r)
	}()
	return r
}

func TestOpenMySQLWithoutServer(t *testing.T) {
	if r := openMySQLWith(t, "", ""); r.skip == "" || r.fatal != "" {
		t.Errorf("no DSN outside CI: skip %q, fatal %q; want a skip", r.skip, r.fatal)
	}
	if r := openMySQLWith(t, "", "true"); r.fatal == "" {
		t.Errorf("no DSN in CI: skip %q; want a failure", r.skip)
	}
	if r := openMySQLWith(t, "root@tcp(127.0.0.1:1)/test", ""); r.fatal == "" {
		t.Errorf("unreachable server: skip %q; want a failure", r.skip)
	}
}

// widthOf reads a text column's width from its declared type as MariaDB and SQLite report it.
func TestWidthOf(t *testing.T) {
	for typ, want := range map[string]int{"varchar(64)": 64, "VARCHAR(20)": 20, "char(2)": 2, "text": Unlimited, "LONGTEXT": Unlimited, "": Unlimited} {
		if got, err := widthOf(typ); err != nil || got != want {
			t.Errorf("widthOf(%q) = %d, %v; want %d", typ, got, err, want)
		}
	}
	if _, err := widthOf("bigint"); err == nil {
		t.Error("widthOf(bigint) took a number for text")
	}
}
