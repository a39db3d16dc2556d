package gen

// creditAlphabet is GB 32100-2015's character set: digits and capitals without I, O, S, V, Z.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditValue maps a character to its GB 32100 value, -1 when outside the alphabet.
func creditValue(c byte) int {
	for i := 0; i < len(creditAlphabet); i++ {
		if creditAlphabet[i] == c {
			return i
		}
	}
	return -1
}

// creditCheckChar is the 18th character of a unified social credit code whose
// first 17 are given (GB 32100-2015); ok is false when one is outside the alphabet.
func creditCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := creditValue(first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31], true
}

// validCreditCode reports whether an 18-character code carries the right check character.
func validCreditCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	c, ok := creditCheckChar(code[:17])
	return ok && c == code[17]
}

var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// orgCheckChar is the 9th character of an organisation code (GB 11714-1997),
// which sits at positions 9–17 of a credit code.
func orgCheckChar(first8 string) byte {
	sum := 0
	for i := 0; i < 8; i++ {
		c := first8[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * orgWeights[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + r)
	}
}
