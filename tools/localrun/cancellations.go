package main

import (
	"context"
	"fmt"

	"github.com/gispayments/gis-payments/internal/postgres"
)

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
