// Package pgtest gives each test a migrated schema of its own in a real
// Postgres, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/postgres"
)

// DefaultURL is the database `make test` creates on the local server.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/gis_payments_test?sslmode=disable"

// URL is the test database: TEST_DATABASE_URL, else DefaultURL.
func URL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New returns a store on a fresh, migrated schema, and the URL that reaches
// the same schema (for code under test that opens its own pool).
func New(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	ctx := context.Background()
	base := URL()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s (start Postgres or set TEST_DATABASE_URL): %v", base, err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s, u.String()
}

// Organization creates a test organisation of the given kind (ufkr, uk_rso).
func Organization(t testing.TB, s *postgres.Store, code, kind string) *postgres.Organization {
	t.Helper()
	o, err := s.UpsertOrganization(context.Background(), &postgres.Organization{
		Code: code, Name: "ООО «Тест» " + code, INN: "7701234567", KPP: "770101001",
		OrgPPAGUID: "6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c", Kind: kind,
		BankName: "ПАО Сбербанк", BankBIK: "044525225", OperatingAccount: "40702810900000000001",
		CorrespondentAccount: "30101810400000000225", PaymentRecipient: "ООО «Тест»",
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Count runs a query that counts rows (SELECT count(*) …) and returns the
// count; a failed query fails the test.
func Count(t testing.TB, s *postgres.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
