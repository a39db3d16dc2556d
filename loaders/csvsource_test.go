package loaders

import (
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// encodingCSVRows is how rows were read before the unquoted fast path: encoding/csv alone,
// numbered as a spreadsheet shows them. The fast path must give the same cells and rows.
func encodingCSVRows(t *testing.T, text string) (rows [][]string, nums []int) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord, cr.LazyQuotes = -1, true
	row, endLine := 0, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nums
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			row += 1 + max(0, pe.StartLine-endLine-1)
			endLine = pe.Line
			rows, nums = append(rows, nil), append(nums, row)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		start, _ := cr.FieldPos(0)
		end, _ := cr.FieldPos(len(rec) - 1)
		end += strings.Count(rec[len(rec)-1], "\n")
		row += 1 + max(0, start-endLine-1)
		endLine = end
		rows, nums = append(rows, slices.Clone(rec)), append(nums, row)
	}
}

// TestCSVFastPathReadsAsEncodingCSV reads generated files — quoted amounts with commas,
// quoted line breaks, stray quotes, CRLF, blank lines, lines longer than the read buffer,
// blocks ending mid-line, a last line with no break or a lone CR — both ways.
func TestCSVFastPathReadsAsEncodingCSV(t *testing.T) {
	pieces := []string{`""`, `"q"x`, `"`, `"a,"`, "KH0001", "2026-10", "函件", "ZQ14", `"1,234.50"`, `"a""b"`, `x"y`, "\"two\nlines\"", "\"cr\r\nlf\"", "", " ", "¥12", "\r"}
	for seed := range 12 {
		rng := rand.New(rand.NewPCG(uint64(seed), 28))
		var b strings.Builder
		b.WriteString("客户编号,月份,业务种类,收入单位编码,收入金额\n")
		for b.Len() < 400_000 {
			switch rng.IntN(40) {
			case 0:
				b.WriteString("\n")
				continue
			case 1:
				b.WriteString("\r\n")
				continue
			case 2:
				b.WriteString(strings.Repeat("长", 30_000) + ",x") // longer than the 64 KiB buffer
			}
			for c := range 1 + rng.IntN(6) {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			if rng.IntN(3) == 0 {
				b.WriteString("\r\n")
			} else {
				b.WriteString("\n")
			}
		}
		text := b.String()
		switch seed % 3 {
		case 1:
			text = strings.TrimSuffix(text, "\n") + ",last"
		case 2:
			text += "KH9,9\r"
		}
		wantRows, wantNums := encodingCSVRows(t, text)

		p := filepath.Join(t.TempDir(), "r.csv")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		src, _, err := csvRows(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			cells, row, err := src.next()
			if err == io.EOF {
				if i != len(wantRows) {
					t.Fatalf("seed %d: %d records, want %d", seed, i, len(wantRows))
				}
				break
			}
			var bad *rowReadError
			if errors.As(err, &bad) {
				cells = nil
			} else if err != nil {
				t.Fatal(err)
			}
			if i >= len(wantRows) || row != wantNums[i] || !slices.Equal(cells, wantRows[i]) {
				t.Fatalf("seed %d record %d: row %d %q, want row %d %q", seed, i, row, cells, wantNums[min(i, len(wantNums)-1)], wantRows[min(i, len(wantRows)-1)])
			}
		}
		src.close()
	}
}
