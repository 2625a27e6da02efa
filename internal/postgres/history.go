package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// setCause names why the transaction changes payments: the history
// triggers of migration 00012 record it beside every status a payment
// takes. It lasts until the transaction ends.
func setCause(ctx context.Context, tx pgx.Tx, format string, args ...any) error {
	_, err := tx.Exec(ctx, `SELECT set_config('gis.cause', $1, true)`, fmt.Sprintf(format, args...))
	return err
}

// StatusChange is one status a payment took, and why.
type StatusChange struct {
	From  string    `json:"from,omitempty"` // empty: the payment was created
	To    string    `json:"to"`
	At    time.Time `json:"at"`
	Cause string    `json:"cause"`
}

// PaymentHistory lists a payment's statuses, oldest first.
func (s *Store) PaymentHistory(ctx context.Context, paymentID int64) ([]StatusChange, error) {
	rows, err := s.Pool.Query(ctx, `SELECT coalesce(from_status, ''), to_status, at, cause
		FROM payment_status_history WHERE payment_id = $1 ORDER BY id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("store: history of payment %d: %w", paymentID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StatusChange])
	if err != nil {
		return nil, fmt.Errorf("store: history of payment %d: %w", paymentID, err)
	}
	return out, nil
}
