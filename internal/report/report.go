// Package report renders a run's reconciliation for people: a CSV of every
// discrepancy (Excel-friendly: UTF-8 BOM, ';', decimal comma) and a
// self-contained HTML page with the per-day table and a bar chart of
// billing against bank sums. Nothing is loaded from outside the page.
package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/money"
)

// Meta describes the run a report is about.
type Meta struct {
	RunID       int64
	OrgCode     string
	OrgName     string
	Files       []string
	GeneratedAt time.Time
	// Decision is the approver's, for a run that waited for one.
	Decision *Decision
}

// Decision is who decided on a run, when, how, and the rows the decision
// added to the load or withheld from it (described for people).
type Decision struct {
	Approved       bool
	By, Source     string
	At             time.Time
	Load, Withhold []string
}

// When is the decision's time as the page shows it.
func (d *Decision) When() string { return d.At.In(calendar.Moscow).Format("02.01.2006 15:04 MST") }

// Discrepancies yields the rows to list, in order; the callback's error stops it.
type Discrepancies func(fn func(*matcher.Discrepancy) error) error

var csvHeader = []string{"day", "status", "bill_number", "supplier_id", "service_id", "account_number",
	"billing_main", "billing_fine", "billing_total", "acquiring_main", "acquiring_fine", "acquiring_total",
	"difference", "order_id", "billing_source", "acquiring_source", "reason"}

// NewCSVWriter starts a CSV for people on w the way Excel opens it right:
// the UTF-8 BOM (Excel detects UTF-8 by it), then ';' between cells.
// Text cells from outside go through Cell.
func NewCSVWriter(w io.Writer) *csv.Writer {
	io.WriteString(w, "\ufeff") // an error shows again at the first Write
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	return cw
}

// Cell neutralizes text that came from outside (exports, GIS) for a
// spreadsheet, as OWASP's "CSV Injection" advises: a cell that starts with
// =, +, -, @, TAB or CR is taken for a formula, so it gets a leading '.
// Numbers we format ourselves (amounts, "-5,00" too) do not go through it:
// they must stay numbers.
func Cell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// WriteCSV writes every discrepancy, one line each, and returns how many.
func WriteCSV(w io.Writer, list Discrepancies) (int, error) {
	bw := bufio.NewWriter(w)
	cw := NewCSVWriter(bw)
	if err := cw.Write(csvHeader); err != nil {
		return 0, err
	}
	n := 0
	err := list(func(d *matcher.Discrepancy) error {
		n++
		return cw.Write([]string{day(d), string(d.Status), Cell(d.BillNumber), Cell(d.SupplierID), Cell(d.ServiceID),
			Cell(d.AccountNumber), amount(d.BillingMain), amount(d.BillingFine), optTotal(d.BillingMain, d.BillingTotal()),
			amount(d.AcquiringMain), amount(d.AcquiringFine), optTotal(d.AcquiringMain, d.AcquiringTotal()),
			comma(d.BillingTotal() - d.AcquiringTotal()), Cell(d.OrderID), Cell(d.BillingRef), Cell(d.AcquiringRef), Cell(d.Reason)})
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// day is a discrepancy's day, empty for a held row whose date was unreadable.
func day(d *matcher.Discrepancy) string {
	if d.Undated {
		return ""
	}
	return d.Day.String()
}

func comma(k money.Kopecks) string { return strings.Replace(k.String(), ".", ",", 1) }

func amount(k *money.Kopecks) string {
	if k == nil {
		return ""
	}
	return comma(*k)
}

func optTotal(side *money.Kopecks, total money.Kopecks) string {
	if side == nil {
		return ""
	}
	return comma(total)
}

// MaxHTMLRows caps the discrepancies listed on the page; the CSV has all.
const MaxHTMLRows = 1000

type page struct {
	Meta
	Days      []matcher.Day
	Total     matcher.Day
	Rows      []*matcher.Discrepancy
	More      int
	Chart     chart
	Generated string
}

// WriteHTML writes the page.
func WriteHTML(w io.Writer, meta Meta, days []matcher.Day, list Discrepancies) error {
	p := page{Meta: meta, Days: days, Generated: meta.GeneratedAt.In(calendar.Moscow).Format("02.01.2006 15:04 MST")}
	for i := range days {
		p.Total.Add(&days[i])
	}
	err := list(func(d *matcher.Discrepancy) error {
		if len(p.Rows) < MaxHTMLRows {
			c := *d
			p.Rows = append(p.Rows, &c)
		} else {
			p.More++
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.Chart = newChart(days)
	return pageTemplate.Execute(w, p)
}

// chart is an inline SVG of billing and bank sums per day.
type chart struct {
	Width, Height int
	Bars          []bar
	Labels        []label
	Max           string
}

type bar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type label struct {
	X, Y int
	Text string
}

const (
	chartHeight = 220
	chartTop    = 20
	chartBottom = 40
	chartLeft   = 10
	groupWidth  = 44
)

func newChart(days []matcher.Day) chart {
	c := chart{Width: max(600, chartLeft*2+groupWidth*len(days)), Height: chartHeight}
	var top money.Kopecks = 1
	for _, d := range days {
		top = max(top, d.BillingSum, d.AcquiringSum)
	}
	c.Max = groupThousands(top)
	plot := chartHeight - chartTop - chartBottom
	scale := func(k money.Kopecks) int { return int(int64(k) * int64(plot) / int64(top)) }
	for i, d := range days {
		x := chartLeft + i*groupWidth
		for j, side := range []struct {
			sum   money.Kopecks
			class string
			name  string
		}{{d.BillingSum, "billing", "Биллинг"}, {d.AcquiringSum, "acquiring", "Банк"}} {
			h := scale(side.sum)
			if h == 0 && side.sum > 0 {
				h = 1 // a small day stays visible beside a large one
			}
			c.Bars = append(c.Bars, bar{X: x + 4 + j*18, Y: chartTop + plot - h, W: 16, H: h, Class: side.class,
				Title: fmt.Sprintf("%s %s: %s", d.Day, side.name, side.sum)})
		}
		c.Labels = append(c.Labels, label{X: x + 21, Y: chartHeight - chartBottom + 16, Text: d.Day.Time().Format("02.01")})
	}
	return c
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"money": func(k money.Kopecks) string { return groupThousands(k) },
	"diff":  func(d matcher.Day) money.Kopecks { return d.Difference() },
	"day":   day,
	"status": func(s matcher.Status) string {
		switch s {
		case matcher.Split:
			return "оплачено частями (совпадает в сумме)"
		case matcher.Refund:
			return "возврат: кандидат на аннулирование"
		case matcher.Held:
			return "строка задержана"
		case matcher.Mismatch:
			return "суммы расходятся"
		case matcher.BillingOnly:
			return "только в биллинге"
		case matcher.AcquiringOnly:
			return "только в реестре банка"
		}
		return "совпадает"
	},
	"total": func(d *matcher.Discrepancy, side string) string {
		if side == "b" {
			return groupThousands(d.BillingTotal())
		}
		return groupThousands(d.AcquiringTotal())
	},
	"rowdiff": func(d *matcher.Discrepancy) string { return groupThousands(d.BillingTotal() - d.AcquiringTotal()) },
}).Parse(pageHTML))

// groupThousands prints 1234567.80 as "1 234 567,80" (narrow no-break spaces).
func groupThousands(k money.Kopecks) string {
	s := k.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "−", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "," + frac
}
