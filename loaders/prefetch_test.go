package loaders

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// countingSource yields n rows, then err (io.EOF for a clean end).
type countingSource struct {
	n, read int
	err     error
	closed  bool
}

func (s *countingSource) next() ([]string, int, error) {
	if s.read == s.n {
		return nil, s.read + 1, s.err
	}
	s.read++
	return []string{fmt.Sprint(s.read)}, s.read, nil
}

func (s *countingSource) close() error { s.closed = true; return nil }

func TestPrefetchKeepsOrderAndRepeatsTheEnd(t *testing.T) {
	bad := &FileError{Reason: "坏了"}
	for _, end := range []error{io.EOF, bad} {
		inner := &countingSource{n: 3*prefetchBatch + 7, err: end}
		p := prefetch(inner)
		for want := 1; want <= inner.n; want++ {
			cells, row, err := p.next()
			if err != nil || row != want || cells[0] != fmt.Sprint(want) {
				t.Fatalf("row %d: got %v %d %v", want, cells, row, err)
			}
		}
		for range 2 {
			if _, _, err := p.next(); !errors.Is(err, end) {
				t.Fatalf("after the last row: %v, want %v", err, end)
			}
		}
		if err := p.close(); err != nil || !inner.closed {
			t.Fatalf("close: %v, inner closed %v", err, inner.closed)
		}
	}
}

func TestPrefetchClosesBeforeAndDuringReading(t *testing.T) {
	unread := &countingSource{n: 10, err: io.EOF}
	if err := prefetch(unread).close(); err != nil || !unread.closed || unread.read != 0 {
		t.Fatalf("close before reading: %v closed=%v read=%d", err, unread.closed, unread.read)
	}
	long := &countingSource{n: 1 << 30, err: io.EOF}
	p := prefetch(long)
	if _, _, err := p.next(); err != nil {
		t.Fatal(err)
	}
	if err := p.close(); err != nil || !long.closed { // must stop the reader, not wait for a billion rows
		t.Fatalf("close mid-stream: %v", err)
	}
	if long.read > (prefetchDepth+2)*prefetchBatch {
		t.Errorf("read %d rows ahead; the read-ahead is meant to be bounded", long.read)
	}
}
