package storetest

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"kam/store"
)

// Unlimited is the width of a column that holds text of any length.
const Unlimited = -1

// TextWidth returns the declared width, in characters, of a stored text
// column as the database's catalogue has it (Unlimited for TEXT), so tests
// can hold the schema to the loaders' limits.
func TextWidth(ctx context.Context, s *store.Store, table, column string) (int, error) {
	var typ string
	var err error
	if s.Dialect() == store.MySQL {
		err = s.DB().GetContext(ctx, &typ, `SELECT COLUMN_TYPE FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, table, column)
	} else {
		err = s.DB().GetContext(ctx, &typ, `SELECT type FROM pragma_table_info(?) WHERE name = ?`, table, column)
	}
	if err != nil {
		return 0, fmt.Errorf("读取列 %s.%s 的类型: %w", table, column, err)
	}
	return widthOf(typ)
}

var varcharWidth = regexp.MustCompile(`(?i)^(?:var)?char\((\d+)\)`)

func widthOf(typ string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(typ))
	if m := varcharWidth.FindStringSubmatch(t); m != nil {
		return strconv.Atoi(m[1])
	}
	switch t {
	case "text", "mediumtext", "longtext", "":
		return Unlimited, nil // SQLite's TEXT and untyped columns take any length
	}
	return 0, fmt.Errorf("列类型 %q 不是文本", typ)
}

// RevenueCount is the number of stored revenue rows.
func RevenueCount(ctx context.Context, s *store.Store) (int64, error) {
	var n int64
	if err := s.DB().GetContext(ctx, &n, "SELECT COUNT(*) FROM revenue"); err != nil {
		return 0, fmt.Errorf("统计收入: %w", err)
	}
	return n, nil
}
