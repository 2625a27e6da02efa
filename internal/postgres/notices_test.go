package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// Queued payments are unloaded too, in a signed package as in one still
// built, once taken before the limit; loaded ones are not.
func TestUnloadedPaymentsCountQueued(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	e.Packed(t, "org1", 3, 1) // signed, not sent
	built := e.Reconciled(t, "org1", 2, 2)
	plan := func(org *postgres.Organization, cs []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
		p := postgres.PlannedPackage{MessageGUID: uuid.NewString(), Operation: "importSupplierNotificationsOfOrderExecution"}
		for i := range cs {
			p.Payments = append(p.Payments, postgres.PlannedPayment{Candidate: &cs[i], TransportGUID: uuid.NewString()})
		}
		return []postgres.PlannedPackage{p}, nil, nil
	}
	if _, err := e.Store.PreparePackages(ctx, built, plan, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE payment SET status = 'sent' WHERE id = (SELECT min(id) FROM payment)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE payment SET status = 'imported' WHERE id = (SELECT min(id) FROM payment)`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		before time.Time
		want   int
	}{{time.Now().Add(time.Hour), 4}, {time.Now().Add(-time.Hour), 0}} {
		if n, err := e.Store.UnloadedPayments(ctx, c.before); err != nil || n != c.want {
			t.Errorf("unloaded before %s: %d, %v; want %d", c.before, n, err, c.want)
		}
	}
}
