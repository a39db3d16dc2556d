package pipeline

import (
	"testing"

	"kam/domain"
)

func TestUnitMailboxes(t *testing.T) {
	units := []domain.Unit{
		{Code: "D01", Email: "d01@dg.cn; d01b@dg.cn"}, {Code: "D02"}, {Code: "P01", Email: "p01@dg.cn"},
	}
	got := UnitMailboxes(units, map[string][]string{"D01": {"d01@dg.cn", "boss@dg.cn"}, "W09": {"w09@dg.cn"}})
	wantEqual(t, "mailboxes", got, map[string][]string{
		"D01": {"d01@dg.cn", "d01b@dg.cn", "boss@dg.cn"}, "P01": {"p01@dg.cn"}, "W09": {"w09@dg.cn"},
	})
}
