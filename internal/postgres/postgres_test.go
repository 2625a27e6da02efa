package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/testkit"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s, _ := pgtest.New(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestRegisterFile(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.New(t)
	org := pgtest.Organization(t, s, "uk1", "uk_rso")
	f := &postgres.SourceFile{OrganizationID: org.ID, Bucket: "b", Key: "incoming/billing/uk1/a.csv", ETag: "e1",
		Sequencer: "0A", Kind: exportcsv.Billing, Size: 10}
	first, created, err := s.RegisterFile(ctx, f)
	if err != nil || !created || first.Status != contract.FileRegistered {
		t.Fatalf("first = %+v, created=%v, err=%v", first, created, err)
	}
	again, created, err := s.RegisterFile(ctx, f)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("duplicate event: %+v created=%v err=%v", again, created, err)
	}
	// A newer upload of the same key supersedes the first.
	newer := *f
	newer.ETag, newer.Sequencer = "e2", "0B"
	second, created, err := s.RegisterFile(ctx, &newer)
	if err != nil || !created || second.Status != contract.FileRegistered {
		t.Fatalf("newer: %+v %v %v", second, created, err)
	}
	if got, _ := s.FileByKey(ctx, org.ID, "b", f.Key, "e1"); got.Status != contract.FileSuperseded {
		t.Errorf("older version status = %s, want superseded", got.Status)
	}
	// An event for an older upload arriving late does not win.
	late := *f
	late.ETag, late.Sequencer = "e0", "09"
	stale, _, err := s.RegisterFile(ctx, &late)
	if err != nil || stale.Status != contract.FileSuperseded {
		t.Fatalf("late event: %+v %v", stale, err)
	}
	if got, _ := s.PendingFile(ctx, org.ID, exportcsv.Billing, postgres.Days{From: 1, To: 1}); got != nil {
		t.Errorf("pending file of unknown days = %d, want none", got.ID)
	}
	if got, _ := s.FileByKey(ctx, org.ID, "b", f.Key, ""); got.ID != second.ID {
		t.Errorf("pending file = %d, want %d", got.ID, second.ID)
	}
	// A file with header problems is registered failed, with its errors.
	bad := *f
	bad.Key, bad.ETag = "incoming/billing/uk1/bad.csv", "e9"
	bad.Errors = []*exportcsv.Error{{File: "bad.csv", Line: 1, Msg: "missing column fine_sum"}}
	failed, _, err := s.RegisterFile(ctx, &bad)
	if err != nil || failed.Status != contract.FileFailed || len(failed.Errors) != 1 || failed.Errors[0].Msg != "missing column fine_sum" {
		t.Fatalf("bad file: %+v %v", failed, err)
	}
}

func TestStatusLifecycleIsEnforced(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.New(t)
	org := pgtest.Organization(t, s, "uk1", "uk_rso")
	run, err := s.BeginRun(ctx, postgres.RunSpec{OrganizationID: org.ID, RunKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to contract.RunStatus
		ok       bool
	}{
		{contract.RunCreated, contract.RunFinished, false},
		{contract.RunCreated, contract.RunReconciling, true},
		{contract.RunReconciling, contract.RunSending, false},
		{contract.RunReconciling, contract.RunPacking, true},
		{contract.RunPacking, contract.RunCreated, false},
	}
	for _, tt := range tests {
		_, err := s.Pool.Exec(ctx, `UPDATE run SET status = $2 WHERE id = $1`, run.ID, tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("%s -> %s: err = %v, want ok=%v", tt.from, tt.to, err, tt.ok)
		}
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO run (organization_id, run_key, status) VALUES ($1, 'k2', 'finished')`, org.ID); err == nil {
		t.Error("a run was created in status finished")
	}
}

func produce(billing, acquiring string) func(matcher.Sink) (*matcher.Summary, []postgres.FileStats, error) {
	return func(sink matcher.Sink) (*matcher.Summary, []postgres.FileStats, error) {
		br, err := exportcsv.NewReader("b.csv", exportcsv.Billing, strings.NewReader(exportcsv.BillingHeader+billing), exportcsv.Limits{})
		if err != nil {
			return nil, nil, err
		}
		ar, err := exportcsv.NewReader("a.csv", exportcsv.Acquiring, strings.NewReader(exportcsv.AcquiringHeader+acquiring), exportcsv.Limits{})
		if err != nil {
			return nil, nil, err
		}
		sum, err := matcher.Run([]matcher.Input{{Name: "b.csv", Reader: br}}, []matcher.Input{{Name: "a.csv", Reader: ar}}, sink)
		return sum, nil, err
	}
}

func registerPair(t *testing.T, s *postgres.Store, orgID int64) (int64, int64) {
	t.Helper()
	var ids []int64
	for _, k := range []exportcsv.Kind{exportcsv.Billing, exportcsv.Acquiring} {
		f, _, err := s.RegisterFile(context.Background(), &postgres.SourceFile{OrganizationID: orgID, Bucket: "b",
			Key: fmt.Sprintf("incoming/%s/x/f.csv", k), ETag: "e", Kind: k})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	return ids[0], ids[1]
}

// begun is a store with organisation uk1, its registered pair of exports
// (billing, acquiring) and a run begun for them.
func begun(t *testing.T) (s *postgres.Store, run *postgres.Run, billing, acquiring int64) {
	s, _ = pgtest.New(t)
	org := pgtest.Organization(t, s, "uk1", "uk_rso")
	billing, acquiring = registerPair(t, s, org.ID)
	run, err := s.BeginRun(context.Background(), postgres.RunSpec{OrganizationID: org.ID, RunKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return s, run, billing, acquiring
}

func TestSaveReconciliation(t *testing.T) {
	ctx := context.Background()
	s, run, bid, aid := begun(t)
	rec := postgres.Reconciliation{BillingFiles: []int64{bid}, AcquiringFiles: []int64{aid},
		Produce: produce("2026-11-21;B1;S1;SV1;LS1;100;5\n2026-11-21;B2;S1;SV1;LS2;1;0\n",
			"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;105;0\n2026-11-21;O3;2026-11-21;B3;S1;SV1;LS3;7,77;0\n")}
	sum, err := s.SaveReconciliation(ctx, run.ID, rec)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total.Matched != 1 || sum.Total.BillingOnly != 1 || sum.Total.AcquiringOnly != 1 {
		t.Errorf("summary %+v", sum.Total)
	}
	got, _ := s.RunByID(ctx, run.ID)
	if got.Status != contract.RunReconciling || got.ReconciledAt == nil || got.Matched != 1 || got.BillingSum.String() != "106" ||
		got.AcquiringSum.StringFixed(2) != "112.77" || got.PeriodFrom == nil {
		t.Errorf("run = %+v", got)
	}
	var rows int
	var fineSum string
	s.Pool.QueryRow(ctx, `SELECT count(*), sum(billing_fine)::text FROM recon_row WHERE run_id = $1`, run.ID).Scan(&rows, &fineSum)
	if rows != 3 || fineSum != "5.00" {
		t.Errorf("recon rows = %d, fine sum %s", rows, fineSum)
	}
	// A retry or duplicate invocation writes nothing twice.
	if _, err := s.SaveReconciliation(ctx, run.ID, rec); !errors.Is(err, postgres.ErrAlreadyReconciled) {
		t.Errorf("second save: %v, want ErrAlreadyReconciled", err)
	}
	s.Pool.QueryRow(ctx, `SELECT count(*) FROM recon_row WHERE run_id = $1`, run.ID).Scan(&rows)
	if rows != 3 {
		t.Errorf("after retry %d rows", rows)
	}
}

// A bad row late in the registry leaves nothing behind: the rows already
// copied are rolled back with the rest.
func TestSaveReconciliationRollsBack(t *testing.T) {
	ctx := context.Background()
	s, run, bid, aid := begun(t)
	var good strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&good, "2026-11-21;O%d;2026-11-21;B%d;S1;SV1;LS;1;0\n", i, i)
	}
	_, err := s.SaveReconciliation(ctx, run.ID, postgres.Reconciliation{BillingFiles: []int64{bid}, AcquiringFiles: []int64{aid},
		Produce: produce("", good.String()+"2026-11-21;OX;2026-11-21\n")})
	list, ok := exportcsv.AsErrors(err)
	if !ok || !strings.Contains(list.List[0].Error(), "line 3002: 3 fields, the header has 9") {
		t.Fatalf("error = %v", err)
	}
	var rows, days int
	s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM recon_row), (SELECT count(*) FROM recon_day)`).Scan(&rows, &days)
	got, _ := s.RunByID(ctx, run.ID)
	if rows != 0 || days != 0 || got.ReconciledAt != nil || got.Status != contract.RunCreated {
		t.Errorf("after failure: %d rows, %d days, run %+v", rows, days, got)
	}
}

// The Go statuses are exactly those the migrations' status_transition knows.
func TestStatusesMatchTheMigrations(t *testing.T) {
	s, _ := pgtest.New(t)
	rows, err := s.Pool.Query(context.Background(), `SELECT entity, array_agg(DISTINCT st ORDER BY st) FROM (
		SELECT entity, to_status AS st FROM status_transition
		UNION SELECT entity, from_status FROM status_transition WHERE from_status <> '') x GROUP BY entity`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var entity string
		var statuses []string
		if err := rows.Scan(&entity, &statuses); err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(contract.Statuses[entity])
		slices.Sort(want)
		if !slices.Equal(statuses, want) {
			t.Errorf("%s: the migrations know %v, the contract %v", entity, statuses, want)
		}
		seen++
	}
	if seen != len(contract.Statuses) {
		t.Errorf("%d entities in status_transition, %d in the contract", seen, len(contract.Statuses))
	}
}

// A payment is created queued, the one status status_transition lets it be
// created in (payment_initial looks up no other row, migration 00017); one
// created in any other status is refused.
func TestPaymentsAreCreatedQueued(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	e.Packed(t, "org1", 1, 1)
	var initial []string
	if err := e.Store.Pool.QueryRow(ctx, `SELECT array_agg(to_status ORDER BY to_status) FROM status_transition
		WHERE entity = 'payment' AND from_status = ''`).Scan(&initial); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(initial, []string{"queued"}) {
		t.Fatalf("payments may be created in %v: payment_initial checks every status but queued", initial)
	}
	create := func(status string) error {
		_, err := e.Store.Pool.Exec(ctx, `INSERT INTO payment (run_id, organization_id, recon_row_id, order_id, amount, transport_guid, package_id, status)
			SELECT run_id, organization_id, recon_row_id, order_id || $1, amount, gen_random_uuid(), package_id, $1 FROM payment LIMIT 1`, status)
		return err
	}
	for _, status := range []string{"sent", "imported", "already_imported", "cancelled"} {
		var pgErr *pgconn.PgError
		if err := create(status); !errors.As(err, &pgErr) || pgErr.Code != "23514" || !strings.Contains(pgErr.Message, "-> "+status+" is not allowed") {
			t.Errorf("created %s: %v", status, err)
		}
	}
	if err := create("queued"); err != nil {
		t.Errorf("created queued: %v", err)
	}
}
