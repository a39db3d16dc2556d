package domain

// Kind is the kind of an input extract, recognised from its header row.
type Kind string

const (
	KindUnits     Kind = "units"
	KindManagers  Kind = "managers"
	KindCustomers Kind = "customers"
	KindClaims    Kind = "claims"
	KindSplits    Kind = "splits"
	KindTargets   Kind = "targets"
	KindRevenue   Kind = "revenue"
	KindVisits    Kind = "visits"
)

// LoadOrder is the order one scan loads kinds in, so a batch dropped together loads in one pass.
var LoadOrder = []Kind{KindUnits, KindManagers, KindCustomers, KindClaims, KindSplits, KindTargets, KindVisits, KindRevenue}

// KindLabels names each kind for staff.
var KindLabels = map[Kind]string{
	KindUnits: "单位", KindManagers: "客户经理", KindCustomers: "客户", KindClaims: "项目报备",
	KindSplits: "分成协议", KindTargets: "目标", KindVisits: "走访记录", KindRevenue: "收入",
}
