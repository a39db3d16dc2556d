package loaders

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"kam/domain"
)

// FileError rejects a whole file (unreadable, unrecognised header); the
// pipeline writes its Reason as the one row of the error workbook.
type FileError struct {
	Reason string
	// Header, for a file rejected for its header row, is that row as the fix
	// sheet shows it; nil for any other reason.
	Header *HeaderFault
}

func (e *FileError) Error() string { return e.Reason }

const (
	reasonEncoding    = "文件编码无法识别（请保存为 UTF-8 或 GB18030 的 CSV）"
	reasonBadXLSX     = "Excel 文件已损坏或不是有效的 .xlsx"
	reasonBadChars    = "含有无法识别的字符（文件中混用了不同编码？请保存为 UTF-8 或 GB18030 的 CSV）"
	reasonEmptyFile   = "文件是空的"
	reasonNoVisibleWS = "Excel 文件中没有可见的工作表"
	reasonBOMGB       = "文件开头标明是 UTF-8 编码（带 BOM），内容却是 GB18030/GBK 编码：请在 Excel 中另存为「CSV UTF-8（逗号分隔）」，或用记事本另存为 UTF-8"
	reasonTextXLSX    = "文件扩展名是 .xlsx，内容却是文本（CSV？）：请把扩展名改为 .csv，或在 Excel 中打开后另存为 .xlsx"
	reasonOLE2        = "这是加了密码的 Excel 文件或旧版 .xls 文件，kam 无法读取：请在 Excel 中取消密码，另存为 .xlsx 后重新放入收件目录"
)

// Extract is an opened input file whose header has been recognised; Load
// reads its rows once. Close it when done.
type Extract struct {
	kind      domain.Kind
	header    []string // the header row as written
	headerRow int
	pos       []int // file column of each of the kind's columns, -1 when absent
	encoding  string
	src       rowSource
}

// Kind is the extract kind recognised from the header.
func (x *Extract) Kind() domain.Kind { return x.kind }

// Header is the header row as written in the file.
func (x *Extract) Header() []string { return append([]string(nil), x.header...) }

// HeaderRow is the spreadsheet row number of the header (1 unless title rows sit above it).
func (x *Extract) HeaderRow() int { return x.headerRow }

// Encoding is "UTF-8" or "GB18030" for a CSV, "xlsx" for a workbook.
func (x *Extract) Encoding() string { return x.encoding }

// Close releases the file (and any temporary files excelize made).
func (x *Extract) Close() error {
	if x == nil || x.src == nil {
		return nil
	}
	err := x.src.close()
	x.src = nil
	return err
}

// columnName is the header text of one of the kind's columns as written, or its Chinese label when the file lacks it.
func (x *Extract) columnName(c int) string {
	if p := x.pos[c]; p >= 0 && p < len(x.header) {
		if h := domain.TrimValue(x.header[p]); h != "" {
			return h
		}
	}
	return kindColumns[x.kind][c].Label
}

// rowSource yields a file's rows with their spreadsheet row numbers; io.EOF
// ends it. A *rowReadError is one bad row (reading goes on), a *FileError a
// damaged file (reading stops), anything else an internal failure.
type rowSource interface {
	next() (cells []string, row int, err error)
	close() error
}

type rowReadError struct {
	row    int
	reason string
}

func (e *rowReadError) Error() string { return e.reason }

// Open reads a file's header and recognises its kind. A *FileError rejects
// the file; any other error is an internal failure (the file could not be read).
func Open(path string) (*Extract, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return openCSV(path)
	case ".xlsx":
		return openXLSX(path)
	case ".xls":
		return nil, &FileError{Reason: "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx"}
	default:
		return nil, &FileError{Reason: fmt.Sprintf("不支持的文件类型「%s」，请提交 .xlsx 或 .csv 文件", ext)}
	}
}

// findHeader reads up to headerScanRows rows for a recognised header and leaves src just below it.
func findHeader(src rowSource, sheet string, near *headerMatch, seen *bool) (headerMatch, []string, int, error) {
	for {
		cells, row, err := src.next()
		if err == io.EOF || (err == nil && row > headerScanRows) {
			return headerMatch{}, nil, 0, nil
		}
		var bad *rowReadError
		if errors.As(err, &bad) {
			continue
		}
		if err != nil {
			return headerMatch{}, nil, 0, err
		}
		m, ok, ferr := recognizeHeader(cells)
		if ferr != nil {
			if !ferr.ambiguous {
				m.cells, m.row, m.sheet = cells, row, sheet
				ferr.Header = m.fault()
			}
			return m, nil, 0, ferr.FileError
		}
		if ok {
			return m, append([]string(nil), cells...), row, nil
		}
		if !*seen || m.required > near.required || (m.required == near.required && len(m.missing) < len(near.missing)) {
			m.cells = append([]string(nil), cells...) // the source reuses its row
			m.row, m.sheet = row, sheet
			*near, *seen = m, true
		}
	}
}

// ---- CSV ----

const sniffSize = 64 << 10

func openCSV(path string) (*Extract, error) {
	src, enc, err := csvRows(path)
	if err != nil {
		return nil, err
	}
	var near headerMatch
	var seen bool
	m, header, row, err := findHeader(src, "", &near, &seen)
	if err == nil && header == nil {
		err = unrecognizedHeader(near)
	}
	if err != nil {
		src.close()
		return nil, err
	}
	return &Extract{kind: m.kind, header: header, headerRow: row, pos: m.pos, encoding: enc, src: src}, nil
}

// csvRows opens a CSV file's rows in its encoding ("UTF-8" or "GB18030").
func csvRows(path string) (*csvSource, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	gb, bom, err := detectEncoding(f)
	if err == nil {
		_, err = f.Seek(int64(bom), io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, "", err
	}
	var r io.Reader = bufio.NewReaderSize(f, sniffSize)
	if onlyCR(f) {
		r = crToLF{r}
	}
	enc := "UTF-8"
	if gb {
		r, enc = bufio.NewReaderSize(transform.NewReader(r, simplifiedchinese.GB18030.NewDecoder()), sniffSize), "GB18030"
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, sniffSize)
	}
	cr := csv.NewReader(br) // shares br: it reads a quoted record's lines and no further
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // staff files carry stray quotes in names; tolerate them
	cr.ReuseRecord = true
	return &csvSource{f: f, br: br, r: cr}, enc, nil
}

// detectEncoding tells UTF-8 (with or without BOM) from GB18030 by the first
// stretch of non-ASCII text, and rejects UTF-16 and binary files.
func detectEncoding(f readerAt) (gb bool, bom int, err error) {
	buf := make([]byte, sniffSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return false, 0, err
	}
	buf = buf[:n]
	switch {
	case n == 0:
		return false, 0, &FileError{Reason: reasonEmptyFile}
	case bytes.HasPrefix(buf, []byte{0xEF, 0xBB, 0xBF}):
		// A BOM says UTF-8; a body in GB18030 behind it (a tool that added one blindly) is named as such.
		gb, _, err := detectEncoding(&offsetFile{f, 3})
		if err == nil && gb {
			return false, 0, &FileError{Reason: reasonBOMGB}
		}
		return false, 3, nil
	case bytes.HasPrefix(buf, []byte{0xFF, 0xFE}), bytes.HasPrefix(buf, []byte{0xFE, 0xFF}), looksBinary(buf):
		return false, 0, &FileError{Reason: reasonEncoding}
	}
	window, atEOF := buf, n < sniffSize
	p := indexNonASCII(buf)
	if p < 0 && !atEOF { // all ASCII so far: decide by the first non-ASCII byte further on
		full := buf[:cap(buf)]
		for off := int64(n); p < 0; {
			m, rerr := f.ReadAt(full, off)
			if rerr != nil && rerr != io.EOF {
				return false, 0, rerr
			}
			if looksBinary(full[:m]) {
				return false, 0, &FileError{Reason: reasonEncoding}
			}
			q := indexNonASCII(full[:m])
			if q < 0 {
				if m < len(full) {
					return false, 0, nil
				}
				off += int64(m)
				continue
			}
			if m, rerr = f.ReadAt(full, off+int64(q)); rerr != nil && rerr != io.EOF {
				return false, 0, rerr
			}
			window, atEOF, p = full[:m], m < len(full), 0
		}
	}
	if p < 0 {
		return false, 0, nil
	}
	window = window[p:]
	if !atEOF { // cut at a line end so no character is split
		if i := bytes.LastIndexByte(window, '\n'); i > 0 {
			window = window[:i]
		} else if len(window) > 4 {
			window = window[:len(window)-4]
		}
	}
	if utf8.Valid(window) {
		return false, 0, nil
	}
	if dec, derr := simplifiedchinese.GB18030.NewDecoder().Bytes(window); derr == nil && !bytes.ContainsRune(dec, utf8.RuneError) {
		return true, 0, nil
	}
	return false, 0, &FileError{Reason: reasonEncoding}
}

type readerAt interface {
	ReadAt(p []byte, off int64) (int, error)
}

// offsetFile reads a file from off on, as if it started there.
type offsetFile struct {
	f   readerAt
	off int64
}

func (o *offsetFile) ReadAt(p []byte, off int64) (int, error) { return o.f.ReadAt(p, off+o.off) }

// onlyCR reports text whose lines end in a lone CR (classic Mac OS, some exporters): no LF at all in the first block.
func onlyCR(f readerAt) bool {
	buf := make([]byte, sniffSize)
	n, _ := f.ReadAt(buf, 0)
	return bytes.IndexByte(buf[:n], '\r') >= 0 && bytes.IndexByte(buf[:n], '\n') < 0
}

// crToLF turns lone-CR line ends into LF, so such a file reads like any other (CR is never part of a GB18030 or UTF-8 character).
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

func indexNonASCII(b []byte) int {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// looksBinary: text files hold no NUL and almost no other control bytes.
func looksBinary(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f':
			ctl++
		}
	}
	return ctl > len(b)/100
}

// csvSource reads a CSV's records. A record on one line whose quoted fields are
// plain ("1,234.50") — nearly every line of an extract — is split here, its fields
// cut from a string made once per block of lines (no allocation a row); any other
// (a doubled quote, a line break inside quotes) is read by encoding/csv from the
// same buffered reader, so both read the same bytes once and in order.
type csvSource struct {
	f       *os.File
	br      *bufio.Reader
	r       *csv.Reader
	row     int // spreadsheet row of the last record
	endLine int // last text line of the last record

	line    int    // text lines read so far, by either reader
	csvLine int    // encoding/csv's own count of the lines it has read
	block   string // whole lines peeked from br and not yet discarded
	pos     int    // start of the next unread line in block
	rec     []string
}

// next numbers records as a spreadsheet shows them: blank lines count as rows, a quoted line break does not.
func (s *csvSource) next() ([]string, int, error) {
	for {
		if s.pos == len(s.block) {
			ok, err := s.fillBlock()
			if err != nil {
				return nil, 0, err
			}
			if !ok { // EOF, or a line longer than the buffer: encoding/csv reads it
				return s.nextQuoted()
			}
		}
		rest := s.block[s.pos:]
		n := strings.IndexByte(rest, '\n')
		if n < 0 { // the file's last line, without a line break
			n = len(rest) - 1
		}
		text := trimLineEnd(rest[:n+1])
		rec, ok := splitFields(s.rec[:0], text)
		if !ok {
			return s.nextQuoted()
		}
		s.pos += n + 1
		s.line++
		if text == "" {
			continue // encoding/csv skips an empty line too; it still counts as a row
		}
		s.rec = rec
		s.advance(s.line, s.line)
		return s.rec, s.row, nil
	}
}

// fillBlock peeks the next whole lines into block; false at EOF or when no line ends within the buffer.
func (s *csvSource) fillBlock() (bool, error) {
	if _, err := s.br.Discard(len(s.block)); err != nil {
		return false, err
	}
	s.block, s.pos = "", 0
	buf, err := s.br.Peek(s.br.Size())
	if err != nil && err != io.EOF {
		return false, err
	}
	end := bytes.LastIndexByte(buf, '\n') + 1
	if err == io.EOF {
		end = len(buf) // the last line may lack its line break
	}
	if end == 0 {
		return false, nil
	}
	s.block = string(buf[:end])
	return true, nil
}

// nextQuoted reads one record with encoding/csv, from the line the block has reached.
func (s *csvSource) nextQuoted() ([]string, int, error) {
	if _, err := s.br.Discard(s.pos); err != nil {
		return nil, 0, err
	}
	s.block, s.pos = "", 0
	rec, err := s.r.Read()
	if err != nil {
		row, err := s.readFailed(err)
		return nil, row, err
	}
	start, _ := s.r.FieldPos(0)
	last := len(rec) - 1
	end, _ := s.r.FieldPos(last)
	end += strings.Count(rec[last], "\n")
	first := s.line + start - s.csvLine
	s.line, s.csvLine = s.line+end-s.csvLine, end
	s.advance(first, s.line)
	return rec, s.row, nil
}

// trimLineEnd drops a line's break as encoding/csv does: "\n", "\r\n", and a lone "\r" at the end of the file.
func trimLineEnd(text string) string {
	if strings.HasSuffix(text, "\n") {
		text = text[:len(text)-1]
	}
	return strings.TrimSuffix(text, "\r")
}

// splitFields cuts a line at its commas, as encoding/csv with LazyQuotes would:
// a field may be quoted ("1,234.50") when its closing quote ends it. Anything
// else about quotes ("" inside, a quote after the closing one, a field going on
// to the next line) is not ok: encoding/csv reads that record.
func splitFields(dst []string, text string) ([]string, bool) {
	for {
		if strings.HasPrefix(text, `"`) {
			j := strings.IndexByte(text[1:], '"')
			if j < 0 {
				return dst, false
			}
			dst = append(dst, text[1:1+j])
			switch text = text[2+j:]; {
			case text == "":
				return dst, true
			case text[0] != ',':
				return dst, false
			}
			text = text[1:]
			continue
		}
		i := strings.IndexByte(text, ',')
		if i < 0 {
			return append(dst, text), true
		}
		dst = append(dst, text[:i])
		text = text[i+1:]
	}
}

// readFailed is next's error for a record encoding/csv could not read (apart from next, so the row path does not allocate).
func (s *csvSource) readFailed(err error) (int, error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		first, last := s.line+pe.StartLine-s.csvLine, s.line+pe.Line-s.csvLine
		s.line, s.csvLine = last, pe.Line
		s.advance(first, last)
		return s.row, &rowReadError{row: s.row, reason: "该行格式不正确（引号不配对）"}
	}
	return 0, err
}

func (s *csvSource) advance(startLine, endLine int) {
	s.row += 1 + max(0, startLine-s.endLine-1)
	s.endLine = endLine
}

func (s *csvSource) close() error { return s.f.Close() }

// validText reports whether a cell decoded cleanly (no invalid UTF-8, no GB18030 replacement character).
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError)
		}
	}
	return true
}

// ---- XLSX ----

func openXLSX(path string) (x *Extract, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, 4)
	_, rerr := io.ReadFull(fh, magic)
	fh.Close()
	if rerr == nil && string(magic) == "\xD0\xCF\x11\xE0" {
		return nil, &FileError{Reason: reasonOLE2}
	}
	if rerr == nil && string(magic) != "PK\x03\x04" && !looksBinary(magic) {
		return nil, &FileError{Reason: reasonTextXLSX}
	}
	if rerr != nil || string(magic) != "PK\x03\x04" {
		return nil, &FileError{Reason: reasonBadXLSX}
	}
	if fe := checkParts(path); fe != nil {
		return nil, fe
	}
	var f *excelize.File
	var rows *excelize.Rows
	defer func() {
		if r := recover(); r != nil {
			if rows != nil {
				rows.Close()
			}
			if f != nil {
				f.Close()
			}
			x, err = nil, &FileError{Reason: reasonBadXLSX}
		}
	}()
	// A sheet's XML up to 64 MiB (about 250,000 rows) is decoded from memory, ~15%
	// faster; a larger one streams from a temporary file, so memory stays bounded.
	f, err = excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipXMLSizeLimit: xmlInMemory, UnzipSizeLimit: MaxUnpackedBytes})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, &FileError{Reason: reasonBadXLSX}
	}
	var near headerMatch
	var seen, visible bool
	for _, name := range f.GetSheetList() {
		if vis, _ := f.GetSheetVisible(name); !vis {
			continue
		}
		visible = true
		if rows, err = f.Rows(name); err != nil {
			rows = nil
			continue
		}
		src := &xlsxSource{f: f, sheet: name, rows: rows}
		m, header, row, herr := findHeader(src, name, &near, &seen)
		if herr != nil || header == nil {
			rows.Close()
			rows = nil
			if herr != nil {
				f.Close()
				return nil, herr
			}
			continue
		}
		src.own = true
		return &Extract{kind: m.kind, header: header, headerRow: row, pos: m.pos, encoding: "xlsx", src: prefetch(src)}, nil
	}
	f.Close()
	if !visible {
		return nil, &FileError{Reason: reasonNoVisibleWS}
	}
	return nil, unrecognizedHeader(near)
}

type xlsxSource struct {
	f     *excelize.File
	sheet string
	rows  *excelize.Rows
	own   bool // close f with the rows
	row   int
}

func (s *xlsxSource) next() (cells []string, row int, err error) {
	defer func() {
		if r := recover(); r != nil {
			cells, err = nil, &FileError{Reason: reasonBadXLSX}
		}
	}()
	if !s.rows.Next() {
		if s.rows.Error() != nil {
			return nil, s.row + 1, &FileError{Reason: reasonBadXLSX}
		}
		return nil, 0, io.EOF
	}
	s.row++
	cells, err = s.rows.Columns()
	if err != nil {
		return nil, s.row, &FileError{Reason: reasonBadXLSX}
	}
	for i, c := range cells {
		cells[i] = roundExcelNumber(c)
	}
	return cells, s.row, nil
}

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if s.own {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// roundExcelNumber shows a stored binary float as Excel does, to 15
// significant digits, so 1234.5599999999999 reads as 1234.56.
func roundExcelNumber(s string) string {
	if len(s) < 17 || strings.IndexByte(s, '.') < 0 {
		return s
	}
	sig := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '1' && c <= '9', c == '0' && sig > 0:
			sig++
		case c == '0', c == '.', c == '-' && i == 0:
		default:
			return s
		}
	}
	if sig <= 15 {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	r := strconv.FormatFloat(v, 'g', 15, 64)
	if strings.ContainsAny(r, "eE") {
		return s
	}
	return r
}

// percentOfFraction moves the decimal point two places right: 0.5 → 50, 0.3333 → 33.33.
func percentOfFraction(s string) string {
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(t, ".")
	if !domain.IsDigits(ip) || (fp != "" && !domain.IsDigits(fp)) {
		return s
	}
	fp += strings.Repeat("0", max(0, 2-len(fp)))
	ip, fp = strings.TrimLeft(ip+fp[:2], "0"), strings.TrimRight(fp[2:], "0")
	if ip == "" {
		ip = "0"
	}
	if fp != "" {
		ip += "." + fp
	}
	if neg {
		ip = "-" + ip
	}
	return ip
}
