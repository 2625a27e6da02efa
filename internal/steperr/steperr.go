// Package fault classifies errors into the few kinds the state machine acts
// on: retry a transient failure, stop on invalid input. Handlers return a
// fault's Kind name as the Lambda error type, which is what Step Functions'
// Retry and Catch match on.
package steperr

import (
	"context"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gispayments/gis-payments/internal/exportcsv"
)

// Kind is what the caller should do about an error.
type Kind string

const (
	// Invalid input: a bad file, an unknown organisation, a malformed
	// event. Retrying cannot help; a person must fix the input.
	Invalid Kind = "InvalidInput"
	// Transient: the database, S3 or another service failed in a way that
	// may pass. Retry with backoff.
	Transient Kind = "TransientError"
	// Internal: a bug or an unexpected state. Not retried automatically.
	Internal Kind = "InternalError"
)

// Error is an error with a kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New attaches a kind to an error (nil stays nil).
func New(kind Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Err: err}
}

// KindOf classifies err: an explicit kind wins, then what the error is.
func KindOf(err error) Kind {
	var f *Error
	if errors.As(err, &f) {
		return f.Kind
	}
	if _, ok := exportcsv.AsErrors(err); ok {
		return Invalid
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Transient
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return Transient
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return Transient
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "53", "57", "40": // connection, resources, operator intervention, rollback (serialization, deadlock)
			return Transient
		}
	}
	if isRetryableAWS(err) {
		return Transient
	}
	return Internal
}
