package matcher

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
)

func input(t *testing.T, name string, kind exportcsv.Kind, data string) Input {
	t.Helper()
	rd, err := exportcsv.NewReader(name, kind, strings.NewReader(data), exportcsv.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return Input{Name: name, Reader: rd}
}

// collect renders results as "day status bill billing-total acquiring-total".
func collect(results *[]string) Sink {
	return SinkFunc(func(r *Result) error {
		b, a := "-", "-"
		bill := ""
		if r.Billing != nil {
			b, bill = r.Billing.Total().String(), r.Billing.BillNumber
		}
		if r.Acquiring != nil {
			a, bill = r.Acquiring.Total().String(), r.Acquiring.BillNumber
		}
		*results = append(*results, fmt.Sprintf("%s %s %s %s %s", r.Day, r.Status, bill, b, a))
		return nil
	})
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name      string
		billing   string
		acquiring string
		rules     *Rules // nil: DefaultRules
		want      []string
		days      []string // day billingSum acquiringSum difference matched/mismatched/billingOnly/acquiringOnly
	}{
		{
			name:      "matched",
			billing:   "2026-11-21;B1;S1;SV1;LS1;100,00;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;100;0\n",
			want:      []string{"2026-11-21 check B1 100.00 100.00"},
			days:      []string{"2026-11-21 100.00 100.00 0.00 1/0/0/0"},
		},
		{
			name:      "sum mismatch by one kopeck",
			billing:   "2026-11-21;B1;S1;SV1;LS1;100,00;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;99,99;0\n",
			want:      []string{"2026-11-21 mismatch B1 100.00 99.99"},
			days:      []string{"2026-11-21 100.00 99.99 0.01 0/1/0/0"},
		},
		{
			name:      "fine sums: main + fine compared, not main alone",
			billing:   "2026-11-21;B1;S1;SV1;LS1;90;10\n2026-11-21;B2;S1;SV1;LS1;100;5\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;100;0\n2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;100;0\n",
			want:      []string{"2026-11-21 check B1 100.00 100.00", "2026-11-21 mismatch B2 105.00 100.00"},
			days:      []string{"2026-11-21 205.00 200.00 5.00 1/1/0/0"},
		},
		{
			name:      "kopeck rounding: 0.10 + 0.20 equals 0.30 exactly",
			billing:   "2026-11-21;B1;S1;SV1;LS1;0,10;0,20\n2026-11-21;B2;S1;SV1;LS1;33,33;33,34\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;0.3;0\n2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;66.67;0\n",
			want:      []string{"2026-11-21 check B1 0.30 0.30", "2026-11-21 check B2 66.67 66.67"},
			days:      []string{"2026-11-21 66.97 66.97 0.00 2/0/0/0"},
		},
		{
			name:      "billing-only and acquiring-only are kept",
			billing:   "2026-11-21;B1;S1;SV1;LS1;10;0\n",
			acquiring: "2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;20;0\n",
			want:      []string{"2026-11-21 acquiring_only B2 - 20.00", "2026-11-21 billing_only B1 10.00 -"},
			days:      []string{"2026-11-21 10.00 20.00 -10.00 0/0/1/1"},
		},
		{
			name:      "supplier and service are part of the key",
			billing:   "2026-11-21;B1;S1;SV1;LS1;10;0\n2026-11-21;B1;S1;SV2;LS1;20;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S2;SV1;LS1;10;0\n2026-11-21;O2;2026-11-21;B1;S1;SV2;LS1;20;0\n",
			want: []string{"2026-11-21 acquiring_only B1 - 10.00", "2026-11-21 check B1 20.00 20.00",
				"2026-11-21 billing_only B1 10.00 -"},
			days: []string{"2026-11-21 30.00 30.00 0.00 1/0/1/1"},
		},
		{
			name:      "date in the key: same key on different dates are separate payments, grouped and sorted by day",
			rules:     &Rules{KeyWithDate: true},
			billing:   "22.11.2026;B1;S1;SV1;LS1;10;0\n2026-11-21;B1;S1;SV1;LS1;10;0\n",
			acquiring: "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n2026-11-23;O2;2026-11-23;B1;S1;SV1;LS1;10;0\n",
			want: []string{"2026-11-21 check B1 10.00 10.00", "2026-11-23 acquiring_only B1 - 10.00",
				"2026-11-22 billing_only B1 10.00 -"},
			days: []string{"2026-11-21 10.00 10.00 0.00 1/0/0/0", "2026-11-22 10.00 0.00 10.00 0/0/1/0",
				"2026-11-23 0.00 10.00 -10.00 0/0/0/1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			rules := DefaultRules()
			if tt.rules != nil {
				rules = *tt.rules
			}
			sum, err := Run([]Input{input(t, "b.csv", exportcsv.Billing, exportcsv.BillingHeader+tt.billing)},
				[]Input{input(t, "a.csv", exportcsv.Acquiring, exportcsv.AcquiringHeader+tt.acquiring)}, collect(&got), WithRules(rules))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var days []string
			var total Day
			for _, d := range sum.Days {
				days = append(days, fmt.Sprintf("%s %s %s %s %d/%d/%d/%d", d.Day, d.BillingSum, d.AcquiringSum,
					d.Difference(), d.Matched, d.Mismatched, d.BillingOnly, d.AcquiringOnly))
				total.Add(&d)
			}
			if strings.Join(days, "\n") != strings.Join(tt.days, "\n") {
				t.Errorf("days:\n%s\nwant:\n%s", strings.Join(days, "\n"), strings.Join(tt.days, "\n"))
			}
			if total != (Day{Day: total.Day, BillingCount: sum.Total.BillingCount, AcquiringCount: sum.Total.AcquiringCount,
				BillingSum: sum.Total.BillingSum, AcquiringSum: sum.Total.AcquiringSum, Matched: sum.Total.Matched,
				MatchedSum: sum.Total.MatchedSum, Mismatched: sum.Total.Mismatched, BillingOnly: sum.Total.BillingOnly,
				AcquiringOnly: sum.Total.AcquiringOnly}) {
				t.Errorf("total %+v is not the sum of the days %+v", sum.Total, total)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	var got []string
	sum, err := Run(
		[]Input{input(t, "b.csv", exportcsv.Billing, exportcsv.BillingHeader+"2026-11-20;B1;S1;SV1;LS1;10;0\n2026-11-21;B2;S1;SV1;LS1;10;0\n")},
		[]Input{input(t, "a.csv", exportcsv.Acquiring, exportcsv.AcquiringHeader+"2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;10;0\n2026-11-22;O3;2026-11-22;B3;S1;SV1;LS1;10;0\n")},
		collect(&got), Within(calendar.FromYMD(2026, 11, 21), calendar.FromYMD(2026, 11, 21)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "2026-11-21 check B2 10.00 10.00" || len(sum.Days) != 1 {
		t.Fatalf("results %v, days %v", got, sum.Days)
	}
}
