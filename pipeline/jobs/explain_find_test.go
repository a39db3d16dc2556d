package jobs

import (
	"strings"
	"testing"

	"kam/domain"
)

// kam explain finds a customer by its id in any case or width, by its full
// name, or by part of its name; several matches are listed, not guessed.
func TestExplainFindsACustomerByIdOrPartOfItsName(t *testing.T) {
	customers := []domain.Customer{
		{ID: "KH0000001", Name: "东莞市鼎盛国际基金会东莞代表处"},
		{ID: "KH0000002", Name: "东莞市恒晶服装有限公司"},
		{ID: "KH0000003", Name: "东莞市恒晶服装有限公司"}, // the same name twice
		{ID: "KH0000004", Name: "广东华南物流有限公司"},
	}
	for _, c := range []struct{ who, want, errHas string }{
		{"KH0000004", "KH0000004", ""},
		{"kh0000004", "KH0000004", ""},
		{"ＫＨ００００００４", "KH0000004", ""},
		{"东莞市鼎盛国际基金会东莞代表处", "KH0000001", ""},
		{"鼎盛", "KH0000001", ""},
		{"华南物流", "KH0000004", ""},
		{"0000004", "KH0000004", ""},
		{"恒晶服装", "", "有 2 户客户与「恒晶服装」相符"},
		{"东莞市恒晶服装有限公司", "", "KH0000003  东莞市恒晶服装有限公司"},
		{"东莞", "", "KH0000001  东莞市鼎盛国际基金会东莞代表处"},
		{"不存在的公司", "", "没有找到客户「不存在的公司」"},
	} {
		got, err := findCustomer(customers, c.who)
		switch {
		case c.errHas != "":
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("%s: %v; want an error saying %s", c.who, err, c.errHas)
			}
		case err != nil:
			t.Errorf("%s: %v", c.who, err)
		case got.ID != c.want:
			t.Errorf("%s found %s; want %s", c.who, got.ID, c.want)
		}
	}
}
