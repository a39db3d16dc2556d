package gen

// The unified social credit code's own check character (GB 32100-2015) comes
// from domain.CreditCodeCheckChar, the one the loader validates with; the
// organisation code inside it (GB 11714) has its own, below.

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
