package exportcsv

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Records reads an export of any other kind (cancellations) with the same
// rules as Reader: encoding and delimiter detected, RFC 4180 quoting as
// scanner reads it, rows of the header's width, text only, located errors.
// What the columns mean is the caller's.
type Records struct {
	file    string
	limits  Limits
	format  Format
	counter *countingReader
	csv     *scanner
	header  []string
	rows    int
}

// NewRecords detects the format of r and reads its header row.
func NewRecords(file string, r io.Reader, limits Limits) (*Records, error) {
	limits = limits.OrDefault()
	rd := &Records{file: file, limits: limits, counter: &countingReader{r: r, limit: limits.MaxBytes}}
	var err error
	rd.csv, rd.format, err = detect(rd.counter)
	if errors.Is(err, errEmpty) {
		return nil, &Error{File: file, Msg: "file is empty: a header row is required"}
	}
	if err != nil {
		return nil, rd.fileError(err)
	}
	rec, err := rd.csv.Read()
	var se *syntaxError
	switch {
	case errors.Is(err, io.EOF):
		return nil, &Error{File: file, Msg: "file is empty: a header row is required"}
	case errors.As(err, &se):
		return nil, &Error{File: file, Line: se.line, Msg: fmt.Sprintf("header, column %d: %s", se.field+1, se.msg)}
	case err != nil:
		return nil, rd.fileError(err)
	}
	rd.header = slices.Clone(rec)
	rd.csv.width = len(rec)
	return rd, nil
}

func (r *Records) fileError(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return &Error{File: r.file, Msg: fmt.Sprintf("file too large: over %d bytes", r.limits.MaxBytes)}
	}
	return fmt.Errorf("read %s: %w", r.file, err)
}

// Header is the header row as written.
func (r *Records) Header() []string { return r.header }

// Format reports the detected encoding and delimiter.
func (r *Records) Format() Format { return r.format }

// Next returns the next non-blank record and the line it starts on: io.EOF
// at the end, a *Error for a record that is not a row of the file (reading
// may go on), other errors (I/O, size) for the file as a whole. The record
// is valid until the next call.
func (r *Records) Next() ([]string, int, error) {
	for {
		rec, err := r.csv.Read()
		var se *syntaxError
		switch {
		case errors.Is(err, io.EOF):
			return nil, 0, io.EOF
		case errors.As(err, &se):
			col := fmt.Sprintf("#%d", se.field+1)
			if se.field < len(r.header) {
				col = strings.TrimSpace(r.header[se.field])
			}
			return nil, se.line, &Error{File: r.file, Line: se.line, Column: col, Msg: se.msg}
		case err != nil:
			return nil, 0, r.fileError(err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		line := r.csv.start
		if r.rows++; r.rows > r.limits.MaxRows {
			return nil, line, &Error{File: r.file, Line: line, Msg: fmt.Sprintf("file too large: over %d rows", r.limits.MaxRows)}
		}
		if _, e := checkShape(r.file, rec, line, len(r.header), r.format.Encoding == "utf-8", r.csv.plains); e != nil {
			return nil, line, e
		}
		return rec, line, nil
	}
}

// NormalizeHeader folds a header name as the exports' aliases are matched:
// case, ё, quotes and separators.
func NormalizeHeader(s string) string { return normalizeHeader(s) }
