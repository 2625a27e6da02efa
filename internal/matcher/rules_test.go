package matcher

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
)

// run reconciles one billing and one bank file (header added) under rules
// and renders every result as "status bill billing-total bank-total [reason]".
func run(t *testing.T, rules Rules, billing, acquiring string) ([]string, *Summary, error) {
	t.Helper()
	var got []string
	sum, err := Run([]Input{input(t, "b.csv", exportcsv.Billing, exportcsv.BillingHeader+billing)},
		[]Input{input(t, "a.csv", exportcsv.Acquiring, exportcsv.AcquiringHeader+acquiring)},
		SinkFunc(func(r *Result) error {
			b, a, bill := "-", "-", ""
			if r.Billing != nil {
				b, bill = r.Billing.Total().String(), r.Billing.BillNumber
			}
			if r.Acquiring != nil {
				a, bill = r.Acquiring.Total().String(), r.Acquiring.BillNumber
			}
			if r.Status == Held && !r.Amounts {
				a, b = "-", "-"
			}
			line := fmt.Sprintf("%s %s %s %s", r.Status, bill, b, a)
			if r.Dated {
				line = r.Day.String() + " " + line
			}
			if r.Problem != nil {
				line += " [" + r.Problem.Error() + "]"
			}
			got = append(got, line)
			return nil
		}), WithRules(rules))
	return got, sum, err
}

func TestMatchingRules(t *testing.T) {
	def := DefaultRules()
	tests := []struct {
		name               string
		rules              Rules
		billing, acquiring string
		want               []string
	}{
		{
			name:      "without the date in the key, a billing row posted a day after the bank's date matches, on the bank's day",
			rules:     def,
			billing:   "2026-11-22;B1;S1;SV1;LS1;10;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n",
			want:      []string{"2026-11-21 check B1 10.00 10.00"},
		},
		{
			name:      "with the date in the key, the same rows are one-sided",
			rules:     Rules{KeyWithDate: true, WindowDays: 3},
			billing:   "2026-11-22;B1;S1;SV1;LS1;10;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n",
			want:      []string{"2026-11-21 acquiring_only B1 - 10.00", "2026-11-22 billing_only B1 10.00 -"},
		},
		{
			name:      "outside the window of days the rows are one-sided",
			rules:     Rules{WindowDays: 1},
			billing:   "2026-11-23;B1;S1;SV1;LS1;10;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n",
			want:      []string{"2026-11-21 acquiring_only B1 - 10.00", "2026-11-23 billing_only B1 10.00 -"},
		},
		{
			name:      "repeated key: two bank rows, two billing rows, matched one to one by amount whatever the order",
			rules:     def,
			billing:   "2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;B1;S1;SV1;LS1;5;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;5;0\n2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;100;0\n",
			want:      []string{"2026-11-21 check B1 5.00 5.00", "2026-11-21 check B1 100.00 100.00"},
		},
		{
			name:      "repeated key: water and then the fine, two bank rows against one billing row with their sum",
			rules:     def,
			billing:   "2026-11-21;B1;S1;SV1;LS1;100;5\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;5;0\n",
			want:      []string{"2026-11-21 check_split B1 105.00 100.00", "2026-11-21 check_split B1 105.00 5.00"},
		},
		{
			name:      "repeated key: a second bank row the billing does not have is one-sided, the day goes on",
			rules:     def,
			billing:   "2026-11-21;B1;S1;SV1;LS1;100;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;100;0\n",
			want:      []string{"2026-11-21 check B1 100.00 100.00", "2026-11-21 acquiring_only B1 - 100.00"},
		},
		{
			name:      "repeated key: what neither amount nor sum matches is one-sided",
			rules:     def,
			billing:   "2026-11-21;B1;S1;SV1;LS1;100;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;30;0\n2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;50;0\n",
			want: []string{"2026-11-21 acquiring_only B1 - 30.00", "2026-11-21 acquiring_only B1 - 50.00",
				"2026-11-21 billing_only B1 100.00 -"},
		},
		{
			name:      "repeated key in billing: an exact amount is matched first, the other row of the key is a mismatch",
			rules:     def,
			billing:   "2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;B1;S1;SV1;LS1;40;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;39;0\n2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;100;0\n",
			want:      []string{"2026-11-21 check B1 100.00 100.00", "2026-11-21 mismatch B1 40.00 39.00"},
		},
		{
			name:      "a refund (negative amount) is never a payment and never matches",
			rules:     def,
			billing:   "2026-11-21;B1;S1;SV1;LS1;100;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;-100;0\n",
			want:      []string{"2026-11-21 check B1 100.00 100.00", "2026-11-21 refund B1 - 100.00"},
		},
		{
			name:      "a row-level problem holds that row, with its reason; the rest of the file proceeds",
			rules:     Rules{MaxBadShare: 0.5},
			billing:   "2026-11-21;B1;S1;SV1;LS1;ten;0\n2026-11-21;B2;S1;SV1;LS1;10;0\n",
			acquiring: "2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;10;0\n2026-11-21;O2;2026-11-21;B3;S1;SV1;LS1;10;0\n",
			want: []string{`2026-11-21 held B1 - - [b.csv: line 2, column "main_sum": bad number "ten": not a number]`,
				"2026-11-21 check B2 10.00 10.00",
				`2026-11-21 held B3 - 10.00 [a.csv: line 3, column "order_id": duplicate order_id: first at a.csv line 2]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := run(t, tt.rules, tt.billing, tt.acquiring)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestSummaryCountsSplitsHoldsAndRefunds(t *testing.T) {
	_, sum, err := run(t, Rules{MaxBadShare: 1},
		"2026-11-21;B1;S1;SV1;LS1;100;5\n2026-11-21;;S1;SV1;LS1;1;0\n",
		"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;5;0\n2026-11-21;O3;2026-11-21;B9;S1;SV1;LS1;-7,50;0\n")
	if err != nil {
		t.Fatal(err)
	}
	tot := sum.Total
	if tot.Matched != 2 || tot.MatchedSum != 10500 || tot.BillingCount != 1 || tot.AcquiringCount != 2 ||
		sum.Held != 1 || sum.Refunds != 1 || sum.RefundSum != 750 {
		t.Errorf("summary %+v", sum)
	}
}

// A file with more bad rows than its share, or any in strict mode, fails
// with every row located, and nothing is emitted after.
func TestTooManyBadRowsFailTheFile(t *testing.T) {
	billing := "2026-11-21;B1;S1;SV1;LS1;x;0\n2026-11-99;B2;S1;SV1;LS1;1;0\n2026-11-21;B3;S1;SV1;LS1;1;0\n"
	for _, tt := range []struct {
		name  string
		rules Rules
		want  []string
	}{
		{"over the share", Rules{MaxBadShare: 0.3}, []string{
			"b.csv: 2 of 3 rows have problems, more than the 30% the organisation allows: the file is refused (the rows follow)",
			`b.csv: line 2, column "main_sum": bad number "x": not a number`,
			`b.csv: line 3, column "date": bad date "2026-11-99": not a date (want YYYY-MM-DD or DD.MM.YYYY)`}},
		{"strict mode", Rules{Strict: true, MaxBadShare: 1}, []string{
			`b.csv: line 2, column "main_sum": bad number "x": not a number`,
			`b.csv: line 3, column "date": bad date "2026-11-99": not a date (want YYYY-MM-DD or DD.MM.YYYY)`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var emitted int
			_, err := Run([]Input{input(t, "b.csv", exportcsv.Billing, exportcsv.BillingHeader+billing)},
				[]Input{input(t, "a.csv", exportcsv.Acquiring, exportcsv.AcquiringHeader+"2026-11-21;O3;2026-11-21;B3;S1;SV1;LS1;1;0\n")},
				SinkFunc(func(r *Result) error {
					if r.Status != Held {
						emitted++
					}
					return nil
				}), WithRules(tt.rules))
			list, ok := exportcsv.AsErrors(err)
			if !ok {
				t.Fatalf("error = %v, want export errors", err)
			}
			var got []string
			for _, e := range list.List {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if emitted != 0 {
				t.Errorf("%d results emitted after the file failed", emitted)
			}
		})
	}
}

func TestRulesValidate(t *testing.T) {
	for _, r := range []Rules{{WindowDays: -1}, {WindowDays: MaxWindowDays + 1}, {MaxBadShare: 1.5}, {MaxBadShare: -0.1}} {
		if r.Validate() == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	if err := DefaultRules().Validate(); err != nil {
		t.Error(err)
	}
}

// Days 64 apart share a slot of the matcher's recent days: each keeps its
// own counts and sums whatever order their rows come in.
func TestDaysSharingASlotKeepTheirOwnSummary(t *testing.T) {
	first := calendar.FromYMD(2026, 9, 1)
	var billing, acquiring strings.Builder
	for i, d := range []calendar.Date{first, first + 64, first, first + 128, first + 64, first} {
		fmt.Fprintf(&billing, "%s;B%d;S1;SV1;LS1;%d;0\n", d, i, i+1)
		fmt.Fprintf(&acquiring, "%s;O%d;%s;B%d;S1;SV1;LS1;%d;0\n", d, i, d, i, i+1)
	}
	_, sum, err := run(t, Rules{KeyWithDate: true}, billing.String(), acquiring.String())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range sum.Days {
		got = append(got, fmt.Sprintf("%s %d %s %d %s %d", d.Day, d.BillingCount, d.BillingSum, d.AcquiringCount, d.AcquiringSum, d.Matched))
	}
	want := []string{"2026-09-01 3 10.00 3 10.00 3", "2026-11-04 2 7.00 2 7.00 2", "2027-01-07 1 4.00 1 4.00 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("days %q, want %q", got, want)
	}
}
