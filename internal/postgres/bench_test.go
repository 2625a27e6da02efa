package postgres_test

import (
	"bytes"
	"context"
	"math/big"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/exportgen"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// BenchmarkSaveReconciliation300k streams a 300k+300k reconciliation into
// Postgres with COPY, end to end (parse, match, copy, summary, commit).
func BenchmarkSaveReconciliation300k(b *testing.B) {
	ctx := context.Background()
	s, _ := pgtest.New(b)
	org := pgtest.Organization(b, s, "bench", "ufkr")
	var bill, acq bytes.Buffer
	spec := exportgen.Spec{Rows: 300_000, Days: 7, Last: calendar.FromYMD(2026, 11, 21), Seed: 3, Mismatch: 0.01, OneSided: 0.01}
	if _, err := exportgen.Write(spec, &bill, &acq); err != nil {
		b.Fatal(err)
	}
	ids := registerFiles(b, s, org.ID)
	b.ResetTimer()
	rows := 0
	for i := 0; b.Loop(); i++ {
		run, err := s.BeginRun(ctx, postgres.RunSpec{OrganizationID: org.ID, RunKey: "bench-" + string(rune('a'+i))})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := s.SaveReconciliation(ctx, run.ID, postgres.Reconciliation{BillingFiles: ids[:1], AcquiringFiles: ids[1:],
			Produce: func(sink matcher.Sink) (*matcher.Summary, []postgres.FileStats, error) {
				br, _ := exportcsv.NewReader("b", exportcsv.Billing, bytes.NewReader(bill.Bytes()), exportcsv.Limits{})
				ar, _ := exportcsv.NewReader("a", exportcsv.Acquiring, bytes.NewReader(acq.Bytes()), exportcsv.Limits{})
				sum, err := matcher.Run([]matcher.Input{{Name: "b", Reader: br}}, []matcher.Input{{Name: "a", Reader: ar}}, sink)
				return sum, nil, err
			}})
		if err != nil {
			b.Fatal(err)
		}
		rows += sum.Total.Matched + sum.Total.Mismatched + sum.Total.BillingOnly + sum.Total.AcquiringOnly
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func registerFiles(b *testing.B, s *postgres.Store, orgID int64) []int64 {
	var ids []int64
	for _, k := range []exportcsv.Kind{exportcsv.Billing, exportcsv.Acquiring} {
		f, _, err := s.RegisterFile(context.Background(), &postgres.SourceFile{OrganizationID: orgID, Bucket: "b",
			Key: "incoming/" + string(k) + "/bench.csv", ETag: "e", Kind: k})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	return ids
}

// BenchmarkCopyVsInsert loads the same recon rows with COPY and with one
// INSERT per row (prepared, in one transaction): the ratio is the point.
func BenchmarkCopyVsInsert(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	s, _ := pgtest.New(b)
	org := pgtest.Organization(b, s, "bench", "ufkr")
	ids := registerFiles(b, s, org.ID)
	run, _ := s.BeginRun(ctx, postgres.RunSpec{OrganizationID: org.ID, RunKey: "bench"})
	hundred := pgtype.Numeric{Int: big.NewInt(10000), Exp: -2, Valid: true}
	zero := pgtype.Numeric{Int: big.NewInt(0), Exp: -2, Valid: true}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{run.ID, calendar.FromYMD(2026, 11, 21).Time(), "check", "B", "S", "SV", "LS", ids[0], i + 2,
			hundred, zero, ids[1], i + 2, hundred, zero, "O" + strconv.Itoa(i), calendar.FromYMD(2026, 11, 21).Time()}
	}
	cols := []string{"run_id", "day", "status", "bill_number", "supplier_id", "service_id", "account_number",
		"billing_file_id", "billing_line", "billing_main", "billing_fine", "acquiring_file_id", "acquiring_line",
		"acquiring_main", "acquiring_fine", "order_id", "order_date"}
	load := func(b *testing.B, fn func(pgx.Tx) error) {
		for b.Loop() {
			err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
				if err := fn(tx); err != nil {
					return err
				}
				return errRollback // keep the table the same size for every round
			})
			if err != errRollback {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("copy", func(b *testing.B) {
		load(b, func(tx pgx.Tx) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"recon_row"}, cols, pgx.CopyFromRows(rows))
			return err
		})
	})
	b.Run("insert-autocommit", func(b *testing.B) {
		const sample = 5_000 // one commit per row is too slow to run on all rows
		for b.Loop() {
			for _, r := range rows[:sample] {
				if _, err := s.Pool.Exec(ctx, insertRecon, r...); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			s.Pool.Exec(ctx, `DELETE FROM recon_row`)
			b.StartTimer()
		}
		b.ReportMetric(float64(sample*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("insert", func(b *testing.B) {
		load(b, func(tx pgx.Tx) error {
			for _, r := range rows {
				if _, err := tx.Exec(ctx, insertRecon, r...); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

const insertRecon = `INSERT INTO recon_row (run_id, day, status, bill_number, supplier_id, service_id,
	account_number, billing_file_id, billing_line, billing_main, billing_fine, acquiring_file_id,
	acquiring_line, acquiring_main, acquiring_fine, order_id, order_date)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`

type rollback struct{}

func (rollback) Error() string { return "rollback" }

var errRollback error = rollback{}
