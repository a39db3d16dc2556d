package store

import (
	"database/sql/driver"
	"fmt"
	"time"

	"kam/domain"
)

// sqlDate carries a domain.Date to and from a DATE column (text YYYY-MM-DD on
// SQLite, DATE on MySQL with parseTime); 0 is NULL. The domain knows no SQL.
type sqlDate domain.Date

// dateArg is the query argument for a date: NULL for no date.
func dateArg(d domain.Date) any {
	if d == 0 {
		return nil
	}
	return d.String()
}

func (d sqlDate) Value() (driver.Value, error) { return dateArg(domain.Date(d)), nil }

func (d *sqlDate) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = 0
		return nil
	case time.Time:
		*d = sqlDate(domain.DateOf(v.Year(), v.Month(), v.Day()))
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("store: cannot read a date from %T", src)
}

func (d *sqlDate) scanText(s string) error {
	if s == "" {
		*d = 0
		return nil
	}
	v, err := domain.ParseDate(s[:min(len(s), 10)])
	*d = sqlDate(v)
	return err
}
