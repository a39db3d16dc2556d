package rules

import "kam/domain"

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
