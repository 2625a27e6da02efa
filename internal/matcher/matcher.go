// Package reconcile matches a billing export against a bank (acquiring)
// registry. Rows match on (date, bill number, supplier, service); their
// main + fine sums are compared exactly. The billing side is held in a
// compact index, the acquiring side is streamed, and results flow to a
// Sink as they are found, so memory grows with one side only.
package matcher

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/money"
)

// Status is the outcome for one key.
type Status string

const (
	Matched       Status = "check" // both sides, equal sums
	Mismatch      Status = "mismatch"
	BillingOnly   Status = "billing_only"
	AcquiringOnly Status = "acquiring_only"
)

// Statuses lists every status in report order.
var Statuses = []Status{Matched, Mismatch, BillingOnly, AcquiringOnly}

// Result is one reconciled key. Billing or Acquiring is nil for a one-sided
// row. The pointers are only valid during Sink.Emit.
type Result struct {
	Day             calendar.Date
	Status          Status
	Billing         *exportcsv.Row
	Acquiring       *exportcsv.Row
	BillingSource   int // index into the billing inputs
	AcquiringSource int // index into the acquiring inputs
}

// Sink receives results in a stable order: acquiring file order, then the
// billing-only rows in billing file order.
type Sink interface {
	Emit(*Result) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(*Result) error

func (f SinkFunc) Emit(r *Result) error { return f(r) }

// Discard is a Sink that keeps nothing.
var Discard = SinkFunc(func(*Result) error { return nil })

// Day is the per-day summary.
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
// their totals.
type Summary struct {
	Days  []Day `json:"days"`
	Total Day   `json:"total"`
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

// bytesPerRow is a low estimate of a CSV line, so size hints overshoot a little.
const bytesPerRow = 64

func rowsHint(inputs []Input) int {
	var n int64
	for _, in := range inputs {
		n += in.Size / bytesPerRow
	}
	return int(min(n, 1<<24))
}

// billingRow is the compact form of a billing line kept in the index.
// Rows whose keys share a hash are chained through next (-1 ends it).
type billingRow struct {
	date                             calendar.Date
	line                             int32
	source                           int32
	next                             int32
	matched                          bool
	bill, supplier, service, account string
	main, fine                       money.Kopecks
}

func (b *billingRow) is(r *exportcsv.Row) bool {
	return b.date == r.Date && b.bill == r.BillNumber && b.supplier == r.SupplierID && b.service == r.ServiceID
}

type location struct {
	source int32
	line   int32
}

type matcher struct {
	billing, acquiring []Input
	seed               maphash.Seed
	index              map[uint64]int32 // key hash → first billing row with it
	rows               []billingRow
	acqOnly            map[string]location
	orders             map[string]location
	days               map[calendar.Date]*Day
	errs               exportcsv.Errors
	sink               Sink
	brow               exportcsv.Row
	keyBuf             []byte
	from, to           calendar.Date
	windowed           bool
}

// Option adjusts a reconciliation.
type Option func(*matcher)

// Within limits the reconciliation to rows dated from..to inclusive; rows
// outside are checked for errors but otherwise skipped.
func Within(from, to calendar.Date) Option {
	return func(m *matcher) { m.from, m.to, m.windowed = from, to, true }
}

// Run reconciles the billing inputs against the acquiring inputs, emitting
// every result to sink. Bad rows and duplicate keys are collected and
// returned together as *exportcsv.Errors; once one is found nothing more is
// emitted, so the caller must discard what the sink received.
func Run(billing, acquiring []Input, sink Sink, opts ...Option) (*Summary, error) {
	m := &matcher{
		billing:   billing,
		acquiring: acquiring,
		seed:      maphash.MakeSeed(),
		index:     make(map[uint64]int32, rowsHint(billing)),
		rows:      make([]billingRow, 0, rowsHint(billing)),
		acqOnly:   make(map[string]location),
		orders:    make(map[string]location, rowsHint(acquiring)),
		days:      make(map[calendar.Date]*Day),
		sink:      sink,
	}
	for _, o := range opts {
		o(m)
	}
	if err := m.loadBilling(); err != nil {
		return nil, err
	}
	if err := m.streamAcquiring(); err != nil {
		return nil, err
	}
	if err := m.emitBillingOnly(); err != nil {
		return nil, err
	}
	if err := m.errs.Err(); err != nil {
		return nil, err
	}
	return m.summary(), nil
}

func (m *matcher) key(date calendar.Date, bill, supplier, service string) []byte {
	b := m.keyBuf[:0]
	b = append(b, byte(date), byte(date>>8), byte(date>>16), byte(date>>24))
	b = append(b, bill...)
	b = append(b, 0x1f)
	b = append(b, supplier...)
	b = append(b, 0x1f)
	b = append(b, service...)
	m.keyBuf = b
	return b
}

func (m *matcher) hash(r *exportcsv.Row) uint64 {
	return maphash.Bytes(m.seed, m.key(r.Date, r.BillNumber, r.SupplierID, r.ServiceID))
}

// lookup finds the billing row with r's key, or -1.
func (m *matcher) lookup(h uint64, r *exportcsv.Row) int32 {
	i, ok := m.index[h]
	for ok && i >= 0 {
		if m.rows[i].is(r) {
			return i
		}
		i = m.rows[i].next
	}
	return -1
}

func (m *matcher) day(d calendar.Date) *Day {
	if s, ok := m.days[d]; ok {
		return s
	}
	s := &Day{Day: d}
	m.days[d] = s
	return s
}

// each calls fn for every good row of in, collecting bad rows. Parsing runs
// on its own goroutine a few batches ahead, so decoding overlaps matching.
func (m *matcher) each(in Input, fn func(*exportcsv.Row) error) error {
	batches := make(chan []parsed, 4)
	stop := make(chan struct{})
	go readAhead(in.Reader, batches, stop)
	defer func() {
		close(stop)
		for range batches { // let the reader goroutine finish
		}
	}()
	for batch := range batches {
		for i := range batch {
			p := &batch[i]
			if p.err == nil {
				if m.windowed && (p.row.Date < m.from || p.row.Date > m.to) {
					continue
				}
				if err := fn(&p.row); err != nil {
					return err
				}
				continue
			}
			var e *exportcsv.Error
			if !errors.As(p.err, &e) {
				return p.err
			}
			m.errs.Add(e)
			if e.Line == 0 || m.errs.Len() >= exportcsv.MaxErrors {
				return nil // a file-level problem, or enough to report
			}
		}
	}
	return nil
}

type parsed struct {
	row exportcsv.Row
	err error
}

const batchRows = 256

func readAhead(r *exportcsv.Reader, out chan<- []parsed, stop <-chan struct{}) {
	defer close(out)
	batch := make([]parsed, 0, batchRows)
	send := func() bool {
		select {
		case out <- batch:
			batch = make([]parsed, 0, batchRows)
			return true
		case <-stop:
			return false
		}
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
		err := m.each(in, func(row *exportcsv.Row) error {
			h := m.hash(row)
			if i := m.lookup(h, row); i >= 0 {
				first := m.rows[i]
				m.errs.Add(&exportcsv.Error{File: in.Name, Line: row.Line,
					Msg: fmt.Sprintf("duplicate key (date %s, bill_number, supplier_id, service_id): first at %s line %d",
						row.Date, m.billing[first.source].Name, first.line)})
				return nil
			}
			next, chained := m.index[h]
			if !chained {
				next = -1
			}
			m.index[h] = int32(len(m.rows))
			m.rows = append(m.rows, billingRow{
				date: row.Date, line: int32(row.Line), source: int32(src), next: next,
				bill: row.BillNumber, supplier: row.SupplierID, service: row.ServiceID,
				account: row.AccountNumber, main: row.Main, fine: row.Fine,
			})
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

func (m *matcher) streamAcquiring() error {
	for src, in := range m.acquiring {
		err := m.each(in, func(row *exportcsv.Row) error {
			here := location{source: int32(src), line: int32(row.Line)}
			if first, dup := m.orders[row.OrderID]; dup {
				m.errs.Add(&exportcsv.Error{File: in.Name, Line: row.Line, Column: "order_id",
					Msg: fmt.Sprintf("duplicate order_id: first at %s line %d", m.acquiring[first.source].Name, first.line)})
				return nil
			}
			m.orders[strings.Clone(row.OrderID)] = here // the clone frees the rest of the line
			d := m.day(row.Date)
			d.AcquiringCount++
			d.AcquiringSum = d.AcquiringSum.Plus(row.Total())
			i := m.lookup(m.hash(row), row)
			res := Result{Day: row.Date, Acquiring: row, AcquiringSource: src}
			switch {
			case i >= 0 && m.rows[i].matched:
				m.errs.Add(&exportcsv.Error{File: in.Name, Line: row.Line,
					Msg: "duplicate key (date, bill_number, supplier_id, service_id) in the bank registry"})
				return nil
			case i >= 0:
				b := &m.rows[i]
				b.matched = true
				res.Billing, res.BillingSource = m.billingRow(b), int(b.source)
				if res.Billing.Total() == row.Total() {
					res.Status = Matched
					d.Matched++
					d.MatchedSum = d.MatchedSum.Plus(row.Total())
				} else {
					res.Status = Mismatch
					d.Mismatched++
				}
			default:
				k := m.key(row.Date, row.BillNumber, row.SupplierID, row.ServiceID)
				if first, dup := m.acqOnly[string(k)]; dup {
					m.errs.Add(&exportcsv.Error{File: in.Name, Line: row.Line,
						Msg: fmt.Sprintf("duplicate key (date, bill_number, supplier_id, service_id): first at %s line %d",
							m.acquiring[first.source].Name, first.line)})
					return nil
				}
				m.acqOnly[string(k)] = here
				res.Status = AcquiringOnly
				d.AcquiringOnly++
			}
			return m.emit(&res)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *matcher) billingRow(b *billingRow) *exportcsv.Row {
	m.brow = exportcsv.Row{Line: int(b.line), Date: b.date, BillNumber: b.bill, SupplierID: b.supplier,
		ServiceID: b.service, AccountNumber: b.account, Main: b.main, Fine: b.fine}
	return &m.brow
}

func (m *matcher) emit(r *Result) error {
	if m.errs.Len() > 0 {
		return nil // the run is failing; keep reading only to report every problem
	}
	return m.sink.Emit(r)
}

func (m *matcher) emitBillingOnly() error {
	for i := range m.rows {
		b := &m.rows[i]
		if b.matched {
			continue
		}
		m.day(b.date).BillingOnly++
		if err := m.emit(&Result{Day: b.date, Status: BillingOnly, Billing: m.billingRow(b),
			BillingSource: int(b.source)}); err != nil {
			return err
		}
	}
	return nil
}

func (m *matcher) summary() *Summary {
	s := &Summary{Days: make([]Day, 0, len(m.days))}
	for _, d := range m.days {
		s.Days = append(s.Days, *d)
		s.Total.Add(d)
	}
	slices.SortFunc(s.Days, func(a, b Day) int { return int(a.Day - b.Day) })
	return s
}

// Discrepancy is a stored result that needs a person's attention: a sum
// mismatch or a payment seen on one side only. Amounts absent on a side are nil.
type Discrepancy struct {
	Day                          calendar.Date
	Status                       Status
	BillNumber                   string
	SupplierID                   string
	ServiceID                    string
	AccountNumber                string
	BillingMain, BillingFine     *money.Kopecks
	AcquiringMain, AcquiringFine *money.Kopecks
	OrderID                      string
	BillingRef, AcquiringRef     string // file:line
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
