package steperr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gispayments/gis-payments/internal/exportcsv"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"explicit", New(Invalid, errors.New("unknown organisation")), Invalid},
		{"explicit, wrapped", fmt.Errorf("reconcile: %w", New(Transient, errors.New("x"))), Transient},
		{"bad export", fmt.Errorf("read: %w", &exportcsv.Errors{List: []*exportcsv.Error{{File: "f", Msg: "m"}}}), Invalid},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Transient},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, Transient},
		{"too many connections", &pgconn.PgError{Code: "53300"}, Transient},
		{"constraint", &pgconn.PgError{Code: "23514"}, Internal},
		{"anything else", errors.New("boom"), Internal},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %s, want %s", tt.name, got, tt.want)
		}
	}
}
