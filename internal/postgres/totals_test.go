package postgres_test

import (
	"context"
	"testing"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// A run's payment totals count and sum its own payments by status, not
// another run's.
func TestPaymentTotalsOfARun(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	runID, _ := e.Packed(t, "org1", 3, 1)
	e.Packed(t, "org1", 2, 2)
	var sum string
	if err := e.Store.Pool.QueryRow(ctx, `SELECT sum(amount)::text FROM payment WHERE run_id = $1`, runID).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	got, err := e.Store.PaymentTotals(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != (postgres.StatusTotal{Status: "queued", N: 3, Sum: sum}) {
		t.Errorf("totals %+v, want 3 queued summing %s", got, sum)
	}
}
