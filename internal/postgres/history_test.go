package postgres_test

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// paymentsOfRun returns a run's payment ids, oldest first.
func paymentsOfRun(t *testing.T, s *postgres.Store, runID int64) []int64 {
	t.Helper()
	var ids []int64
	if err := s.Pool.QueryRow(context.Background(), `SELECT array_agg(id ORDER BY id) FROM payment WHERE run_id = $1`, runID).
		Scan(&ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func history(t *testing.T, s *postgres.Store, paymentID int64) []postgres.StatusChange {
	t.Helper()
	h, err := s.PaymentHistory(context.Background(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A payment's creation is not written by the packer's insert but shown
// all the same: the status it was created in, when and why; a creation
// written before (by the trigger of earlier migrations) is shown once.
func TestPaymentHistoryImpliesCreation(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.New(t)
	org := pgtest.Organization(t, s, "uk1", "uk_rso")
	runID, _ := sentRun(t, s, org, "h1", 1, 2, "poller")
	var written int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM payment_status_history WHERE from_status IS NULL`).Scan(&written); err != nil || written != 0 {
		t.Fatalf("creation entries written: %d, %v", written, err)
	}
	ids := paymentsOfRun(t, s, runID)
	h := history(t, s, ids[0])
	var created postgres.StatusChange
	if err := s.Pool.QueryRow(ctx, `SELECT created_at FROM payment WHERE id = $1`, ids[0]).Scan(&created.At); err != nil {
		t.Fatal(err)
	}
	created.To, created.Cause = "queued", "packed by run "+strconv.FormatInt(runID, 10)
	if len(h) != 2 || h[0] != created || h[1].From != "queued" || h[1].To != "sent" {
		t.Fatalf("history = %+v, want the creation %+v then queued → sent", h, created)
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO payment_status_history (id, payment_id, from_status, to_status, at, cause)
		OVERRIDING SYSTEM VALUE SELECT -id, id, NULL, 'queued', created_at, 'written before' FROM payment WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if h := history(t, s, ids[1]); len(h) != 2 || h[0].From != "" || h[0].Cause != "written before" || h[1].To != "sent" {
		t.Errorf("history with a written creation = %+v", h)
	}
}

// Migration 00014 down writes the implied creations (before every change
// of the payment, as the trigger did) and brings the insert trigger back;
// up again removes it, and the history reads the same throughout.
func TestImpliedCreationMigratesDownAndUp(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.New(t)
	org := pgtest.Organization(t, s, "uk1", "uk_rso")
	runID, _ := sentRun(t, s, org, "h1", 1, 2, "poller")
	id := paymentsOfRun(t, s, runID)[0]
	want := history(t, s, id)
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	var written int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM payment_status_history WHERE from_status IS NULL AND payment_id = $1`, id).
		Scan(&written); err != nil || written != 1 {
		t.Fatalf("creation entries after down: %d, %v", written, err)
	}
	if got := history(t, s, id); !reflect.DeepEqual(got, want) {
		t.Errorf("history after down = %+v, want %+v", got, want)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := history(t, s, id); !reflect.DeepEqual(got, want) {
		t.Errorf("history after down and up = %+v, want %+v", got, want)
	}
}
