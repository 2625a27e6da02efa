package matcher

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/exportcsv"
)

// TestReadInlineAgreesWithReadAhead reconciles files of several read-ahead
// batches, with held rows, refunds, repeated keys and a file-level
// problem, both ways: the results (every field of their rows, which
// reading inline writes over once a batch is taken), the summary and the
// errors must be the same (up to their order, which a seeded hash decides
// for some).
func TestReadInlineAgreesWithReadAhead(t *testing.T) {
	var billing, acquiring, broken, short strings.Builder
	for i := range 3 * batchRows {
		day := 15 + i%7
		fmt.Fprintf(&billing, "2026-11-%d;B%d;S%d;SV1;LS%d;%d,%02d;0\n", day, i/2, i%3, i, 100+i, i%100)
		if i%17 == 0 { // a repeated key
			fmt.Fprintf(&billing, "2026-11-%d;B%d;S%d;SV1;LS%d;%d,00;0\n", day, i/2, i%3, i, i)
		}
		amount := fmt.Sprintf("%d,%02d", 100+i, i%100)
		switch i % 11 {
		case 3:
			amount = "x" // held
		case 5:
			amount = "-" + amount // a refund
		case 7:
			amount = "1,00" // a mismatch
		}
		bill := fmt.Sprintf("B%d", i/2)
		if i%13 == 4 {
			bill = "" // held: an empty key
		}
		fmt.Fprintf(&acquiring, "2026-11-%d;O%d;2026-11-%d;%s;S%d;SV1;LS%d;%s;0\n", day, i, day, bill, i%3, i, amount)
		fmt.Fprintf(&short, "2026-11-%d;O%d;2026-11-%d;B%d;S%d;SV1;LS%d;1,00\n", day, i, day, i/2, i%3, i) // a value short
		if i == 2*batchRows+17 {
			broken.WriteString(acquiring.String())
			broken.WriteString("2026-11-21;\"O;2026-11-21;B1;S1;SV1;LS1;1;0\n") // rows merged by a quote
		}
	}
	run := func(t *testing.T, acq string, rules Rules, opts ...Option) string {
		var got []string
		sum, err := Run([]Input{input(t, "b.csv", exportcsv.Billing, exportcsv.BillingHeader+billing.String())},
			[]Input{input(t, "a.csv", exportcsv.Acquiring, exportcsv.AcquiringHeader+acq)},
			collectRows(&got), append([]Option{WithRules(rules)}, opts...)...)
		slices.Sort(got) // rows settled at the end come in the order of a seeded hash
		if err != nil {
			return fmt.Sprintf("%d results, then %v", len(got), err)
		}
		return fmt.Sprintf("%s\n%+v", strings.Join(got, "\n"), sum.Total)
	}
	for _, tt := range []struct {
		name  string
		acq   string
		rules Rules
	}{
		{"held rows and refunds", acquiring.String(), Rules{WindowDays: 3, MaxBadShare: 0.5}},
		{"date in the key", acquiring.String(), Rules{KeyWithDate: true, MaxBadShare: 0.5}},
		{"too many held rows", acquiring.String(), Rules{WindowDays: 3, MaxBadShare: 0.01}},
		{"strict", acquiring.String(), Rules{WindowDays: 3, Strict: true}},
		{"rows merged by a quote", broken.String(), Rules{WindowDays: 3, MaxBadShare: 1}},
		{"more problems than are reported", short.String(), DefaultRules()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ahead, inline := run(t, tt.acq, tt.rules), run(t, tt.acq, tt.rules, ReadInline())
			if ahead != inline {
				t.Errorf("read inline:\n%s\nread ahead:\n%s", inline, ahead)
			}
		})
	}
}

// collectRows renders results with every field of their rows.
func collectRows(results *[]string) Sink {
	return SinkFunc(func(r *Result) error {
		var b, a exportcsv.Row
		if r.Billing != nil {
			b = *r.Billing
		}
		if r.Acquiring != nil {
			a = *r.Acquiring
		}
		*results = append(*results, fmt.Sprintf("%s %s %v %+v %+v", r.Day, r.Status, r.Problem, b, a))
		return nil
	})
}
