package loaders

import "testing"

func TestRoundExcelNumber(t *testing.T) {
	for in, want := range map[string]string{
		"1234.5599999999999":   "1234.56",
		"0.30000000000000004":  "0.3",
		"46086.999999999993":   "46087",
		"-12.339999999999999":  "-12.34",
		"1234.56":              "1234.56",
		"123456789012345678":   "123456789012345678", // an id written as digits, no point
		"ABC.0000000000000001": "ABC.0000000000000001",
	} {
		if got := roundExcelNumber(in); got != want {
			t.Errorf("roundExcelNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPercentOfFraction(t *testing.T) {
	for in, want := range map[string]string{
		"0.5": "50", "1": "100", "0.3333": "33.33", "0.33333": "33.333", "0.005": "0.5", "0": "0", "-0.25": "-25", "50%": "50%", "x": "x",
	} {
		if got := percentOfFraction(in); got != want {
			t.Errorf("percentOfFraction(%q) = %q, want %q", in, got, want)
		}
	}
}
