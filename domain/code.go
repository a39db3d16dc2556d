package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalForm is the one form codes, ids and numbers are compared in (SPEC
// §3.3): Unicode NFKC, so full-width ＫＨ０１ and ２０２６－１２ read as KH01 and
// 2026-12, with invisible characters (zero-width spaces and joiners, byte-order
// marks, direction marks, variation selectors) removed and surrounding spaces
// trimmed. Letters keep their case and script: what a code may hold is
// ParseCustomerID's and its siblings' business.
func NormalForm(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			s = strings.Map(func(r rune) rune {
				if invisible(r) {
					return -1
				}
				return r
			}, s)
			return strings.TrimSpace(norm.NFKC.String(s))
		}
	}
	return strings.TrimSpace(s) // ASCII is its own NFKC form and holds nothing invisible
}

// invisible reports a default-ignorable code point: one that renders as
// nothing, so a value holding it looks like one without it.
func invisible(r rune) bool {
	switch {
	case r < 0xAD:
		return false
	case unicode.Is(unicode.Variation_Selector, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return true
	case unicode.Is(unicode.Cf, r):
		// Format characters that do show: Arabic number signs and the like, interlinear annotation marks, Egyptian hieroglyph controls.
		return !unicode.Is(unicode.Prepended_Concatenation_Mark, r) && !(r >= 0xFFF9 && r <= 0xFFFB) && !(r >= 0x13430 && r <= 0x1343F)
	}
	return false
}

// ParseCustomerID reads a 客户编号 (SPEC §3.3): in normal form, only ASCII
// letters, digits, '-' and '_', at most MaxCodeLen characters, and upper case,
// the one form it is stored and matched in (kh0000001 is KH0000001).
func ParseCustomerID(s string) (string, error) { return parseCode(s, true) }

// ParseUnitCode reads a 单位编码 as ParseCustomerID reads a customer id: zq14 is ZQ14.
func ParseUnitCode(s string) (string, error) { return parseCode(s, true) }

// ParseStaffID reads a 工号: in normal form, only ASCII letters, digits, '-'
// and '_', at most MaxCodeLen characters; its case is kept (staff ids are not
// matched case-insensitively).
func ParseStaffID(s string) (string, error) { return parseCode(s, false) }

// ParseID reads an id kam matches but puts no alphabet on (申报编号, 协议编号):
// its normal form, at most MaxCodeLen characters.
func ParseID(s string) (string, error) {
	v := NormalForm(s)
	if v == "" {
		return "", ErrEmpty
	}
	if n := utf8.RuneCountInString(v); n > MaxCodeLen {
		return "", codeTooLong(n)
	}
	return v, nil
}

func parseCode(s string, upper bool) (string, error) {
	v := NormalForm(s)
	if v == "" {
		return "", ErrEmpty
	}
	for _, r := range v {
		if !codeRune(r) {
			return "", badCodeRune(r)
		}
	}
	if len(v) > MaxCodeLen { // ASCII by now: bytes are characters
		return "", codeTooLong(len(v))
	}
	if upper {
		v = strings.ToUpper(v)
	}
	return v, nil
}

func codeRune(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

const codeAlphabet = "只能由英文字母、数字、- 和 _ 组成"

func codeTooLong(n int) error {
	return fmt.Errorf("内容过长：编码最多 %d 个字符，这里有 %d 个字符", MaxCodeLen, n)
}

// badCodeRune names a character a code may not hold, in the words staff use:
// a look-alike letter from another script is named as such, with the letter it imitates.
func badCodeRune(r rune) error {
	cp := fmt.Sprintf("U+%04X", r)
	var what string
	switch {
	case r == ' ':
		return fmt.Errorf("含有空格，编码%s", codeAlphabet)
	case unicode.IsSpace(r):
		return fmt.Errorf("含有空白字符 %s，编码%s", cp, codeAlphabet)
	case !unicode.IsGraphic(r):
		return fmt.Errorf("含有不可见的控制字符 %s，编码%s", cp, codeAlphabet)
	case unicode.Is(unicode.Cyrillic, r):
		what = "西里尔（俄文）字母"
	case unicode.Is(unicode.Greek, r):
		what = "希腊字母"
	case unicode.Is(unicode.Han, r):
		what = "汉字"
	case unicode.IsLetter(r):
		what = "非英文字母"
	case unicode.IsDigit(r) || unicode.IsNumber(r):
		what = "非阿拉伯数字"
	case unicode.IsPunct(r) || unicode.IsSymbol(r):
		what = "符号"
	default:
		what = "字符"
	}
	like := ""
	if l, ok := lookalikes[r]; ok {
		like = fmt.Sprintf("，形似英文字母 %c", l)
	}
	return fmt.Errorf("含有%s「%c」（%s%s），编码%s；请改用英文字母和数字重新输入", what, r, cp, like, codeAlphabet)
}

// lookalikes maps Cyrillic and Greek letters to the Latin letter they are
// mistaken for (a CRM export or an input method that switched scripts).
var lookalikes = map[rune]rune{
	// Cyrillic
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'Ԛ': 'Q', 'Ԝ': 'W', 'Һ': 'H', 'Ӏ': 'I',
	'а': 'a', 'в': 'B', 'е': 'e', 'к': 'K', 'м': 'M', 'н': 'H', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 'T',
	'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h', 'ԁ': 'd', 'ӏ': 'l',
	// Greek
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'ο': 'o', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'ρ': 'p', 'υ': 'u', 'χ': 'x',
}
