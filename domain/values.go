package domain

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the one set of value parsers: every extract, the generator and
// the checks read staff-written values through these functions. Each returns
// an error whose text is a plain-Chinese reason fit for the error workbook.
// Numbers, dates, months and codes are read in NormalForm (SPEC §3.3), so
// full-width ２０２６－１２ is 2026-12; enumerations and names as written.

var (
	ErrEmpty         = errors.New("不能为空")
	errMoneyFormat   = errors.New("金额格式不正确，应为 1234.50 或 ¥1,234.50（负数写 -12 或 (12.00)）")
	errMoneyDecimals = errors.New("金额最多两位小数（精确到分）")
	errMoneyTooLarge = errors.New("金额过大：最多 15 位有效数字（精确到分），即不超过 9,999,999,999,999.99 元")
	errDateFormat    = errors.New("日期格式不正确，应为 2026-03-05、2026/3/5 或 2026年3月5日")
	errDateNotExist  = errors.New("日期不存在（请检查月份和日）")
	errMonthFormat   = errors.New("月份格式不正确，应为 2026-03、2026/3 或 2026年3月")
	errMonthNotExist = errors.New("月份不存在（月应在 1 到 12 之间）")
	errYearRange     = errors.New("年份应在 1900 到 2099 之间")
	errBool          = errors.New("应为 是 或 否（也可写 Y/N、true/false、1/0、战略/一般）")
	errRatioFormat   = errors.New("分成比例格式不正确，应为百分数，最多两位小数（如 50、50.00 或 33.33%）")
	errRatioRange    = errors.New("分成比例应大于 0 且不超过 100")
	errCreditLength  = errors.New("统一社会信用代码应为 18 位")
	errCreditChar    = errors.New("统一社会信用代码含有无效字符（只能是数字和除 I、O、S、V、Z 以外的大写字母）")
	errCreditCheck   = errors.New("统一社会信用代码校验位不正确（请核对是否抄错）")
)

// TrimValue trims ASCII and Unicode spaces, including the full-width space staff paste from Word.
func TrimValue(s string) string {
	if len(s) > 0 && s[0] > ' ' && s[0] < utf8.RuneSelf && s[len(s)-1] > ' ' && s[len(s)-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// ParseMoney reads an amount in yuan — 1234.5, 1,234.50, ¥1,234.50, ￥-12,
// (1,234.50) for a negative, an optional trailing 元, full-width digits and
// ，． as well (NormalForm) — into fen, exactly. It has at most 15 significant
// digits: |amount| ≤ MaxAmount.
func ParseMoney(s string) (Money, error) {
	s = NormalForm(s)
	if s == "" {
		return 0, ErrEmpty
	}
	neg := false
	if open, rest := cutParen(s); open {
		neg, s = true, rest
	}
	s = strings.TrimSuffix(s, "元")
	signed := false
	for range 2 { // sign and currency symbol may come in either order: -¥12, ¥-12
		switch {
		case strings.HasPrefix(s, "-"):
			if signed || neg {
				return 0, errMoneyFormat
			}
			neg, signed, s = true, true, TrimValue(s[1:])
		case strings.HasPrefix(s, "+"):
			if signed || neg {
				return 0, errMoneyFormat
			}
			signed, s = true, TrimValue(s[1:])
		case strings.HasPrefix(s, "¥"):
			s = TrimValue(s[len("¥"):])
		case strings.HasPrefix(s, "￥"):
			s = TrimValue(s[len("￥"):])
		}
	}
	var v int64
	digits, group, commas := 0, 0, false
	i := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if v > int64(MaxAmount/100)/10 { // a 14th significant digit of yuan
				return 0, errMoneyTooLarge
			}
			v = v*10 + int64(c-'0')
			digits++
			group++
		case c == ',':
			if group == 0 || group > 3 || (commas && group != 3) {
				return 0, errMoneyFormat
			}
			commas, group = true, 0
		default:
			return 0, errMoneyFormat
		}
	}
	if digits == 0 || (commas && group != 3) {
		return 0, errMoneyFormat
	}
	v *= 100
	if i < len(s) { // s[i] == '.'
		frac := s[i+1:]
		if frac == "" {
			return 0, errMoneyFormat
		}
		for j := 0; j < len(frac); j++ {
			if frac[j] < '0' || frac[j] > '9' {
				return 0, errMoneyFormat
			}
		}
		if len(frac) > 2 {
			return 0, errMoneyDecimals
		}
		f := int64(frac[0]-'0') * 10
		if len(frac) == 2 {
			f += int64(frac[1] - '0')
		}
		v += f
	}
	if neg {
		v = -v
	}
	return Money(v), nil
}

// cutParen strips accounting parentheses, half- or full-width: (12.00) or （12.00）.
func cutParen(s string) (bool, string) {
	for _, p := range [][2]string{{"(", ")"}, {"（", "）"}} {
		if strings.HasPrefix(s, p[0]) && strings.HasSuffix(s, p[1]) && len(s) > len(p[0])+len(p[1]) {
			return true, TrimValue(s[len(p[0]) : len(s)-len(p[1])])
		}
	}
	return false, s
}

// Years outside 1900–2099 are typos in these extracts (and DateOf's
// duration arithmetic overflows after 2192).
const minYear, maxYear = 1900, 2099

// minSerial keeps a bare year such as 2026 from being read as an Excel serial (1905-07-18).
const minSerial, maxSerial = 10000, 73050 // 1927-05-18 … 2099-12-31

// ParseDate reads a day: an Excel serial (46086 or 46086.75, time of day
// dropped), 20260305, 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日, each
// optionally followed by a time (2026-03-05 10:30:00, 2026-03-05T00:00:00Z);
// full-width digits and separators read as NormalForm has them.
func ParseDate(s string) (Date, error) {
	s = NormalForm(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if d, ok, err := parseNumericDate(s); ok {
		return d, err
	}
	y, m, d, rest, ok := scanYMD(s)
	if !ok || d == 0 || !validTime(rest) {
		return 0, errDateFormat
	}
	return makeDate(y, m, d)
}

// parseNumericDate reads an Excel serial or YYYYMMDD; ok is false when s is not all digits (one '.' allowed).
func parseNumericDate(s string) (Date, bool, error) {
	intPart, dot := s, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' && !dot && i > 0 && i < len(s)-1 {
			dot, intPart = true, s[:i]
			continue
		}
		if c < '0' || c > '9' {
			return 0, false, nil
		}
	}
	if !dot && len(s) == 8 {
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[4:6])
		d, _ := strconv.Atoi(s[6:])
		v, err := makeDate(y, m, d)
		return v, true, err
	}
	if len(intPart) > 7 {
		return 0, true, errDateFormat
	}
	n, _ := strconv.Atoi(intPart)
	if n < minSerial {
		return 0, true, errDateFormat
	}
	if n > maxSerial {
		return 0, true, errYearRange
	}
	return Date(n), true, nil
}

func makeDate(y, m, d int) (Date, error) {
	if y < minYear || y > maxYear {
		return 0, errYearRange
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, errDateNotExist
	}
	return DateOf(y, time.Month(m), d), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// scanYMD reads a four-digit year, a month and an optional day (0 when
// absent) written 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日; rest is what follows.
func scanYMD(s string) (y, m, d int, rest string, ok bool) {
	if len(s) < 6 {
		return
	}
	for i := range 4 {
		if s[i] < '0' || s[i] > '9' {
			return
		}
		y = y*10 + int(s[i]-'0')
	}
	i := 4
	han := false
	switch {
	case s[i] == '-' || s[i] == '/' || s[i] == '.':
		i++
	case strings.HasPrefix(s[i:], "年"):
		han, i = true, i+len("年")
	default:
		return
	}
	sep := s[4]
	if m, i = scanSmall(s, i); m < 0 {
		return
	}
	if han {
		if !strings.HasPrefix(s[i:], "月") {
			return
		}
		i += len("月")
		if i == len(s) || s[i] == ' ' || s[i] == 'T' {
			return y, m, 0, s[i:], true
		}
		if d, i = scanSmall(s, i); d < 0 {
			return
		}
		if strings.HasPrefix(s[i:], "日") {
			i += len("日")
		} else if strings.HasPrefix(s[i:], "号") {
			i += len("号")
		}
		return y, m, d, s[i:], true
	}
	if i < len(s) && s[i] == sep {
		if d, i = scanSmall(s, i+1); d < 0 {
			return
		}
	}
	return y, m, d, s[i:], true
}

// scanSmall reads one or two digits at s[i:]; n is -1 when there are none.
func scanSmall(s string, i int) (n, next int) {
	start := i
	n = 0
	for i < len(s) && i-start < 2 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == start || (i < len(s) && s[i] >= '0' && s[i] <= '9') {
		return -1, i
	}
	return n, i
}

// validTime accepts an empty rest or a time of day after a space or T: 10:30, 10:30:00.000, 00:00:00Z, 08:00:00+08:00.
func validTime(rest string) bool {
	if rest == "" {
		return true
	}
	if rest[0] != ' ' && rest[0] != 'T' {
		return false
	}
	t := TrimValue(rest[1:])
	h, i := scanSmall(t, 0)
	if h < 0 || h > 23 || i >= len(t) || t[i] != ':' {
		return false
	}
	mi, j := scanSmall(t, i+1)
	if mi < 0 || mi > 59 || j-i != 3 {
		return false
	}
	if j < len(t) && t[j] == ':' {
		sec, k := scanSmall(t, j+1)
		if sec < 0 || sec > 59 || k-j != 3 {
			return false
		}
		j = k
		if j < len(t) && t[j] == '.' {
			k = j + 1
			for k < len(t) && t[k] >= '0' && t[k] <= '9' {
				k++
			}
			if k == j+1 {
				return false
			}
			j = k
		}
	}
	switch zone := t[j:]; {
	case zone == "" || zone == "Z":
		return true
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':':
		zh, _ := scanSmall(zone, 1)
		zm, _ := scanSmall(zone, 4)
		return zh >= 0 && zh <= 14 && zm >= 0 && zm <= 59
	}
	return false
}

// ParseMonth reads a month: 2026-03, 2026/03, 2026/3, 2026.3, 2026年3月,
// 202603, or any form ParseDate accepts (the day is dropped).
func ParseMonth(s string) (Month, error) {
	s = NormalForm(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if len(s) == 6 && IsDigits(s) {
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[4:])
		return makeMonth(y, m)
	}
	if y, m, d, rest, ok := scanYMD(s); ok {
		if d == 0 {
			if rest != "" {
				return 0, errMonthFormat
			}
			return makeMonth(y, m)
		}
		if !validTime(rest) {
			return 0, errMonthFormat
		}
		day, err := makeDate(y, m, d)
		if err != nil {
			return 0, err
		}
		return day.Month(), nil
	}
	if d, ok, err := parseNumericDate(s); ok {
		if err != nil {
			return 0, errMonthFormat
		}
		return d.Month(), nil
	}
	return 0, errMonthFormat
}

func makeMonth(y, m int) (Month, error) {
	if y < minYear || y > maxYear {
		return 0, errYearRange
	}
	if m < 1 || m > 12 {
		return 0, errMonthNotExist
	}
	return NewMonth(y, time.Month(m)), nil
}

// IsDigits reports whether s is one or more ASCII digits.
func IsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ParseBool reads 是/否, Y/N, yes/no, true/false, 1/0 or 战略/一般.
func ParseBool(s string) (bool, error) {
	s = TrimValue(s)
	switch {
	case s == "":
		return false, ErrEmpty
	case s == "是" || s == "战略" || s == "1" || strings.EqualFold(s, "y") || strings.EqualFold(s, "yes") || strings.EqualFold(s, "true"):
		return true, nil
	case s == "否" || s == "一般" || s == "0" || strings.EqualFold(s, "n") || strings.EqualFold(s, "no") || strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, errBool
}

// ParseEnum reads an enumeration by its Chinese label or its English code (any case).
func ParseEnum[T ~string](list []Enum[T], s string) (T, error) {
	s = TrimValue(s)
	if s == "" {
		return "", ErrEmpty
	}
	for _, e := range list {
		if s == e.Label || strings.EqualFold(s, string(e.Code)) {
			return e.Code, nil
		}
	}
	labels := make([]string, len(list))
	codes := make([]string, len(list))
	for i, e := range list {
		labels[i], codes[i] = e.Label, string(e.Code)
	}
	return "", errors.New("应为 " + strings.Join(labels, "、") + " 之一（也可写英文 " + strings.Join(codes, "、") + "）")
}

// ParseIndustry reads one of 第七条's industries or 其他, returning the canonical name.
func ParseIndustry(s string) (string, error) {
	s = TrimValue(s)
	if s == "" {
		return "", ErrEmpty
	}
	for _, ind := range Industries {
		if strings.EqualFold(s, ind) {
			return ind, nil
		}
	}
	return "", errors.New("行业应为 " + strings.Join(Industries, "、") + " 之一")
}

// ParseLine reads a business line from the configured list, returning its canonical spelling.
func ParseLine(s string, lines []string) (string, error) {
	s = TrimValue(s)
	if s == "" {
		return "", ErrEmpty
	}
	for _, l := range lines {
		if s == l {
			return l, nil
		}
	}
	for _, l := range lines {
		if strings.EqualFold(s, l) {
			return l, nil
		}
	}
	return "", errors.New("业务种类应为 " + strings.Join(lines, "、") + " 之一")
}

// ParseRatio reads a percentage with at most two decimals — 50, 50.00, 33.33% —
// into basis points; it must be above 0 and at most 100.
func ParseRatio(s string) (Ratio, error) {
	s = NormalForm(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if t, ok := strings.CutSuffix(s, "%"); ok {
		s = TrimValue(t)
	} else if t, ok := strings.CutSuffix(s, "％"); ok {
		s = TrimValue(t)
	}
	intPart, frac, dot := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > 3 || !IsDigits(intPart) || (dot && !IsDigits(frac)) {
		return 0, errRatioFormat
	}
	if len(frac) > 2 {
		return 0, errRatioFormat
	}
	n, _ := strconv.Atoi(intPart)
	v := n * 100
	if len(frac) >= 1 {
		v += int(frac[0]-'0') * 10
	}
	if len(frac) == 2 {
		v += int(frac[1] - '0')
	}
	if v <= 0 || v > int(FullRatio) {
		return 0, errRatioRange
	}
	return Ratio(v), nil
}

// CreditCodeAlphabet is GB 32100-2015's character set: digits and capitals without I, O, S, V, Z.
const CreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheckChar computes the 18th (check) character of a unified social
// credit code from its first 17 characters (GB 32100-2015).
func CreditCodeCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, errCreditLength
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(CreditCodeAlphabet, first17[i])
		if v < 0 {
			return 0, errCreditChar
		}
		sum += v * creditWeights[i]
	}
	check := 31 - sum%31
	if check == 31 {
		check = 0
	}
	return CreditCodeAlphabet[check], nil
}

// ParseCreditCode checks an 18-character unified social credit code and its
// check digit, returning it in upper case.
func ParseCreditCode(s string) (string, error) {
	s = NormalForm(s)
	if s == "" {
		return "", ErrEmpty
	}
	s = strings.ToUpper(s)
	if len(s) != 18 {
		return "", errCreditLength
	}
	want, err := CreditCodeCheckChar(s[:17])
	if err != nil {
		return "", err
	}
	if strings.IndexByte(CreditCodeAlphabet, s[17]) < 0 {
		return "", errCreditChar
	}
	if s[17] != want {
		return "", errCreditCheck
	}
	return s, nil
}

// ParseCount reads a whole number between 1 and max, as an xlsx may store it (2 or 2.0).
func ParseCount(s string, max int) (int, error) {
	s = NormalForm(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if t, ok := strings.CutSuffix(s, ".0"); ok {
		s = t
	}
	n, err := strconv.Atoi(s)
	if err != nil || !IsDigits(s) || n < 1 || n > max {
		return 0, errors.New("应为 1 到 " + strconv.Itoa(max) + " 的整数")
	}
	return n, nil
}

// ParsePostcode reads a 邮政编码: six digits (full-width digits too).
func ParsePostcode(s string) (string, error) {
	s = NormalForm(s)
	if len(s) != 6 || !IsDigits(s) {
		return "", errors.New("邮政编码应为 6 位数字，如 523000")
	}
	return s, nil
}

// ParsePhone reads a 联系电话: digits with -, +, spaces, brackets around an
// area code, and an extension after 转, ext or #.
func ParsePhone(s string) (string, error) {
	s = NormalForm(s)
	bad := errors.New("联系电话只能含数字、-、+、空格、括号和分机号（如 0769-22221234 转 801、+86 138 0000 0000）")
	main, ext := s, ""
	for _, sep := range []string{"转", "ext.", "ext", "EXT", "Ext", "#", "x"} {
		if i := strings.Index(s, sep); i > 0 {
			main, ext = s[:i], TrimValue(s[i+len(sep):])
			if !IsDigits(ext) {
				return "", bad
			}
			break
		}
	}
	digits := 0
	for _, r := range main {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '-' || r == '+' || r == ' ' || r == '(' || r == ')':
		default:
			return "", bad
		}
	}
	if digits < 5 || digits > 20 {
		return "", errors.New("联系电话的号码应有 5 到 20 位数字")
	}
	return s, nil
}

// ParseEmail reads one e-mail address (联系邮箱).
func ParseEmail(s string) (string, error) {
	s = TrimValue(s)
	at := strings.LastIndex(s, "@")
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " ;,，；<>\"") || !strings.Contains(s[at:], ".") {
		return "", errors.New("「" + s + "」不是有效的电子邮件地址（如 zhang@example.cn）")
	}
	return s, nil
}
