package exportcsv

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// oldScanner is the scanner as it was before values were cut with
// indexDelim in one pass (a bytes.IndexByte per value, the bounds kept
// aside and the strings made after): the oracle of FuzzScannerAgreesWithOld.
// Quoted values it reads with scanner.quoted, which that change left as it was.
type oldScanner struct {
	*scanner
	begins, ends []int
}

func (s *oldScanner) Read() ([]string, error) {
	base, err := s.copyLine()
	if err != nil {
		return nil, err
	}
	s.begins, s.ends, s.fields = s.begins[:0], s.ends[:0], s.fields[:0]
	w, r := base, base
	for {
		s.begins = append(s.begins, r)
		if w = r; r < len(s.rec) && s.rec[r] == '"' {
			if w, r, err = s.quoted(w, r+1); err != nil {
				s.rec = s.rec[:base]
				return nil, err
			}
		} else {
			i := bytes.IndexByte(s.rec[r:], s.delim)
			if i < 0 {
				i = len(s.rec) - r
			}
			w, r = w+i, r+i
		}
		s.ends = append(s.ends, w)
		s.fields = append(s.fields, "") // quoted names the field by their count; the values are made below
		if r >= len(s.rec) {
			break
		}
		r++
	}
	for i, end := range s.ends {
		if begin := s.begins[i]; end > begin {
			s.fields[i] = unsafe.String(&s.rec[begin], end-begin)
		}
	}
	return s.fields, nil
}

// scanned is every record of src as a scanner reads it (records, errors
// and the lines they start on), the scanner taking the header's width.
func scanned(s *scanner, next func() ([]string, error)) []string {
	var out []string
	for n := 0; ; n++ {
		rec, err := next()
		if err == io.EOF {
			return out
		}
		var se *syntaxError
		switch {
		case errors.As(err, &se):
			out = append(out, "error "+strconv.Itoa(se.line)+" "+strconv.Itoa(se.field)+" "+se.msg)
		case err != nil:
			out = append(out, "fail "+err.Error())
			return out
		default:
			out = append(out, strconv.Itoa(s.start)+" "+strconv.Quote(strings.Join(rec, "\x00")))
			for i, v := range rec {
				if i < 63 && s.plains&(1<<i) != 0 && !(printable(v) && len(v) <= maxValueLen) {
					out = append(out, "not plain: "+strconv.Quote(v))
				}
			}
		}
		if n == 0 && err == nil {
			s.width = len(rec)
		}
	}
}

// The one-pass scanner reads every input as the scanner it replaced did:
// the same values, the same errors at the same lines and fields, with
// either delimiter, on the nasty rows and whatever the fuzzer makes of them;
// and every value it calls plain is.
func FuzzScannerAgreesWithOld(f *testing.F) {
	for i, row := range nastyRows {
		f.Add(true, nastyRows[(i+5)%len(nastyRows)]+"\n"+row+"\n"+nastyRows[(i+1)%len(nastyRows)]+"\r\n"+row)
		f.Add(false, strings.ReplaceAll(row, ";", ",")+"\n"+nastyRows[(i+2)%len(nastyRows)])
	}
	f.Add(true, "a;b;c\n\"x\ny\";\"1\"\"2\";z\n\"open;1;2\n3;4;5\n")
	f.Fuzz(func(t *testing.T, semicolon bool, src string) {
		delim := byte(',')
		if semicolon {
			delim = ';'
		}
		old := &oldScanner{scanner: newScanner(strings.NewReader(src), delim)}
		want := scanned(old.scanner, old.Read)
		s := newScanner(strings.NewReader(src), delim)
		agree(t, "", scanned(s, s.Read), want)
		// Written over the records before, as a Reader released after
		// every row has it.
		s = newScanner(strings.NewReader(src), delim)
		agree(t, "reused: ", scanned(s, func() ([]string, error) { s.reuse(); return s.Read() }), want)
	})
}

func agree(t *testing.T, how string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("%srecord %d:\n got %s\nwant %s", how, i, got[i], want[i])
			}
		}
		t.Fatalf("%s%d records, want %d", how, len(got), len(want))
	}
}

// The word-at-a-time search splits a line where strings.Split does and
// calls a value plain exactly when it is (printable and not over-long),
// with the delimiter and an odd byte anywhere in a word or the line's tail.
func TestSplitAndPlainsAgreeWithBytewise(t *testing.T) {
	odd := []byte{0x00, 0x1f, ' ', '~', 0x7f, 0x80, 0xbb, 0xff, ':', '<', 0x3b ^ 0x80}
	for n := 1; n <= 20; n++ {
		for i := range n {
			for q := range n {
				for _, o := range odd {
					c := bytes.Repeat([]byte{'x'}, n)
					c[q] = o
					c[i] = ';'
					s := newScanner(bytes.NewReader(c), ';')
					rec, err := s.Read()
					if want := strings.Split(string(c), ";"); err != nil || !slices.Equal(rec, want) {
						t.Fatalf("%q: %q, %v; want %q", c, rec, err, want)
					}
					for k, v := range rec {
						if got, want := s.plains&(1<<k) != 0, printable(v) && len(v) <= maxValueLen; got != want {
							t.Fatalf("%q: value %d (%q) plain %v, want %v", c, k, v, got, want)
						}
					}
				}
			}
		}
	}
	long := strings.Repeat("x", maxValueLen)
	s := newScanner(strings.NewReader(long+";"+long+"x;"+long), ';')
	if _, err := s.Read(); err != nil || s.plains != 0b101 {
		t.Fatalf("plains %b for values of 1000, 1001 and 1000 bytes, err %v", s.plains, err)
	}
}
