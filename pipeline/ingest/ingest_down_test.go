package ingest

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"kam/domain"
)

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
