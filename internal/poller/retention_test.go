package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// The sweep retires the reconciliation rows of runs settled longer ago
// than the retention, but keeps the rows payments still need: those in
// error, which the next run retries from them. Younger runs keep all.
func TestSweepRetiresOldReconRows(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	e.Pack.PackageSize = 2
	e.Poll.ReconRetention = 90 * 24 * time.Hour
	// One getState at a time: applying a failed message beside another
	// package of its run can deadlock in Postgres (seen on main too; the
	// package is polled again later), which this test is not about.
	e.Poll.Concurrency = 1
	e.Sim.FailNextMessages(1, "EXP001000", "Произошла ошибка при передаче данных")
	old, _ := sent(t, e, "uk_rso", 5) // packages of 2, 2, 1: one fails (retryable)
	young := e.Reconciled(t, "org1", 4, 2)
	if r := pollProcessed(t, e, old); r.Status != contract.RunFinishedWithErrors {
		t.Fatalf("%+v", r)
	}
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE run SET finished_at = now() - interval '91 days' WHERE id = $1`, old); err != nil {
		t.Fatal(err)
	}
	rows := func(run int64) int {
		return pgtest.Count(t, e.Store, `SELECT count(*) FROM recon_row WHERE run_id = $1`, run)
	}
	failed := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE run_id = $1 AND status = 'error'`, old)
	if failed == 0 || failed == 5 {
		t.Fatalf("%d payments in error", failed)
	}
	for range 2 { // the second sweep finds nothing more to do
		if _, err := e.Poll.Poll(ctx, poller.Request{}); err != nil {
			t.Fatal(err)
		}
		if rows(old) != failed || rows(young) != 4 {
			t.Fatalf("recon rows left: old run %d (want the %d in error), young run %d (want 4)", rows(old), failed, rows(young))
		}
	}
	if pgtest.Count(t, e.Store, `SELECT count(*) FROM run WHERE recon_retired_at IS NOT NULL`) != 1 {
		t.Error("the old run is not marked retired")
	}
	// The next run still retries the errors from their kept rows.
	res, err := e.Pack.Pack(ctx, packer.Request{RunID: young})
	if err != nil || res.Retried != failed || res.Payments != 4+failed {
		t.Fatalf("%+v %v", res, err)
	}
	if n := pgtest.Count(t, e.Store, `SELECT count(*) FROM payment WHERE run_id = $1`, old); n != 5 {
		t.Errorf("the old run has %d payments, want all 5 kept", n)
	}
}
