package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
)

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
