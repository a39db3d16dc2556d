package rules

import (
	"kam/config"
	"kam/domain"
)

// defaultTenderConfig and defaultRosterConfig are the limits kam runs with
// when kam.yaml leaves them out: config.Default(), mapped as the tender and
// roster jobs map the configuration.
func defaultTenderConfig() TenderConfig {
	c := config.Default().Claims
	return TenderConfig{DueSoonDays: c.DueSoonDays, UnconfirmedDays: c.UnconfirmedDays, ManagerCap: c.ManagerCap}
}

func defaultRosterConfig() RosterConfig {
	c := config.Default().Roster
	return RosterConfig{ShareAlert: domain.Ratio(c.ConcentrationPct * 100), TargetsDueDay: c.TargetsDueDay}
}
