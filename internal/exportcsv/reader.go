// Package export reads billing and acquiring CSV exports as a stream:
// encoding and delimiter detected, header matched by name or alias,
// every value parsed and checked, every problem reported with its file,
// line and column.
package exportcsv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xmltext"
)

// Row is one payment line of an export. Acquiring-only fields stay empty for
// billing rows; PeriodMonth is 0 when the period is absent.
type Row struct {
	Line                 int
	Date                 calendar.Date
	BillNumber           string
	SupplierID           string
	ServiceID            string
	AccountNumber        string
	Main, Fine           money.Kopecks
	OrderID              string
	OrderDate            calendar.Date
	PaymentDocumentID    string
	GISServiceID         string
	UnifiedAccountNumber string
	PeriodMonth          int
	PeriodYear           int
	PaymentPurpose       string
	// Refund marks a bank row that returns money (a negative amount, or
	// operation_type refund/возврат): Main and Fine hold the refunded
	// amounts as positive numbers. It is never loaded as a payment.
	Refund bool
}

// Held is a row-level problem (bad number, bad date, empty key field,
// over-long value, control characters, unknown operation type): the row
// cannot be loaded, but the rest of the file can. Next fills the row with
// what it could read (text cleaned and clipped); Amounts says whether Main
// and Fine were read, Dated whether Date was. Whether a held row fails its
// file is the caller's rule (strict mode, the share of bad rows).
type Held struct {
	Err            *Error
	Amounts, Dated bool
}

func (h *Held) Error() string { return h.Err.Error() }

// Clone is the row with its text copied: the reader's values share
// chunks of a file's text, which a row kept for long would keep whole.
func (r *Row) Clone() Row {
	c := *r
	for _, f := range []*string{&c.BillNumber, &c.SupplierID, &c.ServiceID, &c.AccountNumber, &c.OrderID,
		&c.PaymentDocumentID, &c.GISServiceID, &c.UnifiedAccountNumber, &c.PaymentPurpose} {
		*f = strings.Clone(*f)
	}
	return c
}

// Total is main + fine, the sum both sides are compared on.
func (r *Row) Total() money.Kopecks { return r.Main + r.Fine }

// Limits bound what one file may hold.
type Limits struct {
	MaxBytes int64 // 0: DefaultMaxBytes
	MaxRows  int   // 0: DefaultMaxRows
}

const (
	DefaultMaxBytes = 512 << 20
	DefaultMaxRows  = 3_000_000
	maxValueLen     = 1000 // the longest GIS text field we map into (PaymentPurpose)
	sniffBytes      = 64 << 10
)

// Format is what was detected about a file.
type Format struct {
	Encoding  string `json:"encoding"` // "utf-8" or "windows-1251"
	Delimiter string `json:"delimiter"`
}

// Reader streams the rows of one export.
type Reader struct {
	file    string
	kind    Kind
	format  Format
	limits  Limits
	counter *countingReader
	csv     *scanner
	header  []string
	col     [numFields]int // index in the record, -1 when absent
	width   int
	rows    int
	errs    Errors
	done    bool
	utf8    bool
	minDate calendar.Date
	maxDate calendar.Date
	good    int
	held    int
	known   uint64 // a bit for each column read but the purpose, 0 when one is past the 63rd
	// Dates read, as text and parsed: an export's rows carry a handful of
	// dates, so most are read by one comparison.
	dates [16]struct {
		text [10]byte // YYYY-MM-DD or DD.MM.YYYY
		date calendar.Date
		set  bool
	}
}

// ErrTooLarge is wrapped in the file error for an export over Limits.
var ErrTooLarge = errors.New("file too large")

// OrDefault fills the limits left zero with the defaults.
func (l Limits) OrDefault() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	return l
}

// NewReader detects the format of r and reads the header. A header problem
// (empty file, missing column, wrong kind of file) is returned as *Errors.
func NewReader(file string, kind Kind, r io.Reader, limits Limits) (*Reader, error) {
	limits = limits.OrDefault()
	rd := &Reader{file: file, kind: kind, limits: limits}
	for i := range rd.col {
		rd.col[i] = -1
	}
	rd.counter = &countingReader{r: r, limit: limits.MaxBytes}
	var err error
	switch rd.csv, rd.format, err = detect(rd.counter); {
	case errors.Is(err, errEmpty):
		return nil, rd.fail(0, "", "file is empty: a header row is required")
	case err != nil:
		return nil, rd.fileError(err)
	}
	rd.utf8 = rd.format.Encoding == "utf-8"
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

var errEmpty = errors.New("empty file")

// detect sniffs the encoding (UTF-8, with or without BOM, or
// Windows-1251) and the delimiter of an export from its first 64 KiB and
// returns a scanner over its text; errEmpty when there is none.
func detect(r io.Reader) (*scanner, Format, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, Format{}, err
	}
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, Format{}, errEmpty
	}
	var format Format
	var src io.Reader = br
	if validUTF8Prefix(head, len(head) < sniffBytes) {
		format.Encoding = "utf-8"
		if bytes.HasPrefix(mustPeek(br, 3), []byte("\ufeff")) {
			br.Discard(3)
		}
	} else {
		format.Encoding = "windows-1251"
		src = newCP1251Reader(br)
	}
	delim := sniffDelimiter(head)
	format.Delimiter = string(delim)
	return newScanner(src, byte(delim)), format, nil
}

func mustPeek(br *bufio.Reader, n int) []byte {
	b, _ := br.Peek(n)
	return b
}

// Format reports the detected encoding and delimiter.
func (r *Reader) Format() Format { return r.format }

// Rows is how many data rows have been read so far.
func (r *Reader) Rows() int { return r.rows }

// HeldRows is how many rows so far had a row-level problem (see Held).
func (r *Reader) HeldRows() int { return r.held }

// Dates is the range of dates of the good rows read so far; ok is false
// when there were none.
func (r *Reader) Dates() (from, to calendar.Date, ok bool) { return r.minDate, r.maxDate, r.good > 0 }

// Bytes is how many bytes of the file have been read so far.
func (r *Reader) Bytes() int64 { return r.counter.n }

// Errors returns every problem met so far (nil when none).
func (r *Reader) Errors() *Errors {
	if r.errs.Len() == 0 {
		return nil
	}
	return &r.errs
}

func (r *Reader) fail(line int, column, msg string) error {
	r.errs.Add(&Error{File: r.file, Line: line, Column: column, Msg: msg})
	return &r.errs
}

func (r *Reader) fileError(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return r.fail(0, "", fmt.Sprintf("file too large: over %d bytes", r.limits.MaxBytes))
	}
	return fmt.Errorf("read %s: %w", r.file, err)
}

func (r *Reader) readHeader() error {
	rec, err := r.csv.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return r.fail(0, "", "file is empty: a header row is required")
		}
		var se *syntaxError
		if errors.As(err, &se) {
			return r.fail(se.line, "", fmt.Sprintf("header, column %d: %s", se.field+1, se.msg))
		}
		return r.fileError(err)
	}
	r.width = len(rec)
	r.csv.width = len(rec)
	// The header is kept for error messages: its own copy, as Release
	// lets the rows be written over the text it was read from.
	r.header = make([]string, len(rec))
	for i, v := range rec {
		r.header[i] = strings.Clone(v)
	}
	for i, name := range r.header {
		f, ok := aliases[normalizeHeader(name)]
		if !ok {
			continue // extra columns are allowed and ignored
		}
		if r.col[f] >= 0 {
			r.fail(1, name, fmt.Sprintf("column %s appears twice (also column %d)", columnNames[f], r.col[f]+1))
			continue
		}
		r.col[f] = i
	}
	if r.kind == Billing {
		for _, f := range onlyAcquiring {
			if r.col[f] >= 0 {
				r.fail(1, "", fmt.Sprintf("wrong kind of file: column %s marks a bank (acquiring) registry, but the file was uploaded as billing", columnNames[f]))
				return &r.errs
			}
		}
	}
	for _, i := range r.col {
		if i >= 63 {
			r.known = 0
			break
		}
		if i >= 0 && i != r.col[fPaymentPurpose] {
			r.known |= 1 << i
		}
	}
	var missing []string
	for _, f := range required[r.kind] {
		if r.col[f] < 0 {
			missing = append(missing, columnNames[f])
		}
	}
	if len(missing) > 0 {
		msg := "missing column " + strings.Join(missing, ", ")
		if r.kind == Acquiring && r.col[fOrderID] < 0 && r.col[fBillNumber] >= 0 {
			msg = "wrong kind of file: no order_id column, so this is not a bank (acquiring) registry; " + msg
		}
		if len(rec) == 1 {
			msg += fmt.Sprintf(" (the header has one column; the delimiter must be ';' or ',')")
		}
		r.fail(1, "", msg)
	}
	return r.errs.Err()
}

// Release declares that the text of every row read so far is no longer
// used (what is kept was copied): the next rows are written over it
// instead of into new memory. Without it, a row's text stays valid for as
// long as it is referenced. Errors and the header never share that text.
func (r *Reader) Release() { r.csv.reuse() }

// Next reads the next row into row. It returns io.EOF at the end, and a
// *Error for a bad row; reading may continue after a bad row, and every
// problem is also kept in Errors. Other errors (I/O, size) end the file.
func (r *Reader) Next(row *Row) error {
	if r.done {
		return io.EOF
	}
	for {
		rec, err := r.csv.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.done = true
				return io.EOF
			}
			var se *syntaxError
			if errors.As(err, &se) {
				r.rows++
				e := &Error{File: r.file, Line: se.line, Column: r.columnName(se.field), Msg: se.msg}
				r.errs.Add(e)
				return e
			}
			r.done = true
			ferr := r.fileError(err)
			if _, ok := AsErrors(ferr); ok {
				return r.errs.List[len(r.errs.List)-1]
			}
			return ferr
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		r.rows++
		line := r.csv.start
		if r.rows > r.limits.MaxRows {
			r.done = true
			e := &Error{File: r.file, Line: line, Msg: fmt.Sprintf("file too large: over %d rows", r.limits.MaxRows)}
			r.errs.Add(e)
			return e
		}
		if e, rowLevel := r.parse(rec, line, row); e != nil {
			if rowLevel {
				r.held++
				h := &Held{Err: e}
				h.Amounts, h.Dated = r.salvage(rec, line, row)
				return h
			}
			r.errs.Add(e)
			return e
		}
		if r.good == 0 || row.Date < r.minDate {
			r.minDate = row.Date
		}
		if r.good == 0 || row.Date > r.maxDate {
			r.maxDate = row.Date
		}
		r.good++
		return nil
	}
}

// columnName names the i-th field of a row for an error: the canonical
// name of a known column, else the header's text, else its number.
func (r *Reader) columnName(i int) string {
	for f, c := range r.col {
		if c == i {
			return columnNames[f]
		}
	}
	if i < len(r.header) && strings.TrimSpace(r.header[i]) != "" {
		return strings.TrimSpace(r.header[i])
	}
	return fmt.Sprintf("#%d", i+1)
}

// parse reads rec into row; rowLevel tells a problem of this row alone
// from one that says the file is broken (field count, encoding).
func (r *Reader) parse(rec []string, line int, row *Row) (e *Error, rowLevel bool) {
	if e, rowLevel = r.check(rec, line); e != nil {
		return e, rowLevel
	}
	*row = Row{Line: line}
	if e := r.common(rec, line, row); e != nil || r.kind == Billing {
		return e, true
	}
	return r.acquiring(rec, line, row), true
}

// salvage fills a held row with what can be read, for the report: the
// date if it parses, the identifying text cleaned of control characters
// and clipped, and the amounts when both parse (it reports which were read).
func (r *Reader) salvage(rec []string, line int, row *Row) (amounts, dated bool) {
	text := func(f field) string { return clip(strings.TrimSpace(xmltext.Line(r.value(rec, f)))) }
	*row = Row{Line: line, BillNumber: text(fBillNumber), SupplierID: text(fSupplierID), ServiceID: text(fServiceID),
		AccountNumber: text(fAccountNumber), OrderID: text(fOrderID)}
	var err error
	row.Date, err = calendar.ParseDate(r.value(rec, fDate))
	dated = err == nil
	main, err1 := money.Parse(r.value(rec, fMainSum))
	var fine money.Kopecks
	var err2 error
	if v := r.value(rec, fFineSum); v != "" {
		fine, err2 = money.Parse(v)
	}
	if err1 != nil || err2 != nil || main < 0 || fine < 0 {
		return false, dated
	}
	row.Main, row.Fine = main, fine
	return true, dated
}

// checkShape refuses a record with the wrong number of fields or bytes
// that are not text. plains has a bit set for each of the first 63 fields
// that is plain (see plain), for checkValues; known are those the scanner
// already found plain (scanner.plains), which need no look.
func checkShape(file string, rec []string, line, width int, isUTF8 bool, known uint64) (plains uint64, e *Error) {
	if len(rec) != width {
		msg := fmt.Sprintf("%d fields, the header has %d", len(rec), width)
		if slices.ContainsFunc(rec, func(v string) bool { return strings.Contains(v, "\n") }) {
			msg += ` (a field opened with " is never closed)`
		}
		return 0, &Error{File: file, Line: line, Msg: msg}
	}
	first := uint64(1)<<min(len(rec), 63) - 1
	plains = known & first
	for rest := first &^ plains; rest != 0; rest &= rest - 1 { // in field order, as errors are reported
		i := bits.TrailingZeros64(rest)
		plain, e := checkText(file, rec[i], line, i, isUTF8)
		if e != nil {
			return 0, e
		}
		if plain {
			plains |= 1 << i
		}
	}
	for i := 63; i < len(rec); i++ {
		if _, e := checkText(file, rec[i], line, i, isUTF8); e != nil {
			return 0, e
		}
	}
	return plains, nil
}

// checkText refuses the i-th value of a record if it is not text, and
// reports whether it is plain.
func checkText(file, v string, line, i int, isUTF8 bool) (plain bool, e *Error) {
	if printable(v) {
		return len(v) <= maxValueLen, nil
	}
	if isUTF8 && !utf8.ValidString(v) {
		return false, &Error{File: file, Line: line, Column: fmt.Sprintf("#%d", i+1),
			Msg: "not valid UTF-8 (the start of the file is UTF-8: save the whole file in one encoding)"}
	}
	if strings.IndexByte(v, 0) >= 0 {
		return false, &Error{File: file, Line: line, Column: fmt.Sprintf("#%d", i+1), Msg: "contains a NUL byte: not a text file"}
	}
	return false, nil
}

// value is the trimmed value of field f in rec, or "" when the file has no
// such column.
func (r *Reader) value(rec []string, f field) string {
	if i := r.col[f]; i >= 0 {
		return trim(rec[i])
	}
	return ""
}

// errAt is a problem in column f of line.
func (r *Reader) errAt(line int, f field, msg string) *Error {
	return &Error{File: r.file, Line: line, Column: columnNames[f], Msg: msg}
}

// check refuses a record with the wrong number of fields or bytes that are
// not text (the file is broken), then checks its values (see checkValues).
func (r *Reader) check(rec []string, line int) (e *Error, rowLevel bool) {
	plains, e := checkShape(r.file, rec, line, r.width, r.utf8, r.csv.plains)
	if e != nil {
		return e, false
	}
	if r.known != 0 && plains&r.known == r.known && r.shortPurpose(rec) {
		return nil, true // nothing to refuse: see checkValues
	}
	return r.checkValues(rec, line, plains), true
}

// shortPurpose reports whether the free-text purpose, which checkValues
// only refuses for its length, is absent or has no more bytes than that
// allows characters.
func (r *Reader) shortPurpose(rec []string) bool {
	i := r.col[fPaymentPurpose]
	return i < 0 || len(rec[i]) <= maxValueLen
}

// plain is a short value of printable ASCII, which no check refuses: most
// values are, so the rune counting and XML checks are skipped for them.
// plains is checkShape's, for the first 63 fields.
func plain(rec []string, i int, plains uint64) bool {
	if i < 63 {
		return plains&(1<<i) != 0
	}
	return len(rec[i]) <= maxValueLen && printable(rec[i])
}

// checkValues refuses values too long, and characters XML cannot carry
// outside the free-text purpose: problems of the row alone.
func (r *Reader) checkValues(rec []string, line int, plains uint64) *Error {
	bad := func(f field, msg string) *Error { return r.errAt(line, f, msg) }
	for f := field(0); f < numFields; f++ {
		i := r.col[f]
		if i < 0 || plain(rec, i, plains) {
			continue
		}
		if len(rec[i]) > maxValueLen && utf8.RuneCountInString(rec[i]) > maxValueLen {
			return bad(f, fmt.Sprintf("value longer than %d characters", maxValueLen))
		}
		if f == fPaymentPurpose {
			continue // free text: cleaned below
		}
		// Anything but the purpose identifies something (a payer, an
		// order) or is a number or a date: changing it quietly could place
		// a payment elsewhere, so it is an error.
		if j, c := xmltext.Unsafe(trim(rec[i])); j >= 0 {
			switch c {
			case '\r', '\n':
				return bad(f, fmt.Sprintf("contains a line break (%U): the value must be on one line", c))
			case '\t':
				return bad(f, fmt.Sprintf("contains a tab (%U): the value must be on one line", c))
			}
			return bad(f, fmt.Sprintf("contains %U, a character XML does not allow", c))
		}
	}
	return nil
}

// common reads the fields both kinds of export have.
func (r *Reader) common(rec []string, line int, row *Row) *Error {
	get := func(f field) string { return r.value(rec, f) }
	bad := func(f field, msg string) *Error { return r.errAt(line, f, msg) }
	var err error
	if row.Date, err = r.date(get(fDate)); err != nil {
		return bad(fDate, fmt.Sprintf("bad date %q: %v", clip(get(fDate)), err))
	}
	for _, f := range []struct {
		f   field
		dst *string
	}{{fBillNumber, &row.BillNumber}, {fSupplierID, &row.SupplierID}, {fServiceID, &row.ServiceID}} {
		if *f.dst = get(f.f); *f.dst == "" {
			return bad(f.f, "empty value")
		}
	}
	row.AccountNumber = get(fAccountNumber)
	if row.Main, err = money.Parse(get(fMainSum)); err != nil {
		return bad(fMainSum, fmt.Sprintf("bad number %q: %v", clip(get(fMainSum)), err))
	}
	if v := get(fFineSum); v != "" {
		if row.Fine, err = money.Parse(v); err != nil {
			return bad(fFineSum, fmt.Sprintf("bad number %q: %v", clip(v), err))
		}
	}
	if r.kind == Acquiring {
		return nil // a negative amount is a refund there: see refund
	}
	if row.Main < 0 {
		return bad(fMainSum, fmt.Sprintf("negative amount %s", row.Main))
	}
	if row.Fine < 0 {
		return bad(fFineSum, fmt.Sprintf("negative amount %s", row.Fine))
	}
	return nil
}

// date is calendar.ParseDate, with the dates parsed remembered in slots
// chosen by a hash of their ten bytes (the only length a date has).
func (r *Reader) date(s string) (calendar.Date, error) {
	if len(s) != 10 {
		return calendar.ParseDate(s)
	}
	h := (word(s) ^ uint64(half(s[6:]))) * 0x9E3779B97F4A7C15
	slot := &r.dates[h>>60]
	if slot.set && string(slot.text[:]) == s {
		return slot.date, nil
	}
	d, err := calendar.ParseDate(s)
	if err == nil {
		copy(slot.text[:], s)
		slot.date, slot.set = d, true
	}
	return d, err
}

// refund recognises a bank row that returns money: operation_type says so
// (refund, возврат), or the amount is negative. Its amounts are kept as
// positive numbers. A negative part beside a positive one is a bad number.
func (r *Reader) refund(rec []string, line int, row *Row) *Error {
	bad := func(f field, msg string) *Error { return r.errAt(line, f, msg) }
	switch op := strings.ToLower(r.value(rec, fOperationType)); op {
	case "", "payment", "оплата", "платеж", "платёж", "приход":
	case "refund", "return", "возврат", "отмена":
		row.Refund = true
	default:
		return bad(fOperationType, fmt.Sprintf("unknown operation type %q: want payment/оплата or refund/возврат", clip(op)))
	}
	switch {
	case row.Main > 0 && row.Fine < 0:
		return bad(fFineSum, fmt.Sprintf("negative amount %s beside a positive main_sum", row.Fine))
	case row.Fine > 0 && row.Main < 0:
		return bad(fMainSum, fmt.Sprintf("negative amount %s beside a positive fine_sum", row.Main))
	case row.Main < 0 || row.Fine < 0:
		row.Refund = true
		row.Main, row.Fine = -row.Main, -row.Fine
	}
	return nil
}

// acquiring reads the bank registry's own fields.
func (r *Reader) acquiring(rec []string, line int, row *Row) *Error {
	get := func(f field) string { return r.value(rec, f) }
	bad := func(f field, msg string) *Error { return r.errAt(line, f, msg) }
	var err error
	if row.OrderID = get(fOrderID); row.OrderID == "" {
		return bad(fOrderID, "empty value")
	}
	if e := r.refund(rec, line, row); e != nil {
		return e
	}
	if row.OrderDate, err = r.date(get(fOrderDate)); err != nil {
		return bad(fOrderDate, fmt.Sprintf("bad date %q: %v", clip(get(fOrderDate)), err))
	}
	row.PaymentDocumentID = get(fPaymentDocumentID)
	row.GISServiceID = get(fGISServiceID)
	row.UnifiedAccountNumber = get(fUnifiedAccountNumber)
	// The purpose is free text for people: line breaks, tabs and control
	// characters become spaces rather than failing the file.
	row.PaymentPurpose = trim(oneLine(get(fPaymentPurpose)))
	if p := get(fPeriod); p != "" {
		if row.PeriodMonth, row.PeriodYear, err = parsePeriod(p); err != nil {
			return bad(fPeriod, fmt.Sprintf("bad period %q: want MM.YYYY", clip(p)))
		}
	}
	return nil
}

var errPeriod = errors.New("bad period")

func parsePeriod(s string) (month, year int, err error) {
	mm, yyyy, ok := strings.Cut(s, ".")
	if !ok || len(mm) != 2 || len(yyyy) != 4 {
		return 0, 0, errPeriod
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yyyy)
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 1920 || y > 2050 {
		return 0, 0, errPeriod
	}
	return m, y, nil
}

// clip keeps error messages short when a value is garbage.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

// validUTF8Prefix checks a sniffed prefix; a rune cut by the end of the
// sniff window does not count against it.
func validUTF8Prefix(b []byte, complete bool) bool {
	if !complete {
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
				break
			}
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b)
}

// sniffDelimiter picks ';' or ',' by which occurs more in the header line,
// outside quotes. Russian exports favour ';' because ',' is the decimal mark.
func sniffDelimiter(head []byte) rune {
	semi, comma := 0, 0
	quoted := false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			goto done
		case c == ';' && !quoted:
			semi++
		case c == ',' && !quoted:
			comma++
		}
	}
done:
	if comma > semi {
		return ','
	}
	return ';'
}

// countingReader counts bytes and fails once the limit is passed.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return n, ErrTooLarge
	}
	return n, err
}
