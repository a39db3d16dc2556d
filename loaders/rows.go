package loaders

import "io"

// EachRow opens the file at path as Load would and calls fn for every data
// row below the recognised header, with its spreadsheet row number and cells
// as written; it stops after max rows (0: no limit) and reports whether more
// were left. The error workbook copies a file's rows through it.
func EachRow(path string, max int, fn func(row int, cells []string) error) (header []string, headerRow int, more bool, err error) {
	x, err := Open(path)
	if err != nil {
		return nil, 0, false, err
	}
	defer x.Close()
	n := 0
	for {
		cells, row, err := x.src.next()
		if err == io.EOF {
			return x.Header(), x.HeaderRow(), false, nil
		}
		if err != nil {
			return x.Header(), x.HeaderRow(), false, err
		}
		if max > 0 && n == max {
			return x.Header(), x.HeaderRow(), true, nil
		}
		n++
		if err := fn(row, cells); err != nil {
			return x.Header(), x.HeaderRow(), false, err
		}
	}
}
