package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

// Postgres reads every shape of amount in the binary form as the amount:
// zero, kopecks alone, whole rubles, groups of zeros, the largest stored.
func TestNumericFieldIsTheAmount(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.New(t)
	amounts := []money.Kopecks{0, 1, 10, 99, 100, 101, 1234, 10_000_00, 10_000_01, 1_0000_0000_00, 1_0000_0000_07,
		123_4567_8901_23, money.MaxStored, -1, -10_000_00, -123_45}
	var data []byte
	data = append(data, postgres.CopyHeader...)
	for _, k := range amounts {
		data = postgres.AppendNumericField(append(data, 0, 1), k)
	}
	data = append(data, 0xff, 0xff)
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE amounts (n numeric(15,2), i serial)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Conn().PgConn().CopyFrom(ctx, strings.NewReader(string(data)), `COPY amounts (n) FROM STDIN (FORMAT binary)`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT n::text FROM amounts ORDER BY i`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i, k := range amounts {
		if i >= len(got) || got[i] != k.String() {
			t.Errorf("%d kopecks: read as %q", int64(k), got[min(i, len(got)-1)])
		}
	}
}
