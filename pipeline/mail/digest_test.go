package mail

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"kam/store"
)

func TestSupersededInFoldKeepsEachJobsNewestPeriod(t *testing.T) {
	m := func(id int64, kind, period string) store.Mail { return store.Mail{ID: id, Kind: kind, Period: period} }
	for name, tc := range map[string]struct {
		held []store.Mail
		want []int64
	}{
		"one of each":            {[]store.Mail{m(1, "splits", "2026-06"), m(2, "tender", "2026-07-06")}, nil},
		"tender caught up":       {[]store.Mail{m(1, "tender", "2026-07-05"), m(2, "splits", "2026-06"), m(3, "tender", "2026-07-06")}, []int64{1}},
		"newer queued first":     {[]store.Mail{m(1, "grade", "2026Q2"), m(2, "grade", "2026Q1")}, []int64{2}},
		"same period kept":       {[]store.Mail{m(1, "splits", "2026-06"), m(2, "splits", "2026-06")}, nil},
		"city and part together": {[]store.Mail{m(1, "grade", "2026Q2"), m(2, "grade", "2026Q2"), m(3, "grade", "2026Q1")}, []int64{3}},
	} {
		if got := supersededInFold(tc.held); !slices.Equal(got, tc.want) {
			t.Errorf("%s: superseded %v, want %v", name, got, tc.want)
		}
	}
}

func TestDigestSubjectKeepsTheCountWithinTheLimit(t *testing.T) {
	for _, tc := range []struct {
		titles []string
		n      int
		want   string
	}{
		{[]string{"收入分成", "竞标公告"}, 2, "kam 日报 2026-12-08：收入分成、竞标公告（2 份报表）"},
		{[]string{"季度客户分级", "钻石客户用邮分析", "黄金客户用邮分析", "客户经理名册", "收入分成", "竞标公告", "客户维护"}, 9,
			"kam 日报 2026-12-08：季度客户分级、钻石客户用邮分析、黄金客户用邮分析、客户经理名册、收入…（9 份报表）"},
	} {
		got := digestSubject("2026-12-08", tc.titles, tc.n)
		if got != tc.want || utf8.RuneCountInString(got) > maxSubjectRunes {
			t.Errorf("subject %q (%d characters), want %q", got, utf8.RuneCountInString(got), tc.want)
		}
	}
}

// A digest's section is a report mail's own body without the page around it or its footer.
func TestSectionsAreTheReportMailsBody(t *testing.T) {
	html, text, err := mailBody{Title: "收入分成 · 2026 年 6 月", Lead: "收入分成（2026 年 6 月）已生成。", Headline: "分成合计 ¥1.00",
		Facts: [][2]string{{"报表", "收入分成"}}, Act: &Table{Caption: "各单位", Head: []string{"单位"}, Rows: [][]string{{"莞城（ZQ01）"}}},
		Notes: []string{"报表见附件。"}, Footer: "此邮件由 kam 自动发送，请勿直接回复。运行编号 3。"}.render()
	if err != nil {
		t.Fatal(err)
	}
	sec := htmlSection(html)
	for _, want := range []string{"<p>收入分成（2026 年 6 月）已生成。</p>", "<b>分成合计 ¥1.00</b>", "<td>莞城（ZQ01）</td>", "<p>报表见附件。</p>"} {
		if !strings.Contains(sec, want) {
			t.Errorf("HTML section lacks %q:\n%s", want, sec)
		}
	}
	for _, not := range []string{"<body", "</html>", "运行编号", "<title>"} {
		if strings.Contains(sec, not) {
			t.Errorf("HTML section holds %q:\n%s", not, sec)
		}
	}
	if got := textSection(text); !strings.HasPrefix(got, "收入分成（2026 年 6 月）已生成。") || !strings.HasSuffix(got, "报表见附件。") || strings.Contains(got, "运行编号") {
		t.Errorf("text section:\n%s", got)
	}
}
