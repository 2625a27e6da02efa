// Package reconcile matches a billing export against a bank (acquiring)
// registry. Rows match on (date, bill number, supplier, service); their
// main + fine sums are compared exactly. The billing side is held in a
// compact index, the acquiring side is streamed, and results flow to a
// Sink as they are found, so memory grows with one side only.
package reconcile

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/gispayments/gis-payments/internal/civil"
	"github.com/gispayments/gis-payments/internal/export"
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
	Day             civil.Date
	Status          Status
	Billing         *export.Row
	Acquiring       *export.Row
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
	Day            civil.Date    `json:"day"`
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

func (d *Day) add(o *Day) {
	d.BillingCount += o.BillingCount
	d.AcquiringCount += o.AcquiringCount
	d.BillingSum += o.BillingSum
	d.AcquiringSum += o.AcquiringSum
	d.Matched += o.Matched
	d.MatchedSum += o.MatchedSum
	d.Mismatched += o.Mismatched
	d.BillingOnly += o.BillingOnly
	d.AcquiringOnly += o.AcquiringOnly
}

// Input is one opened export.
type Input struct {
	Name   string
	Reader *export.Reader
}

// billingRow is the compact form of a billing line kept in the index.
type billingRow struct {
	date                             civil.Date
	line                             int32
	source                           int32
	matched                          bool
	bill, supplier, service, account string
	main, fine                       money.Kopecks
}

type location struct {
	source int32
	line   int32
}

type matcher struct {
	billing, acquiring []Input
	index              map[string]int32
	rows               []billingRow
	acqOnly            map[string]location
	orders             map[string]location
	days               map[civil.Date]*Day
	errs               export.Errors
	sink               Sink
	brow               export.Row
	keyBuf             []byte
}

// Run reconciles the billing inputs against the acquiring inputs, emitting
// every result to sink. Bad rows and duplicate keys are collected and
// returned together as *export.Errors; once one is found nothing more is
// emitted, so the caller must discard what the sink received.
func Run(billing, acquiring []Input, sink Sink) (*Summary, error) {
	m := &matcher{
		billing:   billing,
		acquiring: acquiring,
		index:     make(map[string]int32),
		acqOnly:   make(map[string]location),
		orders:    make(map[string]location),
		days:      make(map[civil.Date]*Day),
		sink:      sink,
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

func (m *matcher) key(date civil.Date, bill, supplier, service string) []byte {
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

func (m *matcher) day(d civil.Date) *Day {
	if s, ok := m.days[d]; ok {
		return s
	}
	s := &Day{Day: d}
	m.days[d] = s
	return s
}

// next reads the next good row, collecting bad ones; it returns false at
// the end of the input or on an error that ends it.
func (m *matcher) next(in Input, row *export.Row) (bool, error) {
	for {
		err := in.Reader.Next(row)
		if err == nil {
			return true, nil
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		var e *export.Error
		if !errors.As(err, &e) {
			return false, err
		}
		m.errs.Add(e)
		if e.Line == 0 || m.errs.Len() >= export.MaxErrors {
			return false, nil // file-level problem, or enough to report
		}
	}
}

func (m *matcher) loadBilling() error {
	var row export.Row
	for src, in := range m.billing {
		for {
			ok, err := m.next(in, &row)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			k := m.key(row.Date, row.BillNumber, row.SupplierID, row.ServiceID)
			if i, dup := m.index[string(k)]; dup {
				first := m.rows[i]
				m.errs.Add(&export.Error{File: in.Name, Line: row.Line,
					Msg: fmt.Sprintf("duplicate key (date %s, bill_number, supplier_id, service_id): first at %s line %d",
						row.Date, m.billing[first.source].Name, first.line)})
				continue
			}
			m.index[string(k)] = int32(len(m.rows))
			m.rows = append(m.rows, billingRow{
				date: row.Date, line: int32(row.Line), source: int32(src),
				bill: row.BillNumber, supplier: row.SupplierID, service: row.ServiceID,
				account: row.AccountNumber, main: row.Main, fine: row.Fine,
			})
			d := m.day(row.Date)
			d.BillingCount++
			d.BillingSum += row.Total()
		}
	}
	return nil
}

func (m *matcher) streamAcquiring() error {
	var row export.Row
	for src, in := range m.acquiring {
		for {
			ok, err := m.next(in, &row)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			here := location{source: int32(src), line: int32(row.Line)}
			if first, dup := m.orders[row.OrderID]; dup {
				m.errs.Add(&export.Error{File: in.Name, Line: row.Line, Column: "order_id",
					Msg: fmt.Sprintf("duplicate order_id: first at %s line %d", m.acquiring[first.source].Name, first.line)})
				continue
			}
			m.orders[row.OrderID] = here
			d := m.day(row.Date)
			d.AcquiringCount++
			d.AcquiringSum += row.Total()
			k := m.key(row.Date, row.BillNumber, row.SupplierID, row.ServiceID)
			i, inBilling := m.index[string(k)]
			var status Status
			var brow *export.Row
			switch {
			case inBilling && m.rows[i].matched:
				m.errs.Add(&export.Error{File: in.Name, Line: row.Line,
					Msg: "duplicate key (date, bill_number, supplier_id, service_id) in the bank registry"})
				continue
			case inBilling:
				b := &m.rows[i]
				b.matched = true
				brow = m.billingRow(b)
				if brow.Total() == row.Total() {
					status = Matched
					d.Matched++
					d.MatchedSum += row.Total()
				} else {
					status = Mismatch
					d.Mismatched++
				}
			default:
				if first, dup := m.acqOnly[string(k)]; dup {
					m.errs.Add(&export.Error{File: in.Name, Line: row.Line,
						Msg: fmt.Sprintf("duplicate key (date, bill_number, supplier_id, service_id): first at %s line %d",
							m.acquiring[first.source].Name, first.line)})
					continue
				}
				m.acqOnly[string(k)] = here
				status = AcquiringOnly
				d.AcquiringOnly++
			}
			bsrc := 0
			if brow != nil {
				bsrc = int(m.rows[i].source)
			}
			if err := m.emit(&Result{Day: row.Date, Status: status, Billing: brow, Acquiring: &row,
				BillingSource: bsrc, AcquiringSource: src}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *matcher) billingRow(b *billingRow) *export.Row {
	m.brow = export.Row{Line: int(b.line), Date: b.date, BillNumber: b.bill, SupplierID: b.supplier,
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
		s.Total.add(d)
	}
	slices.SortFunc(s.Days, func(a, b Day) int { return int(a.Day - b.Day) })
	return s
}
