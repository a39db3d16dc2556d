package status

import (
	"context"
	"fmt"
	"strconv"

	"kam/domain"
	"kam/store"
)

// codeTables names each table a stored code lives in by the extract staff load into it.
var codeTables = map[string]domain.Kind{
	"units": domain.KindUnits, "managers": domain.KindManagers, "customers": domain.KindCustomers,
	"claims": domain.KindClaims, "agreements": domain.KindSplits, "agreement_parties": domain.KindSplits,
	"targets": domain.KindTargets, "visits": domain.KindVisits,
}

// CodeProblemsHeading introduces the stored codes kam no longer reads as stored, wherever they are listed.
const CodeProblemsHeading = "已存的编号不符合现在的编码规则（全角、小写、不可见字符或形似字母）：请逐条核对并更正资料后重新导入，kam 不会自动修改"

// CodeProblems lists, one plain line each, the customer ids, unit codes and
// staff ids stored before SPEC §3.3's normal form that kam would now read
// differently or refuse (store.StoredCodeProblems); nil when there are none.
// It only reads: which of two spellings is right is for a person to decide.
func CodeProblems(ctx context.Context, st *store.Store) ([]string, error) {
	problems, err := st.StoredCodeProblems(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range problems {
		where := p.Table
		if k, ok := codeTables[p.Table]; ok {
			where = KindLabel(k) + "资料"
		}
		value := p.Value
		if q := strconv.QuoteToGraphic(value); q[1:len(q)-1] != value {
			value = q[1 : len(q)-1] // a zero-width or control character, shown as \u200b rather than as nothing
		}
		out = append(out, fmt.Sprintf("%s中的%s「%s」（数据库 %s.%s）：%s", where, p.What, value, p.Table, p.Column, p.Reason))
	}
	return out, nil
}
