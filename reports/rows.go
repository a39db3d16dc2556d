package reports

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"kam/domain"
	"kam/rules"
)

// tableRows holds a table's data rows as worksheet XML until the workbook is
// written, when they are put into the sheet's <sheetData> after the header
// row excelize wrote. Encoding rows here rather than through excelize's
// StreamWriter.SetRow is what lets a month of split detail (1.6 million rows,
// and again across the units' statements) be written in a job's time: no
// allocation per cell, numbers formatted straight from fen. The XML is what
// excelize writes for the same values (inline strings, the same styles).
// Past rowsChunk bytes the rows go on to a temporary file.
type tableRows struct {
	cols     []string // column letters
	buf      []byte
	f        *os.File
	n        int64              // bytes in f
	comments []excelize.Comment // the rows' cell comments, put on the sheet before its stream is flushed
	capture  *capture           // keeps the rows' raw values too, for a re-issue's 变更; nil: not kept
}

// rowsChunk is how many encoded bytes a table keeps in memory before moving
// them to its file. Small: the buffer is reused, and growing a large one
// cost more than the writes (BenchmarkTableRows: 4 MB 290-320 ms, 1 MB ~255,
// 256 KB ~245 for 100,000 rows).
const rowsChunk = 256 << 10

func newTableRows(ncols int) *tableRows {
	t := &tableRows{cols: make([]string, ncols)}
	for i := range t.cols {
		t.cols[i], _ = excelize.ColumnNumberToName(i + 1)
	}
	return t
}

// spill moves the encoded rows to the file once they pass rowsChunk.
func (t *tableRows) spill() error {
	if len(t.buf) < rowsChunk {
		return nil
	}
	if t.f == nil {
		f, err := os.CreateTemp("", "kam-rows-*")
		if err != nil {
			return fmt.Errorf("reports: temporary file for a sheet's rows: %w", err)
		}
		t.f = f
	}
	if _, err := t.f.WriteAt(t.buf, t.n); err != nil {
		return fmt.Errorf("reports: writing a sheet's rows: %w", err)
	}
	t.n += int64(len(t.buf))
	t.buf = t.buf[:0]
	return nil
}

func (t *tableRows) writeTo(w io.Writer) error {
	if t.f != nil {
		if _, err := io.Copy(w, io.NewSectionReader(t.f, 0, t.n)); err != nil {
			return err
		}
	}
	_, err := w.Write(t.buf)
	return err
}

func (t *tableRows) close() {
	if t.f != nil {
		t.f.Close()
		os.Remove(t.f.Name())
		t.f = nil
	}
	t.buf = nil
}

// startRow opens row r; a height above 0 (points) is set, for a row of wrapped text.
func (t *tableRows) startRow(r int, height float64) {
	t.buf = append(t.buf, `<row r="`...)
	t.buf = strconv.AppendInt(t.buf, int64(r), 10)
	if height > 0 {
		t.buf = append(t.buf, `" ht="`...)
		t.buf = strconv.AppendFloat(t.buf, height, 'f', -1, 64)
		t.buf = append(t.buf, `" customHeight="1`...)
	}
	t.buf = append(t.buf, `">`...)
}

func (t *tableRows) endRow() error {
	t.buf = append(t.buf, `</row>`...)
	if c := t.capture; c != nil {
		c.rows.rows = append(c.rows.rows, c.row)
		c.row = nil
	}
	return t.spill()
}

// cell writes column i of row r: v as kind says (see Book.Table), in style.
// It returns the text written for a text value, to size the column.
func (t *tableRows) cell(i, r, style int, kind ColKind, v any) (string, error) {
	var num []byte // a number's digits, or nil for text or an empty cell
	var text string
	isText := false
	var digits [32]byte
	switch x := v.(type) {
	case nil:
	case domain.Money:
		if kind == WanYuan {
			num = appendScaled(digits[:0], int64(x), 6) // fen → 万元
		} else {
			num = appendScaled(digits[:0], int64(x), 2)
		}
	case domain.Date:
		if x != 0 {
			serial := int64(x)
			if x < 61 { // Excel counts a 29 February 1900 that never was: earlier days are one less
				serial--
			}
			num = strconv.AppendInt(digits[:0], serial, 10)
		}
	case domain.Ratio:
		if kind == Share {
			num = appendScaled(digits[:0], int64(x), 2)
		} else {
			num = appendScaled(digits[:0], int64(x), 4)
		}
	case *domain.Ratio:
		if x != nil {
			num = appendScaled(digits[:0], int64(*x), 4)
		}
	case rules.Pct: // a growth rate, which can pass what a Ratio holds
		num = appendScaled(digits[:0], int64(x), 4)
	case domain.Month:
		text, isText = x.String(), true
	case string:
		text, isText = x, true
	case int:
		num = strconv.AppendInt(digits[:0], int64(x), 10)
	case int32:
		num = strconv.AppendInt(digits[:0], int64(x), 10)
	case int64:
		num = strconv.AppendInt(digits[:0], x, 10)
	default:
		return "", fmt.Errorf("unsupported value %T", v)
	}
	if c := t.capture; c != nil {
		for len(c.row) < i {
			c.row = append(c.row, "")
		}
		if isText {
			c.row = append(c.row, text)
		} else {
			c.row = append(c.row, string(num))
		}
	}
	t.buf = append(t.buf, `<c r="`...)
	t.buf = append(t.buf, t.cols[i]...)
	t.buf = strconv.AppendInt(t.buf, int64(r), 10)
	t.buf = append(t.buf, '"')
	if style != 0 {
		t.buf = append(t.buf, ` s="`...)
		t.buf = strconv.AppendInt(t.buf, int64(style), 10)
		t.buf = append(t.buf, '"')
	}
	switch {
	case isText:
		t.buf = appendInlineString(t.buf, text)
	case num != nil:
		t.buf = append(t.buf, `><v>`...)
		t.buf = append(t.buf, num...)
		t.buf = append(t.buf, `</v></c>`...)
	default:
		t.buf = append(t.buf, `></c>`...)
	}
	return text, nil
}

// appendScaled writes v / 10^scale as an exact decimal, without trailing zeros.
func appendScaled(dst []byte, v int64, scale int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u
	}
	pow := uint64(1)
	for range scale {
		pow *= 10
	}
	dst = strconv.AppendUint(dst, u/pow, 10)
	frac := u % pow
	if frac == 0 {
		return dst
	}
	dst = append(dst, '.')
	var d [20]byte
	digits := strconv.AppendUint(d[:0], frac, 10)
	for range scale - len(digits) { // the fraction's leading zeros: .05
		dst = append(dst, '0')
	}
	dst = append(dst, digits...)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// maxCellChars is the most UTF-16 units a cell holds (Excel's limit); longer text is cut there, as excelize does.
const maxCellChars = excelize.TotalCellChars

// appendInlineString ends a cell holding s as an inline string: cut at
// Excel's limit, escaped for XML (characters XML cannot carry become U+FFFD),
// its leading and trailing white space kept, and any literal _xHHHH_ escaped
// so it reads back as typed — what excelize does with a string cell.
func appendInlineString(dst []byte, s string) []byte {
	if len(s) > maxCellChars { // only then can it pass the limit in UTF-16 units
		s = cutUTF16(s, maxCellChars)
	}
	dst = append(dst, ` t="inlineStr"><is><t`...)
	if s != "" && (isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])) {
		dst = append(dst, ` xml:space="preserve"`...)
	}
	dst = append(dst, '>')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				dst = append(dst, "&amp;"...)
			case c == '<':
				dst = append(dst, "&lt;"...)
			case c == '>':
				dst = append(dst, "&gt;"...)
			case c == '\r':
				dst = append(dst, "&#xD;"...)
			case c == '\t' || c == '\n':
				dst = append(dst, c)
			case c < 0x20:
				dst = append(dst, "\uFFFD"...)
			case c == '_' && isBstrEscape(s[i:]):
				dst = append(dst, "_x005F"...) // the underscore itself, escaped
				dst = append(dst, c)
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, `</t></is></c>`...)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// cutUTF16 keeps the longest prefix of s that is at most n UTF-16 units.
func cutUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

// isBstrEscape says whether s starts with _xHHHH_, which a reader would take for an escaped character.
func isBstrEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
