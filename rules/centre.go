package rules

import (
	"fmt"

	"kam/domain"
)

// ResponsibleCentres names each customer's responsible centre (负责单位, 第九条)
// from its tier; a customer missing from tiers is taken as not diamond. A
// customer whose centre cannot be found (see Grade's warnings) is left out.
func ResponsibleCentres(units []domain.Unit, customers []domain.Customer, tiers map[string]domain.Tier) map[string]string {
	resp := newResponsibility(units)
	out := make(map[string]string, len(customers))
	for _, c := range customers {
		if centre, _ := resp.of(c, tiers[c.ID]); centre != "" {
			out[c.ID] = centre
		}
	}
	return out
}

// CentreReason says in Chinese which clause of 第九条 makes a customer of
// tier t the charge of its responsible centre, or why none can be found.
func CentreReason(units []domain.Unit, c domain.Customer, t domain.Tier) (centre, reason string) {
	resp := newResponsibility(units)
	centre, problem := resp.of(c, t)
	switch {
	case problem != "":
		return "", problem
	case t == domain.Diamond:
		return centre, "钻石客户由市局大客户中心开发、维护和管理（第九条(一)）"
	case c.Category == domain.Specialized:
		return centre, fmt.Sprintf("非钻石的专业客户由其主营业务「%s」的专业局负责（第九条(二)）", c.MainLine)
	case centre != c.Territory:
		return centre, fmt.Sprintf("非钻石的综合客户由属地单位 %s 所属的镇区局负责（第九条(二)）", c.Territory)
	default:
		return centre, "非钻石的综合客户由其属地镇区局负责（第九条(二)）"
	}
}
