// Command gen writes a large synthetic billing export and bank registry for
// benchmarks and load runs:
//
//	go run ./testdata/gen -rows 300000 -out /tmp/exports
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportgen"
)

func main() {
	rows := flag.Int("rows", 300_000, "billing rows (the registry has about as many)")
	days := flag.Int("days", 7, "days the payments spread over")
	last := flag.String("last", "2026-11-21", "the last day, YYYY-MM-DD")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes the same files")
	mismatch := flag.Float64("mismatch", 0.01, "share of payments whose sums differ")
	oneSided := flag.Float64("one-sided", 0.01, "share of payments on one side only")
	win := flag.Bool("windows1251", true, "write the bank registry in Windows-1251")
	out := flag.String("out", ".", "folder to write billing.csv and acquiring.csv to")
	flag.Parse()
	day, err := calendar.ParseDate(*last)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	bf, err := os.Create(filepath.Join(*out, "billing.csv"))
	if err != nil {
		fail(err)
	}
	af, err := os.Create(filepath.Join(*out, "acquiring.csv"))
	if err != nil {
		fail(err)
	}
	counts, err := exportgen.Write(exportgen.Spec{Rows: *rows, Days: *days, Last: day, Seed: *seed,
		Mismatch: *mismatch, OneSided: *oneSided, Windows1251: *win}, bf, af)
	if err == nil {
		err = bf.Close()
	}
	if err == nil {
		err = af.Close()
	}
	if err != nil {
		fail(err)
	}
	fmt.Printf("wrote %s and %s: expect %d matched, %d mismatched, %d billing-only, %d acquiring-only\n",
		bf.Name(), af.Name(), counts.Matched, counts.Mismatched, counts.BillingOnly, counts.AcquiringOnly)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
