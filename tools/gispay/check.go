package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"text/tabwriter"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/reconciler"
)

func init() {
	register("check", "reconcile a billing export and a bank registry from local files, as the reconciler would", runCheck)
}

// totals is what `check --json` prints: exactly these keys.
type totals struct {
	RowsBilling   int `json:"rows_billing"`
	RowsAcquiring int `json:"rows_acquiring"`
	contract.MatchTotals
}

func totalsOf(s *matcher.Summary) totals {
	t := s.Total
	return totals{RowsBilling: t.BillingCount, RowsAcquiring: t.AcquiringCount, MatchTotals: contract.MatchTotals{
		Matched: t.Matched, Mismatched: t.Mismatched, BillingOnly: t.BillingOnly, AcquiringOnly: t.AcquiringOnly,
		BillingSum: t.BillingSum.String(), AcquiringSum: t.AcquiringSum.String()}}
}

// readBytes is how much `gispay check` reads of a file at a time.
const readBytes = 1 << 20

func runCheck(args []string, stdout, stderr io.Writer) int {
	// What the reconciliation keeps (the billing index, the order ids) is
	// large arrays without pointers, and reading inline writes each row
	// over the text of the rows before: a collection finds next to nothing
	// to free, so the heap's peak is the live heap however seldom it
	// collects. At 400% growth it collects once instead of the seven or so
	// times the indexes' growth would set off at 25%, each a few
	// milliseconds of the other core's CPU.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organisation code: its matching rules are read from Postgres (DATABASE_URL); without DATABASE_URL, the default rules")
	asJSON := fs.Bool("json", false, "print the totals as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gispay check BILLING.csv ACQUIRING.csv [--org CODE] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(flagArgs(args, "org")); err != nil || fs.NArg() != 2 {
		if err == nil {
			fs.Usage()
		}
		return exitUsage
	}
	rules, note, err := rulesFor(context.Background(), *org, os.Getenv("DATABASE_URL"))
	if err != nil {
		fmt.Fprintln(stderr, "gispay check:", err)
		return exitUsage
	}
	var notes []*matcher.Result
	keep := matcher.SinkFunc(func(r *matcher.Result) error {
		if r.Status == matcher.Held || r.Status == matcher.Refund {
			c := *r
			if r.Acquiring != nil {
				a := r.Acquiring.Clone()
				c.Acquiring = &a
			}
			if r.Billing != nil {
				b := r.Billing.Clone()
				c.Billing = &b
			}
			notes = append(notes, &c)
		}
		return nil
	})
	sum, err := check(fs.Arg(0), fs.Arg(1), rules, keep)
	if list, ok := exportcsv.AsErrors(err); ok {
		for _, e := range list.List {
			fmt.Fprintln(stderr, e.Error())
		}
		if list.Dropped > 0 {
			fmt.Fprintf(stderr, "and %d more problems\n", list.Dropped)
		}
		fmt.Fprintf(stderr, "gispay check: %d problem(s): the reconciler would refuse these files\n", list.Len())
		return exitProblems
	}
	var tooLarge *reconciler.TotalTooLarge
	if errors.As(err, &tooLarge) {
		fmt.Fprintln(stderr, "gispay check:", err)
		return exitProblems
	}
	if err != nil {
		fmt.Fprintln(stderr, "gispay check:", err)
		return exitProblems
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(totalsOf(sum)); err != nil {
			return exitProblems
		}
		return exitOK
	}
	fmt.Fprintln(stdout, note)
	printSummary(stdout, sum, notes)
	return exitOK
}

// check opens both files and reconciles them as the reconciler does.
func check(billingPath, acquiringPath string, rules matcher.Rules, sink matcher.Sink) (*matcher.Summary, error) {
	var inputs [2]matcher.Input
	var problems exportcsv.Errors
	for i, f := range []struct {
		path string
		kind exportcsv.Kind
	}{{billingPath, exportcsv.Billing}, {acquiringPath, exportcsv.Acquiring}} {
		file, err := os.Open(f.path)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		var size int64
		if fi, err := file.Stat(); err == nil {
			size = fi.Size()
		}
		// Reads of a megabyte: in the reader's 64 KiB ones, each a
		// system call the runtime may hand its processor away during, a
		// 40 MB file took 700 of them.
		in := bufio.NewReaderSize(file, readBytes)
		if inputs[i], err = reconciler.OpenInput(f.path, f.kind, in, size, exportcsv.Limits{}, &problems); err != nil {
			return nil, err
		}
	}
	if problems.Len() > 0 {
		return nil, &problems
	}
	// A one-shot process pays for CPU, not for waiting: reading inline
	// spares the hand-offs of batches between goroutines.
	return reconciler.Match(inputs[:1], inputs[1:], rules, nil, nil, sink, matcher.ReadInline())
}

// rulesFor reads an organisation's matching rules from Postgres when a
// code and a database are given; otherwise the defaults. note says which.
func rulesFor(ctx context.Context, org, databaseURL string) (matcher.Rules, string, error) {
	if org == "" || databaseURL == "" {
		note := "rules: the defaults"
		if org != "" {
			note += " (DATABASE_URL is not set, so the rules of " + org + " were not read)"
		}
		return matcher.DefaultRules(), note + ": " + describe(matcher.DefaultRules()), nil
	}
	st, err := postgres.Open(ctx, databaseURL)
	if err != nil {
		return matcher.Rules{}, "", err
	}
	defer st.Close()
	o, err := st.OrganizationByCode(ctx, org)
	if err != nil {
		return matcher.Rules{}, "", err
	}
	return *o.Rules, "rules of " + org + ": " + describe(*o.Rules), nil
}

func describe(r matcher.Rules) string {
	s := fmt.Sprintf("key (bill, supplier, service), billing date within %d day(s) of the bank's", r.WindowDays)
	if r.KeyWithDate {
		s = "key (date, bill, supplier, service)"
	}
	if r.Strict {
		return s + "; strict: any bad row fails its file"
	}
	return s + fmt.Sprintf("; up to %g%% of a file's rows may be held", r.MaxBadShare*100)
}

func printSummary(w io.Writer, sum *matcher.Summary, notes []*matcher.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tbilling rows\tbilling sum\tbank rows\tbank sum\tmatched\tmismatched\tbilling only\tbank only\tdifference\t")
	row := func(label string, d *matcher.Day) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", label, d.BillingCount, d.BillingSum, d.AcquiringCount,
			d.AcquiringSum, d.Matched, d.Mismatched, d.BillingOnly, d.AcquiringOnly, d.Difference())
	}
	for i := range sum.Days {
		row(sum.Days[i].Day.String(), &sum.Days[i])
	}
	row("total", &sum.Total)
	tw.Flush()
	fmt.Fprintf(w, "held rows: %d; refunds: %d (%s)\n", sum.Held, sum.Refunds, sum.RefundSum)
	for _, r := range notes {
		if r.Status == matcher.Held {
			fmt.Fprintf(w, "held: %s\n", r.Problem)
		}
	}
	for _, r := range notes {
		if r.Status == matcher.Refund {
			fmt.Fprintf(w, "refund, a candidate for cancellation: line %d, order %s, %s\n", r.Acquiring.Line, r.Acquiring.OrderID, r.Acquiring.Total())
		}
	}
}
