package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// A run's candidates look up each row's order in payment_once, whatever
// the statistics say: here payment was never analyzed after the first
// run stored its 2 000 payments, as a grown table's statistics trail it.
// Joined instead, the planner scanned all the organisation's payments for
// every row of the run (a run of 25 000 after one of 25 000: 40 s).
func TestCandidatesLookUpEachOrder(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	org := pgtest.Organization(t, e.Store, "org1", "uk_rso")
	e.Packed(t, "org1", 2000, 1)
	runID := e.Reconciled(t, "org1", 2000, 2)
	rows, err := e.Store.Pool.Query(ctx, `EXPLAIN `+postgres.OwnCandidates, runID, []string{"matched"}, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "order_id = r.order_id") || strings.Contains(plan.String(), "Join Filter") {
		t.Errorf("payment is not looked up by order:\n%s", plan.String())
	}
}
