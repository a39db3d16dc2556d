package store

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"kam/domain"
)

// revenueTSV makes LOAD DATA's text row by row as the driver reads it: whatever
// the reader's buffer size, the bytes are the rows in order, escaped, numbered
// after the rows already written.
func TestRevenueTSVReadsEveryRowWhateverTheBufferSize(t *testing.T) {
	rs := []domain.Revenue{
		{Customer: "KH0000001", Month: 202610, Line: "函件", Unit: "ZQ14", Amount: 2157871},
		{Customer: "KH\t2", Month: 202610, Line: "包裹", Unit: `U\0`, Amount: -5},
		{Customer: "KH3", Month: 202609, Line: "速递", Unit: "U\n1", Amount: 0},
	}
	want := "202610\t函件\t42\t8\tKH0000001\tZQ14\t2157871\n" +
		"202610\t包裹\t42\t9\tKH\\t2\tU\\\\0\t-5\n" +
		"202609\t速递\t42\t10\tKH3\tU\\n1\t0\n"
	for _, size := range []int{1, 3, 7, 16, 1 << 14} {
		r := &revenueTSV{rs: rs, fileID: "42", seq: 7}
		var got bytes.Buffer
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if got.String() != want {
			t.Errorf("buffer %d: got\n%q\nwant\n%q", size, got.String(), want)
		}
	}
	if err := iotest.TestReader(&revenueTSV{rs: rs, fileID: "42", seq: 7}, []byte(want)); err != nil {
		t.Error(err)
	}
}
