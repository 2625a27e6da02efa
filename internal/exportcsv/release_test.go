package exportcsv

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// released reads every row of data, calling Release after each, and
// renders the rows and the problems as they are met.
func released(t *testing.T, data string, rows int) (out []string, rd *Reader) {
	t.Helper()
	rd, err := NewReader("a.csv", Acquiring, strings.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < rows; n++ {
		var row Row
		err := rd.Next(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		out = append(out, fmt.Sprintf("%+v %v", row, err))
		rd.Release()
	}
	return out, rd
}

// releaseData is a bank registry with a column of its own first; with
// bad, every 50th row has a problem in that column.
func releaseData(rows int, bad bool) string {
	var b strings.Builder
	b.WriteString("Примечание кассира;" + AcquiringHeader)
	for i := range rows {
		note := fmt.Sprintf("касса %d", i)
		if bad && i%50 == 7 {
			note = `"касса" 7"` // text after the closing quote: a problem located in this column
		}
		fmt.Fprintf(&b, "%s;2026-11-%02d;O%d;2026-11-%02d;B%d;S1;SV1;LS%d;%d,00;0\n", note, 1+i%28, i, 1+i%28, i, i, 100+i)
	}
	return b.String()
}

// Rows read with Release after each are the rows read without it, and the
// problems name the columns as the header does though the text the header
// was read from has been written over.
func TestReleasedRowsAndErrorsAsRead(t *testing.T) {
	data := releaseData(1000, true)
	got, _ := released(t, data, 1000)
	rd, err := NewReader("a.csv", Acquiring, strings.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	each(rd, func(row Row, err error) bool {
		want = append(want, fmt.Sprintf("%+v %v", row, err))
		return true
	})
	agree(t, "", got, want)
	if !strings.Contains(got[7], `a.csv: line 9, column "Примечание кассира": text after the closing quote`) {
		t.Fatalf("row 7 read as %s", got[7])
	}
}

// Released, the reader writes every row over the same text: reading ten
// times as many rows allocates nothing more.
func TestReleasedReadingAllocatesNoText(t *testing.T) {
	data := releaseData(20_000, false)
	allocs := func(rows int) float64 {
		return testing.AllocsPerRun(3, func() {
			rd, err := NewReader("a.csv", Acquiring, strings.NewReader(data), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var row Row
			for range rows {
				if err := rd.Next(&row); err != nil {
					t.Fatal(err)
				}
				rd.Release()
			}
		})
	}
	if few, many := allocs(2_000), allocs(20_000); many > few {
		t.Fatalf("reading 2 000 rows allocates %.0f times, 20 000 rows %.0f times", few, many)
	}
}
