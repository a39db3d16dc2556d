package domain

import "testing"

func TestNamedPutsTheCodeInBrackets(t *testing.T) {
	for _, c := range [][3]string{
		{"东莞市邮政局万江分局", "ZQ14", "东莞市邮政局万江分局（ZQ14）"},
		{"", "DG10001", "DG10001"},
		{"张三", "", "张三"},
		{" 李四 ", "DG10002", "李四（DG10002）"},
	} {
		if got := Named(c[0], c[1]); got != c[2] {
			t.Errorf("Named(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
