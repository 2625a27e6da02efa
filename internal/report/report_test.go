package report

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/money"
)

func k(v int64) *money.Kopecks { x := money.Kopecks(v); return &x }

var sample = []*matcher.Discrepancy{
	{Day: calendar.FromYMD(2026, 11, 20), Status: matcher.Mismatch, BillNumber: "B1", SupplierID: "S1", ServiceID: "SV1",
		AccountNumber: "LS1", BillingMain: k(10000), BillingFine: k(500), AcquiringMain: k(10000), AcquiringFine: k(0),
		OrderID: "O1", BillingRef: "incoming/billing/uk1/b.csv:2", AcquiringRef: "incoming/acquiring/uk1/a.csv:2"},
	{Day: calendar.FromYMD(2026, 11, 21), Status: matcher.AcquiringOnly, BillNumber: `<script>alert("x")</script>`,
		SupplierID: "S1", ServiceID: "SV1", AcquiringMain: k(123456789), AcquiringFine: k(1), OrderID: "O2"},
	{Day: calendar.FromYMD(2026, 11, 21), Status: matcher.BillingOnly, BillNumber: "B3", SupplierID: "S1", ServiceID: "SV1",
		BillingMain: k(1), BillingFine: k(0)},
}

func list(rows []*matcher.Discrepancy) Discrepancies {
	return func(fn func(*matcher.Discrepancy) error) error {
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteCSV(&buf, list(sample))
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Error("no BOM")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		csvHeader,
		{"2026-11-20", "mismatch", "B1", "S1", "SV1", "LS1", "100,00", "5,00", "105,00", "100,00", "0,00", "100,00", "5,00", "O1",
			"incoming/billing/uk1/b.csv:2", "incoming/acquiring/uk1/a.csv:2", ""},
		{"2026-11-21", "acquiring_only", `<script>alert("x")</script>`, "S1", "SV1", "", "", "", "", "1234567,89", "0,01",
			"1234567,90", "-1234567,90", "O2", "", "", ""},
		{"2026-11-21", "billing_only", "B3", "S1", "SV1", "", "0,01", "0,00", "0,01", "", "", "", "0,01", "", "", "", ""},
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, recs[i], want[i])
		}
	}
}

func TestWriteHTML(t *testing.T) {
	days := []matcher.Day{
		{Day: calendar.FromYMD(2026, 11, 20), BillingCount: 1, AcquiringCount: 1, BillingSum: 10500, AcquiringSum: 10000, Mismatched: 1},
		{Day: calendar.FromYMD(2026, 11, 21), BillingCount: 1, AcquiringCount: 1, BillingSum: 1, AcquiringSum: 123456790, BillingOnly: 1, AcquiringOnly: 1},
	}
	var buf bytes.Buffer
	err := WriteHTML(&buf, Meta{RunID: 7, OrgCode: "uk1", OrgName: "УК «Дом»", GeneratedAt: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)},
		days, list(sample))
	if err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"УК «Дом»", "22.11.2026 06:00 MSK", "запуск 7",
		`<td class="n">105,00</td>`, // billing total of the mismatch
		"1\u202f234\u202f567,90",    // thousands grouped
		"−1\u202f234\u202f567,89",   // the day's difference, negative
		"&lt;script&gt;",            // data is escaped
		"только в реестре банка",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("unescaped script in the page")
	}
	if m := regexp.MustCompile(`(src|href)=`).FindString(page); m != "" {
		t.Errorf("page loads an external asset: %s", m)
	}
	if bars := strings.Count(page, "<rect "); bars != 2*len(days) {
		t.Errorf("%d bars, want %d", bars, 2*len(days))
	}
}

func TestHTMLCapsRows(t *testing.T) {
	rows := make([]*matcher.Discrepancy, MaxHTMLRows+5)
	for i := range rows {
		rows[i] = sample[2]
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, Meta{}, nil, list(rows)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "И ещё 5 — полный список в CSV-отчёте.") {
		t.Error("no note on the rows left out")
	}
}

// Text from exports that a spreadsheet would take for a formula (OWASP
// "CSV Injection") is written with a leading quote; amounts we format
// ourselves, negative ones included, are numbers and stay as they are.
func TestCSVNeutralizesFormulas(t *testing.T) {
	d := &matcher.Discrepancy{Day: calendar.FromYMD(2026, 11, 21), Status: matcher.AcquiringOnly,
		BillNumber: `=HYPERLINK("http://x","y")`, SupplierID: "+7", ServiceID: "-SV1", AccountNumber: "@SUM(A1)",
		OrderID: "\tO1", AcquiringRef: "\rref", AcquiringMain: k(500), AcquiringFine: k(0)}
	var buf bytes.Buffer
	if _, err := WriteCSV(&buf, list([]*matcher.Discrepancy{d})); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-21", "acquiring_only", `'=HYPERLINK("http://x","y")`, "'+7", "'-SV1", "'@SUM(A1)",
		"", "", "", "5,00", "0,00", "5,00", "-5,00", "'\tO1", "", "'\rref", ""}
	if got := recs[1]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("row:\n got %q\nwant %q", got, want)
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "B1": "B1", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx",
		"a=b": "a=b", "'x": "'x", "Оплата": "Оплата",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}
