package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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

// One pass over a run's rows finds the candidates, and the count of rows
// already loaded, that the two queries it replaced found: rows in the
// policy's statuses or approved, whose order is live or not, withheld or
// not.
func TestCandidatesAndAlreadyLoadedInOnePass(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	org := pgtest.Organization(t, e.Store, "org1", "uk_rso")
	first, _ := e.Packed(t, "org1", 4, 1)
	runID := e.Reconciled(t, "org1", 10, 2)
	var rows []int64
	r, err := e.Store.Pool.Query(ctx, `SELECT id FROM recon_row WHERE run_id = $1 ORDER BY id`, runID)
	if err == nil {
		rows, err = pgx.CollectRows(r, pgx.RowTo[int64])
	}
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0-3 take the first run's live orders.
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE recon_row r SET order_id = p.order_id
		FROM (SELECT order_id, row_number() OVER (ORDER BY id) AS n FROM payment WHERE run_id = $2) p
		WHERE r.id = ($1::bigint[])[p.n]`, rows, first); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		// Rows 3 and 4 are discrepancies the policy does not load.
		`UPDATE recon_row SET status = 'mismatch', acquiring_main = acquiring_main + 1 WHERE id IN (($1::bigint[])[4], ($1::bigint[])[5])`,
		`INSERT INTO run_decision (run_id, decision, decided_by, source) SELECT run_id, 'approve', 'test', 'admin' FROM recon_row WHERE id = ($1::bigint[])[1]`,
		// The approver loads both discrepancies and withholds row 0 (live) and row 5.
		`INSERT INTO run_decision_row (run_id, recon_row_id, action) SELECT r.run_id, x.id, x.action FROM recon_row r,
			unnest(ARRAY[($1::bigint[])[4], ($1::bigint[])[5], ($1::bigint[])[1], ($1::bigint[])[6]], ARRAY['load', 'load', 'withhold', 'withhold']) AS x(id, action)
			WHERE r.id = x.id`,
	} {
		if _, err := e.Store.Pool.Exec(ctx, sql, rows); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	statuses := []string{"check", "check_split"}
	live := `EXISTS (SELECT 1 FROM payment p WHERE p.organization_id = $3 AND p.order_id = r.order_id AND p.status = 'queued')`
	wantLoaded := pgtest.Count(t, e.Store, `SELECT count(*) FROM recon_row r WHERE r.run_id = $1 AND r.status = ANY($2) AND `+live,
		runID, statuses, org.ID)
	wantRows := pgtest.Count(t, e.Store, `SELECT count(*) FROM recon_row r WHERE r.run_id = $1
		AND (r.status = ANY($2) OR r.id IN (SELECT recon_row_id FROM run_decision_row WHERE run_id = $1 AND action = 'load'))
		AND r.id NOT IN (SELECT recon_row_id FROM run_decision_row WHERE run_id = $1 AND action = 'withhold') AND NOT `+live,
		runID, statuses, org.ID)
	// Live: 0 (withheld), 1, 2 and 3 (a discrepancy, loaded); the
	// candidates: 4 (loaded) and 6-9.
	if wantLoaded != 3 || wantRows != 5 {
		t.Fatalf("the fixture has %d rows already loaded and %d to load", wantLoaded, wantRows)
	}
	var got []postgres.Candidate
	plan := func(_ *postgres.Organization, cs []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
		got = cs
		return nil, nil, nil
	}
	packing, err := e.Store.PreparePackages(ctx, runID, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if packing.AlreadyLoaded != wantLoaded || len(got) != wantRows {
		t.Errorf("%d rows already loaded, %d to load; want %d and %d", packing.AlreadyLoaded, len(got), wantLoaded, wantRows)
	}
	for i, c := range got {
		if want := rows[[]int{4, 6, 7, 8, 9}[min(i, 4)]]; c.ReconRowID != want {
			t.Errorf("candidate %d is row %d, want %d", i, c.ReconRowID, want)
		}
	}
}
