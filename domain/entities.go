package domain

import "strings"

// UnitKind is the kind of a unit (单位类型). Stored and compared by its English code.
type UnitKind string

const (
	CityCenter   UnitKind = "city_center"  // 市局大客户中心, exactly one
	Professional UnitKind = "professional" // 专业局, has a business line
	District     UnitKind = "district"     // 镇区局
	Team         UnitKind = "team"         // 营投班组, has a parent district
	Window       UnitKind = "window"       // 营业窗口, has a parent district
)

// UnitKinds in the order staff see them, with Chinese labels.
var UnitKinds = []Enum[UnitKind]{
	{CityCenter, "市局大客户中心"}, {Professional, "专业局"}, {District, "镇区局"}, {Team, "营投班组"}, {Window, "营业窗口"},
}

// ManagerStatus is 在职/离职.
type ManagerStatus string

const (
	Active   ManagerStatus = "active"
	Departed ManagerStatus = "departed"
)

var ManagerStatuses = []Enum[ManagerStatus]{{Active, "在职"}, {Departed, "离职"}}

// Category is 综合/专业.
type Category string

const (
	Comprehensive Category = "comprehensive"
	Specialized   Category = "specialized"
)

var Categories = []Enum[Category]{{Comprehensive, "综合"}, {Specialized, "专业"}}

// CoopStatus is 合作/潜在.
type CoopStatus string

const (
	Cooperating CoopStatus = "cooperating"
	Potential   CoopStatus = "potential"
)

var CoopStatuses = []Enum[CoopStatus]{{Cooperating, "合作"}, {Potential, "潜在"}}

// ProjectType is 常规/节日.
type ProjectType string

const (
	Regular ProjectType = "regular"
	Holiday ProjectType = "holiday"
)

var ProjectTypes = []Enum[ProjectType]{{Regular, "常规"}, {Holiday, "节日"}}

// VisitKind is a visit's 走访方式.
type VisitKind string

const (
	VisitOnSite  VisitKind = "visit"   // 上门拜访
	VisitMeeting VisitKind = "meeting" // 会议
	VisitPhone   VisitKind = "phone"   // 电话
	VisitWeChat  VisitKind = "wechat"  // 微信
	VisitOther   VisitKind = "other"   // 其他
)

var VisitKinds = []Enum[VisitKind]{
	{VisitOnSite, "上门拜访"}, {VisitMeeting, "会议"}, {VisitPhone, "电话"}, {VisitWeChat, "微信"}, {VisitOther, "其他"},
}

// Enum pairs a stored code with the Chinese label staff read and write.
type Enum[T ~string] struct {
	Code  T
	Label string
}

// LabelOf returns the Chinese label of a code, or the code itself when unknown.
func LabelOf[T ~string](list []Enum[T], code T) string {
	for _, e := range list {
		if e.Code == code {
			return e.Label
		}
	}
	return string(code)
}

// Industries is 第七条's list plus 其他.
var Industries = []string{
	"国际组织", "公共管理和社会组织", "文化、体育和娱乐业", "卫生、社保和福利业", "教育业", "房地产业",
	"电信业", "金融业", "保险业", "制造业", "IT行业", "电力业", "汽车业", "批发和零售业", "其他",
}

// DefaultBusinessLines is the default 业务种类 list (configurable).
var DefaultBusinessLines = []string{"函件", "包裹", "速递", "物流", "报刊发行", "集邮", "代理金融", "其他"}

// Unit is a 单位.
type Unit struct {
	Code   string   `db:"code"`
	Name   string   `db:"name"`
	Kind   UnitKind `db:"kind"`
	Parent string   `db:"parent_code"`   // teams and windows: their district
	Line   string   `db:"business_line"` // professional bureaus: their business line
	// Email is the mailbox of the unit's key-account centre (§5: each centre
	// gets its own): addresses separated by ";", "" for none.
	Email string `db:"email"`
}

// Mailboxes lists the unit's addresses.
func (u Unit) Mailboxes() []string {
	var out []string
	for _, a := range strings.Split(u.Email, ";") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Named is how people are shown a unit or a manager: by name, with the code in
// brackets (东莞市邮政局万江分局（ZQ14）, 张三（DG10001）); the code alone when no name is known.
func Named(name, code string) string {
	name, code = strings.TrimSpace(name), strings.TrimSpace(code)
	switch {
	case name == "":
		return code
	case code == "":
		return name
	}
	return name + "（" + code + "）"
}

// Named is the unit as people are shown it: 东莞市邮政局万江分局（ZQ14）.
func (u Unit) Named() string { return Named(u.Name, u.Code) }

// Manager is a 客户经理.
type Manager struct {
	StaffID string        `db:"staff_id"`
	Name    string        `db:"name"`
	Unit    string        `db:"unit_code"`
	Status  ManagerStatus `db:"status"`
}

// Customer is a 客户.
type Customer struct {
	ID         string     `db:"id"`
	Name       string     `db:"name"`
	CreditCode string     `db:"credit_code"`
	Industry   string     `db:"industry"`
	Category   Category   `db:"category"`
	MainLine   string     `db:"main_line"`
	Status     CoopStatus `db:"status"`
	Strategic  bool       `db:"strategic"`
	Territory  string     `db:"territory_unit"`
	Signing    string     `db:"signing_unit"`
	ManagerA   string     `db:"manager_a"`
	ManagerB   string     `db:"manager_b"`
	Archive
}

// Archive is a customer's 信息档案 (第一部分 档案管理): where to write to and whom
// to call. Every field is optional in the customers extract.
type Archive struct {
	Address      string `db:"address"`       // 通信地址
	Postcode     string `db:"postcode"`      // 邮政编码, six digits
	ContactName  string `db:"contact_name"`  // 业务联系人
	ContactPhone string `db:"contact_phone"` // 联系电话
	ContactEmail string `db:"contact_email"` // 联系邮箱
	// Present marks the archive columns the extract carried (ArchiveField bits):
	// a column absent from a file leaves the stored value as it is.
	Present ArchiveFields `db:"-"`
}

// ArchiveField is one field of the archive, in the extract's column order.
type ArchiveField uint8

const (
	ArchiveAddress ArchiveField = iota
	ArchivePostcode
	ArchiveContactName
	ArchiveContactPhone
	ArchiveContactEmail
)

// ArchiveFieldLabels are the fields' Chinese names, by ArchiveField.
var ArchiveFieldLabels = []string{"通信地址", "邮政编码", "业务联系人", "联系电话", "联系邮箱"}

// ArchiveFields is a set of archive fields.
type ArchiveFields uint8

// Has says whether f is in the set.
func (s ArchiveFields) Has(f ArchiveField) bool { return s&(1<<f) != 0 }

// With is the set with f added.
func (s ArchiveFields) With(f ArchiveField) ArchiveFields { return s | 1<<f }

// AllArchiveFields is every archive field.
const AllArchiveFields ArchiveFields = 1<<5 - 1

// Value is the field f of the archive.
func (a Archive) Value(f ArchiveField) string {
	switch f {
	case ArchiveAddress:
		return a.Address
	case ArchivePostcode:
		return a.Postcode
	case ArchiveContactName:
		return a.ContactName
	case ArchiveContactPhone:
		return a.ContactPhone
	case ArchiveContactEmail:
		return a.ContactEmail
	}
	return ""
}

// ParseArchiveField reads an archive field by its Chinese name.
func ParseArchiveField(s string) (ArchiveField, bool) {
	for i, l := range ArchiveFieldLabels {
		if l == TrimValue(s) {
			return ArchiveField(i), true
		}
	}
	return 0, false
}

// PrimaryManager is B once the customer cooperates, A while it is being developed (第十一条(一)).
func (c Customer) PrimaryManager() (primary, assisting string) {
	if c.Status == Cooperating {
		return c.ManagerB, c.ManagerA
	}
	return c.ManagerA, c.ManagerB
}

// Maintainers are who looks after the customer as a roster counts it: the
// primary manager (PrimaryManager), A when a cooperating customer has no B
// yet, and the assisting one; A = B is one person, primary only.
func (c Customer) Maintainers() (primary, assisting string) {
	primary, assisting = c.PrimaryManager()
	if primary == "" {
		primary, assisting = assisting, ""
	}
	if assisting == primary {
		assisting = ""
	}
	return primary, assisting
}

// Revenue is one booked revenue figure; Amount may be negative (adjustments, refunds).
type Revenue struct {
	Customer string `db:"customer_id"`
	Month    Month  `db:"month"`
	Line     string `db:"business_line"`
	Unit     string `db:"unit_code"`
	Amount   Money  `db:"amount"`
}

// Claim is a 申报/项目报备.
type Claim struct {
	ID           string      `db:"id"`
	Customer     string      `db:"customer_id"`
	Unit         string      `db:"unit_code"`
	Manager      string      `db:"staff_id"`
	Registered   Date        `db:"registered_on"`
	Confirmed    Date        `db:"confirmed_on"` // 0: not yet confirmed by the city centre
	Type         ProjectType `db:"project_type"`
	PeriodMonths int         `db:"period_months"` // 0: the project type's default
	Developed    Date        `db:"developed_on"`  // 0: not developed
}

// SplitAgreement is a 分成协议. To == 0 means open-ended; Line == "" covers every line.
type SplitAgreement struct {
	ID       string       `db:"id"`
	Customer string       `db:"customer_id"`
	From     Month        `db:"from_month"`
	To       Month        `db:"to_month"`
	Line     string       `db:"business_line"`
	Parties  []SplitParty `db:"-"`
}

// SplitParty is one unit's share of an agreement, in listed order.
type SplitParty struct {
	Unit  string `db:"unit_code"`
	Ratio Ratio  `db:"ratio_bp"`
}

// Covers reports whether the agreement applies to a month and line.
func (a SplitAgreement) Covers(m Month, line string) bool {
	return a.From <= m && (a.To == 0 || m <= a.To) && (a.Line == "" || a.Line == line)
}

// Visit is a 走访记录: one contact of a manager with a customer.
type Visit struct {
	ID       string    `db:"id"`
	Customer string    `db:"customer_id"`
	On       Date      `db:"visited_on"`
	Kind     VisitKind `db:"visit_kind"`
	StaffID  string    `db:"staff_id"`
	Contact  string    `db:"contact"`
	Notes    string    `db:"notes"`
	Next     Date      `db:"next_contact_on"` // 0: no next contact agreed
}

// Target is a manager's target for a month (第十二条(七)).
type Target struct {
	StaffID      string `db:"staff_id"`
	Month        Month  `db:"month"`
	Customer     string `db:"customer_id"`
	CustomerName string `db:"customer_name"`
	Project      string `db:"project"`
}
