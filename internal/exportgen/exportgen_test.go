package exportgen

import (
	"bytes"
	"testing"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/matcher"
)

// The generated pair reconciles to exactly the counts the generator promises,
// in both encodings.
func TestGeneratedPairReconciles(t *testing.T) {
	for _, win := range []bool{false, true} {
		var b, a bytes.Buffer
		spec := Spec{Rows: 5000, Days: 3, Last: calendar.FromYMD(2026, 11, 21), Seed: 7, Mismatch: 0.02, OneSided: 0.02, Windows1251: win}
		want, err := Write(spec, &b, &a)
		if err != nil {
			t.Fatal(err)
		}
		br, err := exportcsv.NewReader("b.csv", exportcsv.Billing, &b, exportcsv.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		ar, err := exportcsv.NewReader("a.csv", exportcsv.Acquiring, &a, exportcsv.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if enc := ar.Format().Encoding; (enc == "windows-1251") != win {
			t.Errorf("encoding %s, windows1251=%v", enc, win)
		}
		sum, err := matcher.Run([]matcher.Input{{Name: "b.csv", Reader: br}}, []matcher.Input{{Name: "a.csv", Reader: ar}}, matcher.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got := Counts{sum.Total.Matched, sum.Total.Mismatched, sum.Total.BillingOnly, sum.Total.AcquiringOnly}
		if got != want || len(sum.Days) != 3 || want.Mismatched == 0 || want.BillingOnly == 0 {
			t.Errorf("windows1251=%v: reconciled %+v over %d days, generator promised %+v", win, got, len(sum.Days), want)
		}
	}
}
