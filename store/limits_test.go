package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// Every column a loader writes is at least as wide as the loader's limit, on
// every store, so a value the loader accepts is never refused (MariaDB's
// "Data too long") or cut.
func TestSchemaHoldsEveryTextLimit(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		for _, l := range domain.TextLimits {
			w, err := storetest.TextWidth(context.Background(), s, l.Table, l.Column)
			if err != nil {
				t.Errorf("%s.%s: %v", l.Table, l.Column, err)
				continue
			}
			if w != storetest.Unlimited && w < l.Max {
				t.Errorf("%s.%s is %d characters wide, the loader accepts %d (%s «%s»)", l.Table, l.Column, w, l.Max, l.Kind, l.Label)
			}
		}
	})
}

// A value the database refused is the file's fault (rejected, the scan goes on); a connection failure is not.
func TestIsDataError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("写入目标: %w", &mysql.MySQLError{Number: 1406, Message: "Data too long for column 'project'"}), true},
		{&mysql.MySQLError{Number: 1366, Message: "Incorrect string value"}, true},
		{&mysql.MySQLError{Number: 2013, Message: "Lost connection"}, false},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := store.IsDataError(tc.err); got != tc.want {
			t.Errorf("IsDataError(%v) = %v", tc.err, got)
		}
	}
}
