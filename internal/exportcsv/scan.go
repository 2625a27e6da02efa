package exportcsv

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// scanner splits a stream into CSV records (RFC 4180 with a ';' or ','
// delimiter) more strictly than encoding/csv's LazyQuotes, which took
// `"ЖКУ" за ноябрь` or a quote left open as the start of a value running
// over the following rows, so a file "reconciled" with rows missing:
//
//   - a value that starts with a quote ends at the matching quote ("" is
//     a quote inside it), which must be followed by the delimiter or the
//     end of the line;
//   - a quoted value may run over lines, but not over lines that hold a
//     whole row's delimiters: that is a quote left open;
//   - a quote inside a value that does not start with one is text, as bank
//     registries write it: Оплата "ЖКУ".
//
// It turns the line breaks inside quoted values into "\n". The fields are
// strings over a chunk of records' text that is only appended to, so
// they stay valid (the collector keeps a chunk while any of them is
// referenced) without an allocation per record; a caller that keeps a
// value long should clone it rather than hold the chunk. A caller that
// copies what it keeps can have the chunk written over instead (reuse),
// so that reading a file allocates no text at all.
type scanner struct {
	r     *bufio.Reader
	delim byte
	width int // fields of a row (the header's), 0 before the header
	line  int // lines read so far
	start int // the line the last record began on

	long   []byte // a line longer than the buffer, assembled
	rec    []byte // the current chunk; the record being read is at its end
	fields []string
	// plains has a bit set for each of the record's first 63 values that
	// the delimiter search found plain (printable ASCII, not over-long):
	// unquoted ones only, for checkShape.
	plains uint64
}

// syntaxError is a record that is not CSV; field is its index in the record.
type syntaxError struct {
	line, field int
	msg         string
}

func (e *syntaxError) Error() string { return e.msg }

func newScanner(r io.Reader, delim byte) *scanner {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &scanner{r: br, delim: delim}
}

// readLine returns the next line without its line break; the slice is
// valid until the next call. It returns io.EOF only when nothing is left.
func (s *scanner) readLine() ([]byte, error) {
	b, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = s.r.ReadSlice('\n')
			s.long = append(s.long, b...)
		}
		b = s.long
	}
	if len(b) == 0 && err != nil {
		return nil, err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	s.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b, nil
}

// Read returns the next record, valid until the next call (its strings
// stay valid); io.EOF at the end; a *syntaxError for a record that is not
// CSV (the rest of its line is skipped, and reading may go on); other
// errors from the reader.
//
// The record's raw text is copied into the chunk once and its values are
// cut out of it in place: an unquoted value is where it is, a quoted one
// is unescaped towards its start (it only gets shorter).
func (s *scanner) Read() ([]string, error) {
	base, err := s.copyLine()
	if err != nil {
		return nil, err
	}
	// The loop works on locals, which stay in registers, rather than on
	// the scanner's fields, which it would load and store for every value:
	// only quoted, which may grow the chunk, takes them and gives them back.
	rec, fields, plains, delim := s.rec, s.fields[:0], uint64(0), s.delim
	const ones, lows, highs = 0x0101010101010101, 0x2020202020202020, 0x8080808080808080
	delims := ones * uint64(delim)
	w, r := base, base // where a value is written, where the raw text is read
	for {
		begin := r
		if r < len(rec) && rec[r] == '"' {
			s.rec, s.fields = rec, fields
			if w, r, err = s.quoted(r, r+1); err != nil {
				s.rec = s.rec[:base]
				return nil, err
			}
			rec = s.rec
		} else {
			// The delimiter, eight bytes at a time (a call per value cost
			// more than the search), and whether the bytes before it are
			// printable ASCII (0x20–0x7F). A byte equal to the delimiter is
			// zero in x, and one below 0x20 in b less lows: each borrows
			// into its high bit, and a borrow only reaches the bytes above,
			// so the lowest bit set is exact. The words are read through a
			// pointer, as the loop's condition bounds them (a slice of rec
			// for each cost as much as the search).
			var odd uint64 // a high bit for each byte that is not printable
			p := unsafe.Pointer(unsafe.SliceData(rec))
			for ; r+8 <= len(rec); r += 8 {
				b := binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, r))[:])
				x := b ^ delims
				if m := (x - ones) &^ x & highs; m != 0 {
					odd |= ((b - lows) | b) & highs & (m&-m - 1) // the bytes below the delimiter
					r += bits.TrailingZeros64(m) / 8
					goto found
				}
				odd |= ((b - lows) | b) & highs
			}
			for ; r < len(rec) && rec[r] != delim; r++ {
				if c := rec[r]; c < 0x20 || c >= utf8.RuneSelf {
					odd = 1
				}
			}
		found:
			if w = r; odd == 0 && w-begin <= maxValueLen && len(fields) < 63 {
				plains |= 1 << len(fields)
			}
		}
		// The value is final: what follows is only written after it (and
		// if a long quoted value moves the chunk, the old array keeps it).
		v := ""
		if w > begin {
			v = unsafe.String(&rec[begin], w-begin)
		}
		fields = append(fields, v)
		if r >= len(rec) {
			break
		}
		r++ // the delimiter; a value follows, if only an empty one
	}
	s.fields, s.plains = fields, plains
	return fields, nil
}

// quoted unescapes a quoted value whose text starts at r (after the
// opening quote) to w, reading further lines while the quote is open, and
// returns where writing and reading stopped: r is after the closing quote.
func (s *scanner) quoted(w, r int) (int, int, error) {
	opened := s.line
	for {
		i := bytes.IndexByte(s.rec[r:], '"')
		if i < 0 { // the value goes on over the line break
			w += copy(s.rec[w:], s.rec[r:])
			s.rec = append(s.rec[:w], '\n')
			w++
			line, err := s.readLine()
			if err == io.EOF {
				return 0, 0, &syntaxError{opened, len(s.fields), "the quote that opens this value is never closed"}
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
		return 0, 0, &syntaxError{s.line, len(s.fields), `text after the closing quote: quote the whole value and double the quotes inside it, e.g. """ЖКУ"" за ноябрь"`}
	}
	return w, r, nil
}

// copyLine reads the next record's first line into the chunk (a new
// chunk when this one has too little room left) and returns where it
// starts there.
func (s *scanner) copyLine() (base int, err error) {
	line, err := s.readLine()
	if err != nil {
		return 0, err
	}
	s.start = s.line
	if cap(s.rec)-len(s.rec) < chunkSpare {
		s.rec = make([]byte, 0, chunkBytes)
	}
	base = len(s.rec)
	s.rec = append(s.rec, line...)
	return base, nil
}

// reuse has the next record written from the start of the chunk, over
// the records read so far: their values must no longer be in use.
func (s *scanner) reuse() { s.rec = s.rec[:0] }

// A chunk holds about 200 rows; a new one starts when fewer bytes than a
// long row are left (a longer record grows the chunk by append, which
// leaves the earlier strings on the old array: still valid).
const (
	chunkBytes = 32 << 10
	chunkSpare = 2 << 10
)

// runaway reports a quoted value that took in what looks like whole rows,
// and skips the line where that was noticed.
func (s *scanner) runaway(opened int) error {
	return &syntaxError{opened, len(s.fields), "the quote that opens this value is not closed on its line: the value would run over the rows up to line " +
		strconv.Itoa(s.line) + " (close the quote, or double it if it is part of the text)"}
}
