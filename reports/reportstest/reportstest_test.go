package reportstest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A streamed sheet as excelize writes it on its own declares A1 whatever it
// holds; CheckLayout must see that (reports.Book must not write it).
func TestCheckLayoutSeesAStaleDimension(t *testing.T) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= 3; r++ {
		if err := sw.SetRow(fmt.Sprintf("A%d", r), []any{"a", "b", "c"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	err = CheckLayout(buf.Bytes())
	if err == nil || !strings.Contains(err.Error(), `Sheet1: dimension "A1", cells span "A1:C3"`) {
		t.Fatalf("CheckLayout = %v; want the stale dimension named", err)
	}
}
