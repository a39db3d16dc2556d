package pipeline

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"kam/domain"
)

// Overlapping asks: the smallest wins while it lasts, and the setting found at
// the start comes back when the last ask ends, in whatever order they end.
func TestTuneGC(t *testing.T) {
	base := debug.SetGCPercent(100)
	defer debug.SetGCPercent(base)
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	load := tuneGC(200)
	if got := current(); got != 200 {
		t.Fatalf("a load alone: %d, want 200", got)
	}
	books := tuneGC(50)
	if got := current(); got != 50 {
		t.Fatalf("a load and the units' books: %d, want 50", got)
	}
	load() // the load ends first: the books still ask for 50
	if got := current(); got != 50 {
		t.Fatalf("after the load: %d, want 50", got)
	}
	books()
	books() // a second release changes nothing
	if got := current(); got != 100 {
		t.Fatalf("after both: %d, want the 100 found at the start", got)
	}
}

// A scan that loses the database says so, whichever read met it first (the
// outage test found "读取单位: invalid connection" alone).
func TestDatabaseDownIsNamed(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("读取单位: %w", mysql.ErrInvalidConn),
		domain.Failed(fmt.Errorf("dial tcp: %w", syscall.ECONNREFUSED), "记录文件 customers.xlsx"),
	} {
		if got := domain.Message(databaseDown(err)); !strings.HasPrefix(got, "数据库连接中断") {
			t.Errorf("%v → %q", err, got)
		}
	}
	plain := errors.New("收件目录不可写")
	if databaseDown(plain) != plain {
		t.Error("an error that is not the database's is left as it is")
	}
}
