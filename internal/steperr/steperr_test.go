package steperr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"explicit", New(InvalidInput, errors.New("unknown organisation")), InvalidInput},
		{"explicit, wrapped", fmt.Errorf("reconcile: %w", New(TransientError, errors.New("x"))), TransientError},
		{"bad export", fmt.Errorf("read: %w", &exportcsv.Errors{List: []*exportcsv.Error{{File: "f", Msg: "m"}}}), InvalidInput},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), TransientError},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, TransientError},
		{"too many connections", &pgconn.PgError{Code: "53300"}, TransientError},
		{"constraint", &pgconn.PgError{Code: "23514"}, InternalError},
		{"anything else", errors.New("boom"), InternalError},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// Every kind is a name the state machine matches, and every such name a kind.
func TestKindsAreTheStateMachineErrors(t *testing.T) {
	kinds := []Kind{InvalidInput, TransientError, InternalError, NoExports}
	if len(kinds) != len(contract.ErrorNames) {
		t.Fatalf("%d kinds, %d error names", len(kinds), len(contract.ErrorNames))
	}
	for i, k := range kinds {
		if string(k) != contract.ErrorNames[i] {
			t.Errorf("kind %s, error name %s", k, contract.ErrorNames[i])
		}
	}
}

// The kind of a joined error does not depend on the order of its parts.
func TestJoinedKindIgnoresOrder(t *testing.T) {
	transient := E("send package 1", TransientError, errors.New("503"))
	invalid := E("send package 2", InvalidInput, errors.New("not signed"))
	internal := errors.New("boom")
	for _, err := range []error{errors.Join(transient, invalid), errors.Join(invalid, transient), errors.Join(internal, invalid)} {
		if got := KindOf(err); got != InvalidInput {
			t.Errorf("%v: %s, want InvalidInput", err, got)
		}
	}
	if got := KindOf(errors.Join(transient, internal)); got != InternalError {
		t.Errorf("transient + internal: %s, want InternalError", got)
	}
	if got := KindOf(errors.Join(transient, transient)); got != TransientError {
		t.Errorf("transient + transient: %s, want TransientError", got)
	}
}

func TestOp(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", E("pack", "", context.DeadlineExceeded))
	if !HasOp(err) || KindOf(err) != TransientError || err.Error() != "wrapped: pack: context deadline exceeded" {
		t.Errorf("%v: op %v kind %s", err, HasOp(err), KindOf(err))
	}
	if HasOp(New(InvalidInput, errors.New("x"))) || E("x", InvalidInput, nil) != nil {
		t.Error("New has no op; E of nil is nil")
	}
}
