// Package steperr gives every error a step returns a Kind and the
// operation that failed (the model is upspin's errors: Kind + Op). Each
// Kind is one of the state machine's error names (contract.ErrorNames):
// the handler edge reports it as the Lambda error type, which is what Step
// Functions' Retry and Catch match, so the mapping is one to one by
// construction.
package steperr

import (
	"context"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
)

// Kind is what the caller should do about an error: one of the state
// machine's error names.
type Kind string

const (
	// InvalidInput: a bad file, an unknown organisation, a malformed
	// event. Retrying cannot help; a person must fix the input.
	InvalidInput Kind = contract.InvalidInput
	// TransientError: the database, S3 or another service failed in a way
	// that may pass. The state machine retries with backoff.
	TransientError Kind = contract.TransientError
	// InternalError: a bug or an unexpected state. Not retried.
	InternalError Kind = contract.InternalError
	// NoExports: a daily run found no exports for its organisation and
	// period. Not retried; the state machine ends the run quietly with a
	// notice.
	NoExports Kind = contract.NoExports
)

// Op names the operation that failed, e.g. "send package 12" or "reconcile".
type Op string

// Error is an error with a kind and the operation that failed.
type Error struct {
	Op   Op
	Kind Kind
	Err  error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return string(e.Op) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// E attaches an operation and a kind to an error (nil stays nil). An empty
// kind classifies err with KindOf.
func E(op Op, kind Kind, err error) error {
	if err == nil {
		return nil
	}
	if kind == "" {
		kind = KindOf(err)
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// New attaches a kind to an error whose text already names its operation
// (nil stays nil).
func New(kind Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Err: err}
}

// HasOp reports whether err carries an operation: an Op in the chain.
func HasOp(err error) bool {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Op != "" {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// severity orders kinds for an error that joins several: one part a person
// must fix makes the whole InvalidInput, a bug makes it InternalError, and
// only parts that are all transient make it TransientError. So the order
// of errors.Join does not decide the kind.
var severity = map[Kind]int{TransientError: 1, InternalError: 2, InvalidInput: 3}

// KindOf classifies err: an explicit kind wins, then what the error is. For
// an error joining several, the most severe kind of its parts.
func KindOf(err error) Kind {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var worst Kind
		for _, part := range joined.Unwrap() {
			if k := KindOf(part); severity[k] > severity[worst] {
				worst = k
			}
		}
		if worst != "" {
			return worst
		}
	}
	var f *Error
	if errors.As(err, &f) {
		return f.Kind
	}
	return classify(err)
}

// classify names the kind of an error no step classified.
func classify(err error) Kind {
	if _, ok := exportcsv.AsErrors(err); ok {
		return InvalidInput
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return TransientError
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return TransientError
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return TransientError
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "53", "57", "40": // connection, resources, operator intervention, rollback (serialization, deadlock)
			return TransientError
		}
	}
	if isRetryableAWS(err) {
		return TransientError
	}
	return InternalError
}
