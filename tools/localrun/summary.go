package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
)

func summary(ctx context.Context, st *postgres.Store, output []byte, localRoot, bucket string) error {
	runID, err := runOf(output)
	if err != nil {
		return err
	}
	run, err := st.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	days, err := st.ReconDays(ctx, runID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tbilling\tbilling sum\tbank\tbank sum\tmatched\tmismatched\tbilling only\tbank only\tdifference\t")
	for _, d := range days {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", d.Day, d.BillingCount, d.BillingSum,
			d.AcquiringCount, d.AcquiringSum, d.Matched, d.Mismatched, d.BillingOnly, d.AcquiringOnly, d.Difference())
	}
	tw.Flush()
	totals, err := st.PaymentTotals(ctx, runID)
	if err != nil {
		return err
	}
	fmt.Println("  payments by status:")
	for _, t := range totals {
		fmt.Printf("    %-18s %6d  %15s\n", t.Status, t.N, t.Sum)
	}
	fmt.Printf("  run %d ended %s\n  report:  s3://%s/%s\n  results: s3://%s/results/%d.csv\n", runID, run.Status,
		bucket, run.ReportHTMLKey, bucket, runID)
	if d, err := st.RunDecision(ctx, runID); err == nil {
		fmt.Printf("  %sd by %s at %s: %d extra rows loaded, %d withheld\n", d.Decision(), d.By,
			d.At.Format(time.RFC3339), len(d.Load), len(d.Withhold))
	}
	if pkgs, err := st.PackagesOfRun(ctx, runID); err == nil && len(pkgs) > 0 {
		fmt.Printf("  archive: s3://%s/%s (signed requests and GIS's responses)\n", os.Getenv("ARCHIVE_BUCKET"),
			pkgs[0].RequestKey[:strings.LastIndex(pkgs[0].RequestKey, "/")+1])
	}
	if localRoot != "" {
		fmt.Printf("  open the report: file://%s\n", filepath.Join(localRoot, bucket, run.ReportHTMLKey))
	}
	return nil
}

// runOf is the run an execution's first step started.
func runOf(output []byte) (int64, error) {
	var out contract.State
	if err := json.Unmarshal(output, &out); err != nil || out.Reconcile == nil {
		return 0, fmt.Errorf("execution output %s: %v", output, err)
	}
	return out.Reconcile.RunID, nil
}

// cancellationSummary prints what became of a cancellation run's requests.
func cancellationSummary(ctx context.Context, st *postgres.Store, output []byte, bucket string) error {
	runID, err := runOf(output)
	if err != nil {
		return err
	}
	rows, err := st.Pool.Query(ctx, `SELECT coalesce(c.order_id, ''), c.status, coalesce(p.status, ''), coalesce(c.reason, '')
		FROM cancellation c LEFT JOIN payment p ON p.id = c.payment_id WHERE c.run_id = $1 ORDER BY c.id`, runID)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Println("  cancellations (order, request, payment, reason):")
	for rows.Next() {
		var order, status, payment, reason string
		if err := rows.Scan(&order, &status, &payment, &reason); err != nil {
			return err
		}
		fmt.Printf("    %-34s %-10s %-16s %s\n", order, status, payment, reason)
	}
	run, err := st.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	fmt.Printf("  cancellation run %d ended %s\n  results: s3://%s/results/%d.csv\n", runID, run.Status, bucket, runID)
	return rows.Err()
}
