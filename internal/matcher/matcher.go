// Package matcher matches a billing export against a bank (acquiring)
// registry by an organisation's Rules: rows match on (bill number,
// supplier, service), with the date in the key or within a window of days;
// main + fine sums are compared exactly. A key may repeat: its rows match
// one to one by amount first, then a billing row against several bank rows
// whose sum equals it, and the rest are one-sided. The billing side is held
// in a compact index, the bank side is streamed (only rows that may still
// match a split or a mismatch wait for the end), and results flow to a
// Sink as they are found, so memory grows with one side only.
package matcher

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"unsafe"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/money"
)

// Status is the outcome for one row (a recon_row's status).
type Status string

const (
	Matched       Status = "check"       // both sides, equal sums
	Split         Status = "check_split" // one of several bank rows whose sum equals one billing row
	Mismatch      Status = "mismatch"
	BillingOnly   Status = "billing_only"
	AcquiringOnly Status = "acquiring_only"
	Refund        Status = "refund" // a bank row returning money: never a payment, a candidate for cancellation
	Held          Status = "held"   // a row with a row-level problem, with its reason
)

// Statuses lists every status in report order.
var Statuses = []Status{Matched, Split, Mismatch, BillingOnly, AcquiringOnly, Refund, Held}

// Result is one reconciled row. Billing or Acquiring is nil for a one-sided
// row; a held row has the side it came from, as far as it could be read.
// A Result and the rows it points to are only valid during Sink.Emit.
type Result struct {
	Day             calendar.Date // the bank row's date for a match; unset (Dated false) for a held row without a date
	Dated           bool
	Status          Status
	Billing         *exportcsv.Row
	Acquiring       *exportcsv.Row
	BillingSource   int // index into the billing inputs
	AcquiringSource int // index into the acquiring inputs
	// Problem is a held row's reason; Amounts says whether its row's
	// amounts were read.
	Problem *exportcsv.Error
	Amounts bool
}

// Sink receives results: the bank rows in file order as they are decided,
// then the bank rows that waited for the whole file, then the billing-only
// rows in billing file order. Held rows and refunds come as they are read.
type Sink interface {
	Emit(*Result) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(*Result) error

func (f SinkFunc) Emit(r *Result) error { return f(r) }

// Discard is a Sink that keeps nothing.
var Discard = SinkFunc(func(*Result) error { return nil })

// Day is the per-day summary. Matched counts bank rows matched exactly or
// as part of a split; MatchedSum is their sum.
type Day struct {
	Day            calendar.Date `json:"day"`
	BillingCount   int           `json:"billing_count"`
	AcquiringCount int           `json:"acquiring_count"`
	BillingSum     money.Kopecks `json:"billing_sum"`
	AcquiringSum   money.Kopecks `json:"acquiring_sum"`
	Matched        int           `json:"matched"`
	MatchedSum     money.Kopecks `json:"matched_sum"`
	Mismatched     int           `json:"mismatched"`
	BillingOnly    int           `json:"billing_only"`
	AcquiringOnly  int           `json:"acquiring_only"`
}

// Difference is billing minus acquiring.
func (d *Day) Difference() money.Kopecks { return d.BillingSum - d.AcquiringSum }

// Summary is the whole reconciliation: per-day rows sorted by date and
// their totals, and the rows outside the days' counts: held rows and
// refunds (by their refunded amounts).
type Summary struct {
	Days      []Day         `json:"days"`
	Total     Day           `json:"total"`
	Held      int           `json:"held"`
	Refunds   int           `json:"refunds"`
	RefundSum money.Kopecks `json:"refund_sum"`
}

// Add adds o's counts and sums to d.
func (d *Day) Add(o *Day) {
	d.BillingCount += o.BillingCount
	d.AcquiringCount += o.AcquiringCount
	d.BillingSum = d.BillingSum.Plus(o.BillingSum)
	d.AcquiringSum = d.AcquiringSum.Plus(o.AcquiringSum)
	d.Matched += o.Matched
	d.MatchedSum = d.MatchedSum.Plus(o.MatchedSum)
	d.Mismatched += o.Mismatched
	d.BillingOnly += o.BillingOnly
	d.AcquiringOnly += o.AcquiringOnly
}

// Input is one opened export.
type Input struct {
	Name   string
	Reader *exportcsv.Reader
	Size   int64 // bytes, when known: sizes the indexes up front
}

// Low estimates of a line of each kind of export (a bank row carries the
// order id and the purpose), so size hints overshoot a little; what does
// not fit grows by append.
const (
	billingBytesPerRow = 48
	bankBytesPerRow    = 96
)

func rowsHint(inputs []Input, bytesPerRow int64) int {
	var n int64
	for _, in := range inputs {
		n += in.Size / bytesPerRow
	}
	return int(min(n, 1<<24))
}

// billingRow is the compact form of a billing line kept in the index: no
// pointers (the garbage collector never scans the index), its text in the
// matcher's arena at text, the lengths of bill, supplier, service and
// account in lens. Rows of one key are chained through next (-1 ends it),
// the newest first. 48 bytes: neither the key's hash nor the total is
// kept, as both follow from the rest (see rowHash, total), and 300 000
// rows are 14 MB, which a short process pays for in pages first touched.
type billingRow struct {
	date       calendar.Date
	line       int32
	source     int32
	next       int32
	text       uint32
	lens       [4]uint16
	matched    bool
	main, fine money.Kopecks
}

func (b *billingRow) total() money.Kopecks { return b.main + b.fine }

// textAt is n bytes of the arena from off as a string, without copying:
// the arena is not appended to once the billing side is loaded, so the
// string stays valid. A billing row's fields (bill, supplier, service,
// account) follow one another from b.text, b.lens long (key).
func (m *matcher) textAt(off, n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&m.text[off], n)
}

// order is a bank row's order id, kept to find repeated ones: its text in
// the matcher's orderText at text, n bytes long. Its hash is not kept: the
// table's tag sorts out nearly every other id before the text is compared.
type order struct {
	text, n      uint32
	source, line int32
}

// pendingRow is a bank row that may still match a split or a mismatch:
// its key has unmatched billing rows but none of its amount.
type pendingRow struct {
	row    exportcsv.Row
	source int32
	hash   uint64
	done   bool
}

type matcher struct {
	rules              Rules
	billing, acquiring []Input
	seed               maphash.Seed
	index              *table // key hash → newest billing row with it
	rows               []billingRow
	text               []byte // the billing rows' text, back to back
	orderIndex         *table // order id hash → its entry in orders
	orders             []order
	orderText          []byte
	pending            []pendingRow
	days               map[calendar.Date]*Day
	recentDays         [64]*Day // days by date modulo 64: a period's days are found without a map probe
	errs               exportcsv.Errors
	sink               Sink
	brow               exportcsv.Row
	res                Result
	keyBuf             []byte
	from, to           calendar.Date
	windowed           bool
	warmed             uint32 // see warm
	inline             bool   // parse rows as they are taken, not on a goroutine ahead
	held, refunds      int
	refundSum          money.Kopecks
}

// Option adjusts a reconciliation.
type Option func(*matcher)

// Within limits the reconciliation to rows dated from..to inclusive; rows
// outside are checked for errors but otherwise skipped.
func Within(from, to calendar.Date) Option {
	return func(m *matcher) { m.from, m.to, m.windowed = from, to, true }
}

// WithRules sets the organisation's rules (default: DefaultRules).
func WithRules(r Rules) Option { return func(m *matcher) { m.rules = r } }

// ReadInline parses rows on the reconciliation's goroutine, a few at a
// time, instead of on one of their own a few batches ahead: no overlap of
// decoding and matching, so more time, but less CPU, as no batch is handed
// between goroutines (for a one-shot process that pays for CPU, not for
// waiting).
func ReadInline() Option { return func(m *matcher) { m.inline = true } }

// Run reconciles the billing inputs against the acquiring inputs, emitting
// every result to sink. File-level problems, and held rows past a file's
// allowance (any, in strict mode), are collected and returned together as
// *exportcsv.Errors; once one is found nothing more is emitted, so the
// caller must discard what the sink received.
func Run(billing, acquiring []Input, sink Sink, opts ...Option) (*Summary, error) {
	billingRows, bankRows := rowsHint(billing, billingBytesPerRow), rowsHint(acquiring, bankBytesPerRow)
	// The arrays are fresh memory, so only what is written is faulted in,
	// in 4 KiB pages. Huge pages (MADV_HUGEPAGE) were dropped: where the
	// hypervisor takes back freed 2 MiB blocks (free page reporting), a
	// fresh huge page is often one it has to fault in again, and clearing
	// the indexes' cost 0.01–0.13 s of system time by the luck of the draw,
	// against a steady 0.03–0.06 s in 4 KiB pages.
	m := &matcher{
		rules:     DefaultRules(),
		billing:   billing,
		acquiring: acquiring,
		seed:      maphash.MakeSeed(),
		rows:      make([]billingRow, 0, billingRows),
		text:      make([]byte, 0, billingRows*32),
		orders:    make([]order, 0, bankRows),
		orderText: make([]byte, 0, bankRows*24),
		days:      make(map[calendar.Date]*Day),
		sink:      sink,
	}
	m.index = newTable(billingRows, m.rowHash)
	for _, o := range opts {
		o(m)
	}
	if err := m.rules.Validate(); err != nil {
		return nil, err
	}
	for _, step := range []func() error{m.loadBilling, m.streamAcquiring, m.settlePending, m.emitBillingOnly} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := m.errs.Err(); err != nil {
		return nil, err
	}
	return m.summary(), nil
}

// hash hashes a row's key: (bill, supplier, service), with the date first
// when the rules put it in the key.
func (m *matcher) hash(date calendar.Date, bill, supplier, service string) uint64 {
	b := m.keyBuf[:0]
	if m.rules.KeyWithDate {
		b = append(b, byte(date), byte(date>>8), byte(date>>16), byte(date>>24))
	}
	b = append(b, bill...)
	b = append(b, 0x1f)
	b = append(b, supplier...)
	b = append(b, 0x1f)
	b = append(b, service...)
	m.keyBuf = b
	return maphash.Bytes(m.seed, b)
}

// orderHash is the hash of an order id: of a bank row's as it is read,
// and of a kept one's when the order-id index grows.
func (m *matcher) orderHash(id string) uint64 { return maphash.String(m.seed, id) }

// key is billing row b's bill, supplier and service, found in one walk
// of their lengths.
func (m *matcher) key(b *billingRow) (bill, supplier, service string) {
	off, l0, l1 := int(b.text), int(b.lens[0]), int(b.lens[1])
	return m.textAt(off, l0), m.textAt(off+l0, l1), m.textAt(off+l0+l1, int(b.lens[2]))
}

// rowHash is the hash of the key of the e-th billing row.
func (m *matcher) rowHash(e uint32) uint64 {
	b := &m.rows[e]
	bill, supplier, service := m.key(b)
	return m.hash(b.date, bill, supplier, service)
}

// sameKey reports whether billing row b has r's key.
func (m *matcher) sameKey(b *billingRow, r *exportcsv.Row) bool {
	if m.rules.KeyWithDate && b.date != r.Date {
		return false
	}
	bill, supplier, service := m.key(b)
	return bill == r.BillNumber && supplier == r.SupplierID && service == r.ServiceID
}

// near reports whether a billing row can match a bank row dated d: same
// key, not matched yet, its date within the window.
func (m *matcher) near(b *billingRow, r *exportcsv.Row) bool {
	return !b.matched && abs(int32(b.date-r.Date)) <= m.rules.window() && m.sameKey(b, r)
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// exact finds the unmatched billing row of r's key with r's sum, the
// nearest in date (the earliest in file order on a tie), or -1; open
// reports whether any unmatched billing row of the key is in reach.
func (m *matcher) exact(h uint64, r *exportcsv.Row) (best int32, open bool) {
	best = -1
	i := m.newest(h, r)
	for i >= 0 {
		b := &m.rows[i]
		if m.near(b, r) {
			open = true
			if b.total() == r.Total() && (best < 0 || abs(int32(b.date-r.Date)) <= abs(int32(m.rows[best].date-r.Date))) {
				best = i
			}
		}
		i = b.next
	}
	return best, open
}

// newest is the last billing row read with r's key, whose hash is h, or -1.
func (m *matcher) newest(h uint64, r *exportcsv.Row) int32 {
	i, ok := m.index.find(h, func(e uint32) bool { return m.sameKey(&m.rows[e], r) })
	if !ok {
		return -1
	}
	return int32(i)
}

// firstOrder finds the bank row that had order id id before, if any, or
// keeps this one's (at source, line) for the rows to come.
func (m *matcher) firstOrder(id string, h uint64, source, line int) (order, bool) {
	same := func(e uint32) bool { return m.orderID(&m.orders[e]) == id }
	if e, ok := m.orderIndex.find(h, same); ok {
		return m.orders[e], true
	}
	m.orders = append(m.orders, order{text: uint32(len(m.orderText)), n: uint32(len(id)),
		source: int32(source), line: int32(line)})
	m.orderText = append(m.orderText, id...)
	m.orderIndex.put(h, uint32(len(m.orders)-1), same)
	return order{}, false
}

// orderID is o's text, over orderText without a copy.
func (m *matcher) orderID(o *order) string {
	return unsafe.String(unsafe.SliceData(m.orderText[o.text:]), int(o.n))
}

func (m *matcher) day(d calendar.Date) *Day {
	slot := &m.recentDays[uint32(d)%uint32(len(m.recentDays))]
	if *slot != nil && (*slot).Day == d {
		return *slot
	}
	s, ok := m.days[d]
	if !ok {
		s = &Day{Day: d}
		m.days[d] = s
	}
	*slot = s
	return s
}

type side int

const (
	billingSide side = iota
	acquiringSide
)

// each calls fn for every good row of in and holds the rows with
// row-level problems, collecting file-level ones; at the end of the file
// it fails the file if it held more rows than the rules allow. Parsing
// runs on its own goroutine a few batches ahead, so decoding overlaps
// matching, unless the reconciliation reads inline. Either way the rows
// are warmed a few at a time before they are taken.
func (m *matcher) each(in Input, s side, src int, fn func(*parsed) error) error {
	var held []*exportcsv.Error
	take := func(batch []parsed) (bool, error) {
		return takeWarmed(batch, func(b []parsed) { m.warm(b, s) }, func(p *parsed) (bool, error) { return m.take(p, s, src, fn, &held) })
	}
	var stop bool
	var err error
	if m.inline {
		stop, err = readInline(in.Reader, take)
	} else {
		stop, err = readAhead(in.Reader, take)
	}
	if stop || err != nil {
		return err
	}
	m.judge(in, held)
	return nil
}

// hashRow hashes p's key, and a bank row's order id.
func (m *matcher) hashRow(p *parsed, s side) {
	p.key = m.hash(p.row.Date, p.row.BillNumber, p.row.SupplierID, p.row.ServiceID)
	if s == acquiringSide {
		p.order = m.orderHash(p.row.OrderID)
	}
}

// take passes one parsed row on: to fn if it is good, as held if it has a
// row-level problem (noting the problem in held), or to the file-level
// problems; stop says that the file is not to be read further.
func (m *matcher) take(p *parsed, s side, src int, fn func(*parsed) error, held *[]*exportcsv.Error) (stop bool, err error) {
	if p.err == nil {
		if m.outside(p.row.Date) {
			return false, nil
		}
		return false, fn(p) // warm has hashed the row
	}
	var h *exportcsv.Held
	if errors.As(p.err, &h) {
		if h.Dated && m.outside(p.row.Date) {
			return false, nil
		}
		if len(*held) < exportcsv.MaxErrors {
			*held = append(*held, h.Err)
		}
		return false, m.hold(s, src, &p.row, h)
	}
	var e *exportcsv.Error
	if !errors.As(p.err, &e) {
		return true, p.err
	}
	m.errs.Add(e)
	// a file-level problem, or enough to report
	return e.Line == 0 || m.errs.Len() >= exportcsv.MaxErrors, nil
}

// warm hashes a batch of rows about to be taken (take leaves the hashing
// to it) and loads the table slots their keys (and a bank row's order id)
// fall in, and for a bank row the billing row a slot names and its text
// (the key is compared there). Taken one row at a time, each of those
// loads is a cache miss the row waits for (the tables are megabytes, read
// at random): about a third of the matching's time; issued together for
// the batch, the misses overlap. Only the loads matter: the sum is kept
// so that they are not left out.
func (m *matcher) warm(batch []parsed, s side) {
	for i := range batch {
		if p := &batch[i]; p.err == nil {
			m.hashRow(p, s)
		}
	}
	var sum uint32
	for i := range batch {
		if p := &batch[i]; p.err == nil {
			sum += m.index.slots[p.key&m.index.mask].entry
			if s == acquiringSide {
				sum += m.orderIndex.slots[p.order&m.orderIndex.mask].entry
			}
		}
	}
	if s == acquiringSide {
		for i := range batch {
			if p := &batch[i]; p.err == nil {
				if e := m.index.slots[p.key&m.index.mask].entry; e > 0 {
					sum += uint32(m.text[m.rows[e-1].text]) // the row and its key's text
				}
			}
		}
	}
	m.warmed += sum
}

func (m *matcher) outside(d calendar.Date) bool { return m.windowed && (d < m.from || d > m.to) }

// judge fails a file that held more rows than the rules allow, with every
// held row located.
func (m *matcher) judge(in Input, held []*exportcsv.Error) {
	n, rows := in.Reader.HeldRows(), in.Reader.Rows()
	if n <= m.rules.allowedBad(rows) {
		return
	}
	if !m.rules.Strict {
		m.errs.Add(&exportcsv.Error{File: in.Name, Msg: fmt.Sprintf(
			"%d of %d rows have problems, more than the %g%% the organisation allows: the file is refused (the rows follow)",
			n, rows, m.rules.MaxBadShare*100)})
	}
	for _, e := range held {
		m.errs.Add(e)
	}
}

// hold emits a row with a row-level problem as held, with its reason.
func (m *matcher) hold(s side, src int, row *exportcsv.Row, h *exportcsv.Held) error {
	m.held++
	res := Result{Day: row.Date, Dated: h.Dated, Status: Held, Problem: h.Err, Amounts: h.Amounts}
	if s == billingSide {
		res.Billing, res.BillingSource = row, src
	} else {
		res.Acquiring, res.AcquiringSource = row, src
	}
	return m.emit(res)
}

type parsed struct {
	row        exportcsv.Row
	err        error
	key, order uint64 // a good row's hashes: see hashRow
}

// takeWarmed shows batch to warm inlineRows at a time, each time just
// before take takes those rows, until take stops or fails.
func takeWarmed(batch []parsed, warm func([]parsed), take func(*parsed) (bool, error)) (stop bool, err error) {
	for len(batch) > 0 {
		n := min(len(batch), inlineRows)
		warm(batch[:n])
		for i := range n {
			if stop, err = take(&batch[i]); stop || err != nil {
				return stop, err
			}
		}
		batch = batch[n:]
	}
	return false, nil
}

// readInline parses r's rows on the caller's goroutine, inlineRows at a
// time, and has take take each batch, until take stops or an error ends
// the reading. What take keeps of a row it copies (the billing index's
// text, order ids, pending rows' clones) and a sink may only read a row
// during Emit, so once a batch is taken its text is released: the next
// batches are read into the same memory instead of into new chunks the
// collector has to come for.
func readInline(r *exportcsv.Reader, take func([]parsed) (bool, error)) (stop bool, err error) {
	var batch [inlineRows]parsed
	for {
		n, eof := 0, false
		for ; n < len(batch); n++ {
			p := &batch[n]
			if p.err = r.Next(&p.row); p.err != nil && errors.Is(p.err, io.EOF) {
				eof = true
				break
			}
		}
		if stop, err = take(batch[:n]); stop || err != nil {
			return stop, err
		}
		if eof {
			return false, nil
		}
		r.Release()
	}
}

// inlineRows is the batch readInline warms at once: enough for the cache
// misses to overlap (8 to 64 measured the same), few enough to stay in cache.
const inlineRows = 16

// readAhead parses r's rows on a goroutine of its own a few batches ahead
// and has take take each batch here, until take stops or an error ends
// the reading.
func readAhead(r *exportcsv.Reader, take func([]parsed) (bool, error)) (stop bool, err error) {
	batches, free := make(chan []parsed, 4), make(chan []parsed, 6)
	done := make(chan struct{})
	go parseAhead(r, batches, free, done)
	defer func() {
		close(done)
		for range batches { // let the reader goroutine finish
		}
	}()
	for batch := range batches {
		if stop, err = take(batch); stop || err != nil {
			return stop, err
		}
		select {
		case free <- batch[:0]: // the reader fills it again
		default:
		}
	}
	return false, nil
}

const batchRows = 256

// parseAhead parses rows into batches, taking spent batches back from free
// so that reading allocates no batch per 256 rows.
func parseAhead(r *exportcsv.Reader, out chan<- []parsed, free <-chan []parsed, stop <-chan struct{}) {
	defer close(out)
	batch := make([]parsed, 0, batchRows)
	send := func() bool {
		select {
		case out <- batch:
		case <-stop:
			return false
		}
		select {
		case batch = <-free:
		default:
			batch = make([]parsed, 0, batchRows)
		}
		return true
	}
	for {
		batch = batch[:len(batch)+1]
		p := &batch[len(batch)-1]
		p.err = r.Next(&p.row)
		if errors.Is(p.err, io.EOF) {
			batch = batch[:len(batch)-1]
			break
		}
		if len(batch) == batchRows && !send() {
			return
		}
	}
	if len(batch) > 0 {
		send()
	}
}

func (m *matcher) loadBilling() error {
	for src, in := range m.billing {
		err := m.each(in, billingSide, src, func(p *parsed) error {
			row, h := &p.row, p.key
			next := m.newest(h, row)
			b := billingRow{date: row.Date, line: int32(row.Line), source: int32(src), next: next,
				text: uint32(len(m.text)), main: row.Main, fine: row.Fine}
			for i, f := range [...]string{row.BillNumber, row.SupplierID, row.ServiceID, row.AccountNumber} {
				b.lens[i] = uint16(len(f)) // at most 1000 characters, 4000 bytes
				m.text = append(m.text, f...)
			}
			m.rows = append(m.rows, b)
			m.index.put(h, uint32(len(m.rows)-1), func(e uint32) bool { return m.sameKey(&m.rows[e], row) })
			d := m.day(row.Date)
			d.BillingCount++
			d.BillingSum = d.BillingSum.Plus(row.Total())
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// orderRows is how many bank rows the order-id index is sized for: the
// estimate from the registries' sizes, but no more than the billing rows
// and a quarter. A registry has about as many rows as the billing export
// it is matched against, while its bytes per row vary with its optional
// columns (a purpose makes half again bankBytesPerRow): sized from bytes
// alone, the index took twice the slots it needed, all of them touched.
// A registry of more rows grows it.
func (m *matcher) orderRows() int {
	return min(rowsHint(m.acquiring, bankBytesPerRow), len(m.rows)+len(m.rows)/4)
}

func (m *matcher) streamAcquiring() error {
	m.orderIndex = newTable(m.orderRows(), func(e uint32) uint64 { return m.orderHash(m.orderID(&m.orders[e])) })
	for src, in := range m.acquiring {
		err := m.each(in, acquiringSide, src, func(p *parsed) error {
			row := &p.row
			if row.Refund {
				m.refunds++
				m.refundSum = m.refundSum.Plus(row.Total())
				return m.emit(Result{Day: row.Date, Dated: true, Status: Refund, Acquiring: row, AcquiringSource: src})
			}
			if first, dup := m.firstOrder(row.OrderID, p.order, src, row.Line); dup {
				return m.hold(acquiringSide, src, row, &exportcsv.Held{Dated: true, Amounts: true, Err: &exportcsv.Error{
					File: in.Name, Line: row.Line, Column: "order_id",
					Msg: fmt.Sprintf("duplicate order_id: first at %s line %d", m.acquiring[first.source].Name, first.line)}})
			}
			d := m.day(row.Date)
			d.AcquiringCount++
			d.AcquiringSum = d.AcquiringSum.Plus(row.Total())
			h := p.key
			i, open := m.exact(h, row)
			switch {
			case i >= 0:
				return m.match(Matched, &m.rows[i], row, src)
			case open:
				m.pending = append(m.pending, pendingRow{row: row.Clone(), source: int32(src), hash: h})
				return nil
			}
			d.AcquiringOnly++
			return m.emit(Result{Day: row.Date, Dated: true, Status: AcquiringOnly, Acquiring: row, AcquiringSource: src})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// match emits a bank row matched to billing row b (Matched, Split or
// Mismatch), on the bank row's day.
func (m *matcher) match(st Status, b *billingRow, row *exportcsv.Row, src int) error {
	b.matched = true
	d := m.day(row.Date)
	if st == Mismatch {
		d.Mismatched++
	} else {
		d.Matched++
		d.MatchedSum = d.MatchedSum.Plus(row.Total())
	}
	return m.emit(Result{Day: row.Date, Dated: true, Status: st, Acquiring: row, AcquiringSource: src,
		Billing: m.billingRow(b), BillingSource: int(b.source)})
}

func (m *matcher) billingRow(b *billingRow) *exportcsv.Row {
	bill, supplier, service := m.key(b)
	account := m.textAt(int(b.text)+len(bill)+len(supplier)+len(service), int(b.lens[3]))
	m.brow = exportcsv.Row{Line: int(b.line), Date: b.date, BillNumber: bill, SupplierID: supplier,
		ServiceID: service, AccountNumber: account, Main: b.main, Fine: b.fine}
	return &m.brow
}

// emit hands r to the sink in the matcher's one Result, which the sink
// may read only during Emit: no allocation per row.
func (m *matcher) emit(r Result) error {
	if m.errs.Len() > 0 {
		return nil // the run is failing; keep reading only to report every problem
	}
	m.res = r
	return m.sink.Emit(&m.res)
}

func (m *matcher) emitBillingOnly() error {
	for i := range m.rows {
		b := &m.rows[i]
		if b.matched {
			continue
		}
		m.day(b.date).BillingOnly++
		if err := m.emit(Result{Day: b.date, Dated: true, Status: BillingOnly, Billing: m.billingRow(b),
			BillingSource: int(b.source)}); err != nil {
			return err
		}
	}
	return nil
}

func (m *matcher) summary() *Summary {
	s := &Summary{Days: make([]Day, 0, len(m.days)), Held: m.held, Refunds: m.refunds, RefundSum: m.refundSum}
	for _, d := range m.days {
		s.Days = append(s.Days, *d)
		s.Total.Add(d)
	}
	slices.SortFunc(s.Days, func(a, b Day) int { return int(a.Day - b.Day) })
	return s
}

// Discrepancy is a stored result that needs a person's attention: a sum
// mismatch, a payment seen on one side only, a split match, a refund, a
// held row. Amounts absent on a side are nil.
type Discrepancy struct {
	Day                          calendar.Date
	Undated                      bool // a held row whose date could not be read
	Status                       Status
	BillNumber                   string
	SupplierID                   string
	ServiceID                    string
	AccountNumber                string
	BillingMain, BillingFine     *money.Kopecks
	AcquiringMain, AcquiringFine *money.Kopecks
	OrderID                      string
	BillingRef, AcquiringRef     string // file:line
	Reason                       string // why a row is held
}

// BillingTotal is main + fine on the billing side (0 when absent).
func (d *Discrepancy) BillingTotal() money.Kopecks { return sum(d.BillingMain, d.BillingFine) }

// AcquiringTotal is main + fine on the bank side (0 when absent).
func (d *Discrepancy) AcquiringTotal() money.Kopecks { return sum(d.AcquiringMain, d.AcquiringFine) }

func sum(a, b *money.Kopecks) money.Kopecks {
	var t money.Kopecks
	if a != nil {
		t += *a
	}
	if b != nil {
		t += *b
	}
	return t
}
