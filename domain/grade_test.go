package domain

import "testing"

func TestTierLabelAndParse(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  Tier
		label string
	}{
		{"钻石", Diamond, "钻石"}, {"gold", Gold, "黄金"}, {"白银", Silver, "白银"}, {"ordinary", Ordinary, "普通"},
	} {
		got, err := ParseTier(c.in)
		if err != nil || got != c.want || got.Label() != c.label {
			t.Errorf("ParseTier(%q) = %q %v, label %q; want %q %q", c.in, got, err, got.Label(), c.want, c.label)
		}
	}
	if _, err := ParseTier("铂金"); err == nil {
		t.Error("ParseTier(铂金) accepted")
	}
}
