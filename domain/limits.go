package domain

// Text limits (SPEC §3.1): the longest value, in characters, kam accepts for
// each stored text column. The same on every store: the schemas are at least
// this wide (store tests check the catalogue against this table), so no value
// reaches a database that would refuse it.
const (
	MaxCodeLen    = 32    // unit codes, staff ids, customer ids, claim and agreement ids, business lines
	MaxNameLen    = 200   // unit, manager and customer names
	MaxProjectLen = 500   // a target's 项目
	MaxEmailLen   = 500   // a unit's mailboxes, separated by ";"
	MaxNotesLen   = 500   // a visit's 内容
	MaxAddressLen = 200   // a customer's 通信地址
	MaxPhoneLen   = 32    // a customer's 联系电话
	MaxPostcode   = 6     // 邮政编码
	MaxCellLen    = 32767 // what one Excel cell can hold: no value is ever longer
)

// TextLimit is the limit of one extract column and where its value is stored.
type TextLimit struct {
	Kind   Kind
	Label  string // the column's Chinese header
	Table  string
	Column string
	Max    int
}

// TextLimits lists every text column an extract writes to the store.
var TextLimits = []TextLimit{
	{KindUnits, "单位编码", "units", "code", MaxCodeLen},
	{KindUnits, "单位名称", "units", "name", MaxNameLen},
	{KindUnits, "上级单位编码", "units", "parent_code", MaxCodeLen},
	{KindUnits, "专业", "units", "business_line", MaxCodeLen},
	{KindUnits, "邮箱", "units", "email", MaxEmailLen},
	{KindManagers, "工号", "managers", "staff_id", MaxCodeLen},
	{KindManagers, "姓名", "managers", "name", MaxNameLen},
	{KindManagers, "所属单位编码", "managers", "unit_code", MaxCodeLen},
	{KindCustomers, "客户编号", "customers", "id", MaxCodeLen},
	{KindCustomers, "客户名称", "customers", "name", MaxNameLen},
	{KindCustomers, "统一社会信用代码", "customers", "credit_code", MaxCodeLen},
	{KindCustomers, "行业", "customers", "industry", MaxCodeLen},
	{KindCustomers, "主营业务", "customers", "main_line", MaxCodeLen},
	{KindCustomers, "属地单位编码", "customers", "territory_unit", MaxCodeLen},
	{KindCustomers, "签约单位编码", "customers", "signing_unit", MaxCodeLen},
	{KindCustomers, "A角工号", "customers", "manager_a", MaxCodeLen},
	{KindCustomers, "B角工号", "customers", "manager_b", MaxCodeLen},
	{KindCustomers, "通信地址", "customers", "address", MaxAddressLen},
	{KindCustomers, "邮政编码", "customers", "postcode", MaxPostcode},
	{KindCustomers, "业务联系人", "customers", "contact_name", MaxNameLen},
	{KindCustomers, "联系电话", "customers", "contact_phone", MaxPhoneLen},
	{KindCustomers, "联系邮箱", "customers", "contact_email", MaxEmailLen},
	{KindVisits, "走访编号", "visits", "id", MaxCodeLen},
	{KindVisits, "客户编号", "visits", "customer_id", MaxCodeLen},
	{KindVisits, "客户经理工号", "visits", "staff_id", MaxCodeLen},
	{KindVisits, "联系人", "visits", "contact", MaxNameLen},
	{KindVisits, "内容", "visits", "notes", MaxNotesLen},
	{KindRevenue, "客户编号", "revenue", "customer_id", MaxCodeLen},
	{KindRevenue, "业务种类", "revenue", "business_line", MaxCodeLen},
	{KindRevenue, "收入单位编码", "revenue", "unit_code", MaxCodeLen},
	{KindClaims, "申报编号", "claims", "id", MaxCodeLen},
	{KindClaims, "客户编号", "claims", "customer_id", MaxCodeLen},
	{KindClaims, "申报单位编码", "claims", "unit_code", MaxCodeLen},
	{KindClaims, "客户经理工号", "claims", "staff_id", MaxCodeLen},
	{KindSplits, "协议编号", "agreements", "id", MaxCodeLen},
	{KindSplits, "客户编号", "agreements", "customer_id", MaxCodeLen},
	{KindSplits, "业务种类", "agreements", "business_line", MaxCodeLen},
	{KindSplits, "分成单位编码", "agreement_parties", "unit_code", MaxCodeLen},
	{KindTargets, "工号", "targets", "staff_id", MaxCodeLen},
	{KindTargets, "客户编号", "targets", "customer_id", MaxCodeLen},
	{KindTargets, "客户名称", "targets", "customer_name", MaxNameLen},
	{KindTargets, "项目", "targets", "project", MaxProjectLen},
}
