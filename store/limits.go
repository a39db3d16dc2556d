package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Unlimited is the width of a column that holds text of any length.
const Unlimited = -1

// TextWidth returns the declared width, in characters, of a stored text
// column as the database's catalogue has it (Unlimited for TEXT), so tests
// can hold the schema to the loaders' limits.
func (s *Store) TextWidth(ctx context.Context, table, column string) (int, error) {
	var typ string
	var err error
	if s.dialect == MySQL {
		err = s.db.GetContext(ctx, &typ, `SELECT COLUMN_TYPE FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, table, column)
	} else {
		err = s.db.GetContext(ctx, &typ, `SELECT type FROM pragma_table_info(?) WHERE name = ?`, table, column)
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
