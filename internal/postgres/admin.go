package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lifecycle"
)

// RunSummary is a run as an operator reads it in a list: the source
// system's task list.
type RunSummary struct {
	ID         int64          `json:"id"`
	Org        string         `json:"org"`
	Status     string         `json:"status"`
	PeriodFrom string         `json:"period_from,omitempty"`
	PeriodTo   string         `json:"period_to,omitempty"`
	Execution  string         `json:"execution,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	FinishedAt *time.Time     `json:"finished_at,omitempty"`
	Payments   map[string]int `json:"payments"` // by status
	Held       int            `json:"held"`
	Error      string         `json:"error,omitempty"`
}

var runSummaryColumns = `r.id, o.code, r.status, coalesce(r.period_from::text, ''), coalesce(r.period_to::text, ''),
	coalesce(r.execution_name, ''), r.created_at, r.finished_at,
	(SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM
		(SELECT status, count(*) AS n FROM payment WHERE ` + paymentsOfRun("", "r.id") + ` GROUP BY status) x),
	(SELECT count(*) FROM recon_row WHERE run_id = r.id AND hold_reason IS NOT NULL),
	coalesce(r.error, '')`

// RunSummaries lists the latest runs, of one organisation when org is set.
func (s *Store) RunSummaries(ctx context.Context, org string, limit int) ([]RunSummary, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+runSummaryColumns+` FROM run r JOIN organization o ON o.id = r.organization_id
		WHERE $1 = '' OR o.code = $1 ORDER BY r.id DESC LIMIT $2`, org, limit)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RunSummary])
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	return out, nil
}

// RunDetail is one run with its packages and what went wrong, grouped.
type RunDetail struct {
	RunSummary
	Packages map[string]int `json:"packages"` // by status
	Errors   []Count        `json:"errors,omitempty"`
	Holds    []Count        `json:"holds,omitempty"`
	// Refunds are refund rows that take back a payment GIS holds: to
	// confirm with `gispay cancel` where the policy only lists them.
	Refunds []RefundMatch `json:"refunds,omitempty"`
}

// Count is how many payments share a code and a reason.
type Count struct {
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason"`
	N      int    `json:"n"`
}

// RunDetailByID returns a run's detail.
func (s *Store) RunDetailByID(ctx context.Context, id int64) (*RunDetail, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+runSummaryColumns+` FROM run r JOIN organization o ON o.id = r.organization_id
		WHERE r.id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	sum, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[RunSummary])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	d := &RunDetail{RunSummary: sum}
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM
			(SELECT status, count(*) AS n FROM package WHERE run_id = $1 GROUP BY status) x`, id).Scan(&d.Packages); err != nil {
		return nil, fmt.Errorf("store: packages of run %d: %w", id, err)
	}
	if d.Errors, err = s.counts(ctx, `SELECT coalesce(error_code, ''), error, count(*) FROM payment
		WHERE `+paymentsOfRun("", "$1")+` AND error IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT 20`, id); err != nil {
		return nil, err
	}
	if d.Holds, err = s.counts(ctx, `SELECT '', hold_reason, count(*) FROM recon_row
		WHERE run_id = $1 AND hold_reason IS NOT NULL GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 20`, id); err != nil {
		return nil, err
	}
	if d.Refunds, err = s.RefundMatches(ctx, id); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Store) counts(ctx context.Context, sql string, id int64) ([]Count, error) {
	rows, err := s.Pool.Query(ctx, sql, id)
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Count])
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	return out, nil
}

// PaymentFilter selects payments of an organisation by order id, bill
// number or account number (the set fields must all match).
type PaymentFilter struct {
	Org, OrderID, Bill, Account string
	Limit                       int
}

// PaymentRecord is a payment as an operator reads it, with its history.
type PaymentRecord struct {
	ID           int64          `json:"id"`
	RunID        int64          `json:"run_id"`
	Org          string         `json:"org"`
	OrderID      string         `json:"order_id"`
	Bill         string         `json:"bill"`
	Account      string         `json:"account,omitempty"`
	Amount       string         `json:"amount"`
	Status       string         `json:"status"`
	Attempt      int            `json:"attempt"`
	PackageID    *int64         `json:"package_id,omitempty"`
	UniqueNumber string         `json:"unique_number,omitempty"`
	ErrorCode    string         `json:"error_code,omitempty"`
	Error        string         `json:"error,omitempty"`
	History      []StatusChange `json:"history" db:"-"`
}

// FindPayments returns the payments f selects, newest first, each with
// its status history.
func (s *Store) FindPayments(ctx context.Context, f PaymentFilter) ([]PaymentRecord, error) {
	rows, err := s.Pool.Query(ctx, `SELECT p.id, p.run_id, o.code, p.order_id, r.bill_number, coalesce(r.account_number, ''),
			p.amount::text, p.status, p.attempt, p.package_id, coalesce(p.unique_number, ''),
			coalesce(p.error_code, ''), coalesce(p.error, '')
		FROM payment p JOIN organization o ON o.id = p.organization_id JOIN recon_row r ON r.id = p.recon_row_id
		WHERE o.code = $1 AND ($2 = '' OR p.order_id = $2) AND ($3 = '' OR r.bill_number = $3)
		  AND ($4 = '' OR r.account_number = $4)
		ORDER BY p.id DESC LIMIT $5`, f.Org, f.OrderID, f.Bill, f.Account, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: find payments: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PaymentRecord])
	if err != nil {
		return nil, fmt.Errorf("store: find payments: %w", err)
	}
	for i := range out {
		if out[i].History, err = s.PaymentHistory(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ResendRequest asks for one payment to be sent again.
type ResendRequest struct {
	PaymentID         int64
	Actor, Reason     string
	ConfirmedNotInGIS bool
}

// ErrNotResendable is a resend the payment's state does not allow.
var ErrNotResendable = errors.New("not resendable")

// RequestResend records a resend: the packer's retry path takes the order
// again in the organisation's next run, as one more attempt. Only the
// latest payment of its order may be resent, and only in error, rejected
// or unknown; an unknown one (GIS may hold it) only when the operator
// confirmed GIS does not, and it turns rejected saying so. It returns the
// organisation's code and whether the request was already there.
func (s *Store) RequestResend(ctx context.Context, r ResendRequest) (org string, already bool, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := setCause(ctx, tx, "resend by %s: %s", r.Actor, r.Reason); err != nil {
			return err
		}
		var status contract.PaymentStatus
		var orderID string
		var orgID int64
		var later *int64
		err := tx.QueryRow(ctx, `SELECT p.status, p.organization_id, o.code, p.order_id,
				(SELECT max(n.id) FROM payment n WHERE n.organization_id = p.organization_id AND n.order_id = p.order_id AND n.id > p.id)
			FROM payment p JOIN organization o ON o.id = p.organization_id WHERE p.id = $1 FOR UPDATE OF p`, r.PaymentID).
			Scan(&status, &orgID, &org, &orderID, &later)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("payment %d: %w", r.PaymentID, ErrNotFound)
		case err != nil:
			return err
		case later != nil:
			return fmt.Errorf("payment %d is not the latest of order %s (payment %d is): %w", r.PaymentID, orderID, *later, ErrNotResendable)
		}
		if why := lifecycle.ResendRefusal(status, r.ConfirmedNotInGIS); why != "" {
			return fmt.Errorf("payment %d %s: %w", r.PaymentID, why, ErrNotResendable)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO payment_resend (payment_id, organization_id, order_id, actor, reason, confirmed_not_in_gis)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (payment_id) DO NOTHING`,
			r.PaymentID, orgID, orderID, r.Actor, r.Reason, r.ConfirmedNotInGIS)
		if err != nil {
			return err
		}
		already = tag.RowsAffected() == 0
		if status == contract.PaymentUnknown {
			_, err = tx.Exec(ctx, `UPDATE payment SET status = 'rejected',
				error = format('not in GIS, confirmed by %s: %s (was: %s)', $2::text, $3::text, error) WHERE id = $1`,
				r.PaymentID, r.Actor, r.Reason)
		}
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("store: resend payment %d: %w", r.PaymentID, err)
	}
	return org, already, nil
}

// HasColumn reports whether a table of the current schema has a column
// (for columns another migration may not have added yet).
func (s *Store) HasColumn(ctx context.Context, table, column string) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2)`, table, column).Scan(&ok)
	return ok, err
}

// SetApprovalPolicy stores an organisation's approval policy, in the
// column approval_policy that migration 00011 (approval) adds.
func (s *Store) SetApprovalPolicy(ctx context.Context, code, policy string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE organization SET approval_policy = $2, updated_at = now() WHERE code = $1`, code, policy); err != nil {
		return fmt.Errorf("store: approval policy of %s: %w", code, err)
	}
	return nil
}

// ApprovalPolicy returns an organisation's approval policy, or "" where
// the column is not there yet or holds NULL.
func (s *Store) ApprovalPolicy(ctx context.Context, code string) (string, error) {
	ok, err := s.HasColumn(ctx, "organization", "approval_policy")
	if err != nil || !ok {
		return "", err
	}
	var p *string
	if err := s.Pool.QueryRow(ctx, `SELECT approval_policy::text FROM organization WHERE code = $1`, code).Scan(&p); err != nil || p == nil {
		return "", err
	}
	return *p, nil
}

// PaymentOrder returns the organisation code and order id of a payment.
func (s *Store) PaymentOrder(ctx context.Context, paymentID int64) (org, orderID string, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT o.code, p.order_id FROM payment p JOIN organization o ON o.id = p.organization_id
		WHERE p.id = $1`, paymentID).Scan(&org, &orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("store: payment %d: %w", paymentID, ErrNotFound)
	}
	return org, orderID, err
}
