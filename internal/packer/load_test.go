package packer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// A payment whose recon row belongs to another organisation (or does not
// exist) is not loaded: the load checks every reference, and the
// transaction stores nothing, not even the packages.
func TestLoadRefusesBrokenReferences(t *testing.T) {
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	pgtest.Organization(t, e.Store, "org2", "uk_rso")
	other := e.Reconciled(t, "org2", 3, 2)
	var foreignRow int64
	var foreignOrder string
	if err := e.Store.Pool.QueryRow(context.Background(), `SELECT id, order_id FROM recon_row WHERE run_id = $1 ORDER BY id LIMIT 1`, other).
		Scan(&foreignRow, &foreignOrder); err != nil {
		t.Fatal(err)
	}
	earlier := e.Reconciled(t, "org1", 3, 3)
	var earlierRow int64
	if err := e.Store.Pool.QueryRow(context.Background(), `SELECT id FROM recon_row WHERE run_id = $1 ORDER BY id LIMIT 1`, earlier).
		Scan(&earlierRow); err != nil {
		t.Fatal(err)
	}
	type ref struct {
		row   int64  // 0: the candidate's own
		order string // "": the candidate's own
	}
	for name, r := range map[string]ref{"another organisation's row": {foreignRow, ""},
		"another organisation's row with its order id": {foreignRow, foreignOrder}, "no such row": {1 << 40, ""},
		"its own row with another order id":          {0, foreignOrder + "0"},
		"an earlier run's row with another order id": {earlierRow, foreignOrder + "00"}} {
		t.Run(name, func(t *testing.T) {
			runID := e.Reconciled(t, "org1", 5, uint64(r.row%97)+uint64(len(r.order))+10)
			plan := func(org *postgres.Organization, cs []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
				p := postgres.PlannedPackage{MessageGUID: uuid.NewString(), Operation: "importSupplierNotificationsOfOrderExecution"}
				for i := range cs {
					p.Payments = append(p.Payments, postgres.PlannedPayment{Candidate: &cs[i], TransportGUID: uuid.NewString()})
				}
				bad := cs[len(cs)-1]
				if r.row != 0 {
					bad.ReconRowID = r.row
				}
				if r.order != "" {
					bad.OrderID = r.order
				}
				p.Payments[len(cs)-1].Candidate = &bad
				return []postgres.PlannedPackage{p}, nil, nil
			}
			_, err := e.Store.PreparePackages(context.Background(), runID, plan, nil)
			if err == nil || !strings.Contains(err.Error(), "1 payments reference a missing package, recon row or run") {
				t.Fatalf("err = %v", err)
			}
			if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM package WHERE run_id = $1`, runID); n != 0 {
				t.Errorf("%d packages stored", n)
			}
			if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE run_id = $1`, runID); n != 0 {
				t.Errorf("%d payments stored", n)
			}
		})
	}
}

// A payment whose order is already live in another run of the
// organisation is refused by payment_once while the payments are stored:
// the transaction stores nothing and says why.
func TestLoadRefusesAnOrderLiveElsewhere(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	first, _ := e.Packed(t, "org1", 3, 1)
	var live postgres.Candidate
	if err := e.Store.Pool.QueryRow(ctx, `SELECT r.id, r.order_id FROM payment p JOIN recon_row r ON r.id = p.recon_row_id
		WHERE p.run_id = $1 ORDER BY p.id LIMIT 1`, first).Scan(&live.ReconRowID, &live.OrderID); err != nil {
		t.Fatal(err)
	}
	live.Attempt = 1
	runID := e.Reconciled(t, "org1", 5, 2)
	plan := func(org *postgres.Organization, cs []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
		p := postgres.PlannedPackage{MessageGUID: uuid.NewString(), Operation: "importSupplierNotificationsOfOrderExecution"}
		for i := range cs {
			p.Payments = append(p.Payments, postgres.PlannedPayment{Candidate: &cs[i], TransportGUID: uuid.NewString()})
		}
		p.Payments = append(p.Payments, postgres.PlannedPayment{Candidate: &live, TransportGUID: uuid.NewString()})
		return []postgres.PlannedPackage{p}, nil, nil
	}
	_, err := e.Store.PreparePackages(ctx, runID, plan, nil)
	if err == nil || !strings.Contains(err.Error(), "already live in another run") {
		t.Fatalf("err = %v", err)
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM package WHERE run_id = $1`, runID) +
		pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE run_id = $1`, runID); n != 0 {
		t.Errorf("%d packages and payments stored", n)
	}
}
