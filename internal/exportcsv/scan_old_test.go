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
type oldScanner struct {
	*scanner
	begins, ends []int
}

func (s *oldScanner) Read() ([]string, error) {
	line, err := s.readLine()
	if err != nil {
		return nil, err
	}
	s.start = s.line
	if cap(s.rec)-len(s.rec) < chunkSpare {
		s.rec = make([]byte, 0, chunkBytes)
	}
	base := len(s.rec)
	s.rec = append(s.rec, line...)
	s.begins, s.ends = s.begins[:0], s.ends[:0]
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
		if r >= len(s.rec) {
			break
		}
		r++
	}
	s.fields = s.fields[:0]
	for i, end := range s.ends {
		v := ""
		if begin := s.begins[i]; end > begin {
			v = unsafe.String(&s.rec[begin], end-begin)
		}
		s.fields = append(s.fields, v)
	}
	return s.fields, nil
}

func (s *oldScanner) quoted(w, r int) (int, int, error) {
	opened := s.line
	for {
		i := bytes.IndexByte(s.rec[r:], '"')
		if i < 0 {
			w += copy(s.rec[w:], s.rec[r:])
			s.rec = append(s.rec[:w], '\n')
			w++
			line, err := s.readLine()
			if err == io.EOF {
				return 0, 0, &syntaxError{opened, len(s.ends), "the quote that opens this value is never closed"}
			} else if err != nil {
				return 0, 0, err
			}
			if s.width > 1 && bytes.Count(line, []byte{s.delim}) >= s.width-1 {
				return 0, 0, s.runaway(opened)
			}
			r = len(s.rec)
			s.rec = append(s.rec, line...)
			continue
		}
		w += copy(s.rec[w:], s.rec[r:r+i])
		r += i + 1
		if r < len(s.rec) && s.rec[r] == '"' {
			s.rec[w] = '"'
			w, r = w+1, r+1
			continue
		}
		break
	}
	if r < len(s.rec) && s.rec[r] != s.delim {
		if opened != s.line {
			return 0, 0, s.runaway(opened)
		}
		return 0, 0, &syntaxError{s.line, len(s.ends), `text after the closing quote: quote the whole value and double the quotes inside it, e.g. """ЖКУ"" за ноябрь"`}
	}
	return w, r, nil
}

func (s *oldScanner) runaway(opened int) error {
	return &syntaxError{opened, len(s.ends), "the quote that opens this value is not closed on its line: the value would run over the rows up to line " +
		strconv.Itoa(s.line) + " (close the quote, or double it if it is part of the text)"}
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
		}
		if n == 0 && err == nil {
			s.width = len(rec)
		}
	}
}

// The one-pass scanner reads every input as the scanner it replaced did:
// the same values, the same errors at the same lines and fields, with
// either delimiter, on the nasty rows and whatever the fuzzer makes of them.
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
		s := newScanner(strings.NewReader(src), delim)
		got := scanned(s, s.Read)
		old := &oldScanner{scanner: newScanner(strings.NewReader(src), delim)}
		want := scanned(old.scanner, old.Read)
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("record %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
			t.Fatalf("%d records, want %d", len(got), len(want))
		}
	})
}

// indexDelim finds what bytes.IndexByte finds, wherever the delimiter is
// in a word, beside any byte.
func TestIndexDelimAgreesWithIndexByte(t *testing.T) {
	b := []byte(strings.Repeat("\x00\x01:<\x3d\x80\xbb\xff", 5)) // ';' ± 1, ';' ^ 0x80
	for i := range b {
		for from := 0; from <= i+1 && from <= len(b); from++ {
			c := slices.Clone(b)
			c[i] = ';'
			want := bytes.IndexByte(c[from:], ';')
			if want < 0 {
				want = len(c)
			} else {
				want += from
			}
			if got := indexDelim(c, from, ';'); got != want {
				t.Fatalf("delimiter at %d, from %d: %d, want %d", i, from, got, want)
			}
		}
	}
}
