package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// setCause names why the transaction changes payments: the history
// trigger records it beside every status change. It lasts until the
// transaction ends.
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

// PaymentHistory lists a payment's statuses, oldest first. Its creation is
// implied where no entry records it (payments created since migration
// 00014, whose header says why): the status it was created in is the first
// recorded change's from, else its status now; the time is created_at; the
// cause is the packer's, the only creator of payments (PreparePackages).
func (s *Store) PaymentHistory(ctx context.Context, paymentID int64) ([]StatusChange, error) {
	rows, err := s.Pool.Query(ctx, `SELECT "from", "to", at, cause FROM (
			SELECT 0 AS k, 0::bigint AS id, '' AS "from",
			       coalesce((SELECT h.from_status FROM payment_status_history h WHERE h.payment_id = p.id ORDER BY h.id LIMIT 1),
			                p.status) AS "to",
			       p.created_at AS at, 'packed by run ' || p.run_id AS cause
			FROM payment p
			WHERE p.id = $1
			  AND NOT EXISTS (SELECT 1 FROM payment_status_history h WHERE h.payment_id = p.id AND h.from_status IS NULL)
			UNION ALL
			SELECT 1, id, coalesce(from_status, ''), to_status, at, cause
			FROM payment_status_history WHERE payment_id = $1) AS x
		ORDER BY k, id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("store: history of payment %d: %w", paymentID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StatusChange])
	if err != nil {
		return nil, fmt.Errorf("store: history of payment %d: %w", paymentID, err)
	}
	return out, nil
}
