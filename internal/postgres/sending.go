package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lifecycle"
)

// PackageByID returns a package.
func (s *Store) PackageByID(ctx context.Context, id int64) (*Package, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+packageColumns+` FROM package WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("store: package %d: %w", id, err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Package])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: package %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: package %d: %w", id, err)
	}
	return &p, nil
}

// MarkSent records GIS's Ack for a package in one transaction: the package
// turns sent with the Ack MessageGUID, its payments turn sent, and the run
// turns sending. It returns false when the package was no longer signed
// (another sender recorded it first); nothing is changed then.
func (s *Store) MarkSent(ctx context.Context, packageID int64, ackGUID string) (bool, error) {
	var done bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := setCause(ctx, tx, "package %d acknowledged by GIS (Ack %s)", packageID, ackGUID); err != nil {
			return err
		}
		// The run is locked last, by its UPDATE: this package row is updated
		// once, so no share lock on the run comes before (see lockRunOf), and
		// parallel acknowledgements of one run's packages wait only there.
		var runID int64
		err := tx.QueryRow(ctx, `UPDATE package SET status = 'sent', ack_message_guid = $2, sent_at = now()
			WHERE id = $1 AND status = 'signed' RETURNING run_id`, packageID, ackGUID).Scan(&runID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		done = true
		if _, err := tx.Exec(ctx, `UPDATE payment SET status = 'sent' WHERE package_id = $1 AND status = 'queued'`, packageID); err != nil {
			return err
		}
		if err := markCancellationsSent(ctx, tx, packageID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE run SET status = 'sending', sent_at = coalesce(sent_at, now())
			WHERE id = $1 AND status IN ('packing', 'sending')`, runID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: mark package %d sent: %w", packageID, err)
	}
	return done, nil
}

// NoteSendAttempt records that a sender is about to post a signed
// package (the sweep leaves it alone for a while); false when the package
// is no longer signed.
func (s *Store) NoteSendAttempt(ctx context.Context, packageID int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE package SET last_send_at = now() WHERE id = $1 AND status = 'signed'`, packageID)
	if err != nil {
		return false, fmt.Errorf("store: note send of package %d: %w", packageID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// NoteUncertainSend records a post whose reply was lost or unreadable:
// GIS may hold the package from it.
func (s *Store) NoteUncertainSend(ctx context.Context, packageID int64) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE package SET uncertain_sends = uncertain_sends + 1 WHERE id = $1`, packageID); err != nil {
		return fmt.Errorf("store: note uncertain send of package %d: %w", packageID, err)
	}
	return nil
}

// FailPackage records that GIS refused a package as a whole, on send or in
// getState: its payments take status (rejected, error or unknown, by
// GIS's code). Where GIS may still hold the package from an earlier post
// whose reply was lost, a retryable refusal proves nothing and the
// payments turn unknown. The run is settled if nothing else is pending.
func (s *Store) FailPackage(ctx context.Context, packageID int64, status contract.PaymentStatus, code, reason string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := setCause(ctx, tx, "package %d refused: %s", packageID, reason); err != nil {
			return err
		}
		var uncertain int
		runID, err := lockRunOf(ctx, tx, packageID)
		if err == nil {
			err = tx.QueryRow(ctx, `SELECT uncertain_sends FROM package
				WHERE id = $1 AND status IN ('built', 'signed', 'sent', 'processing') FOR UPDATE`, packageID).Scan(&uncertain)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		final, mayHold := lifecycle.Refused(status, uncertain)
		if mayHold {
			reason += " (an earlier post of this package lost its reply: GIS may hold it)"
		}
		return failPackage(ctx, tx, runID, packageID, final, code, reason, s.maxAttempts())
	})
	if err != nil {
		return fmt.Errorf("store: fail package %d: %w", packageID, err)
	}
	return nil
}

// failPackage ends a locked package and its unanswered payments with
// status, then settles the run.
func failPackage(ctx context.Context, tx pgx.Tx, runID, packageID int64, status contract.PaymentStatus, code, reason string, maxAttempts int) error {
	if _, err := tx.Exec(ctx, `UPDATE package SET status = $2, error_code = nullif($3, ''), error = $4, done_at = now(),
		lease_owner = NULL, lease_until = NULL WHERE id = $1`, packageID, lifecycle.RefusedPackage(status), code, reason); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE payment SET `+capped("$2::text", "$4::text", "$5")+`, error_code = nullif($3, '')
		WHERE package_id = $1 AND status IN ('queued', 'sent')`, packageID, status, code, reason, maxAttempts); err != nil {
		return err
	}
	if err := failCancellations(ctx, tx, packageID, status, code, reason); err != nil {
		return err
	}
	return settleRun(ctx, tx, runID)
}

// capped is the SET list that gives a payment status and reason, except
// that a retryable error on the order's last allowed attempt is final:
// rejected, saying so.
func capped(status, reason, maxAttempts string) string {
	final := `(` + status + ` = 'error' AND attempt >= ` + maxAttempts + `)`
	return `status = CASE WHEN ` + final + ` THEN 'rejected' ELSE ` + status + ` END,
		error = CASE WHEN ` + final + ` THEN ` + reason + ` || format(' (given up after %s attempts)', attempt) ELSE ` + reason + ` END`
}

// settleRun ends a run whose packages are all answered with the status
// lifecycle.Settle gives its counts. A run with packages still pending is
// left.
func settleRun(ctx context.Context, tx pgx.Tx, runID int64) error {
	// One settles at a time (see lockRunOf for the lock order): two
	// packages applied at once would each see the other still pending, and
	// neither would settle the run. After the lock the count sees every
	// transaction committed before.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM run WHERE id = $1 FOR NO KEY UPDATE`, runID); err != nil {
		return err
	}
	var t lifecycle.Tally
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM package WHERE run_id = $1 AND status NOT IN `+answeredPackages,
		runID).Scan(&t.Pending); err != nil || t.Pending > 0 {
		return err // counting the run's payments is left to the last package
	}
	if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM payment WHERE `+paymentsOfRun("", "$1")+` AND status NOT IN `+loadedStatuses+`),
			(SELECT count(*) FROM recon_row WHERE run_id = $1 AND hold_reason IS NOT NULL),
			`+cancellationsNotDone, runID).Scan(&t.Unloaded, &t.Held, &t.Uncancelled); err != nil {
		return err
	}
	final, _ := lifecycle.Settle(t)
	if final == contract.RunFinished {
		// Every payment came back: the run was processing even if no poll saw it in between.
		if _, err := tx.Exec(ctx, `UPDATE run SET status = 'processing' WHERE id = $1 AND status = 'sending'`, runID); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE run SET status = $2, finished_at = now()
		WHERE id = $1 AND status IN `+settlingRuns, runID, final)
	return err
}

// SettleRun settles a run whose packages are all answered, if nothing did
// yet (the poller calls it when it finds nothing left to poll).
func (s *Store) SettleRun(ctx context.Context, runID int64) error {
	if err := s.tx(ctx, func(tx pgx.Tx) error { return settleRun(ctx, tx, runID) }); err != nil {
		return fmt.Errorf("store: settle run %d: %w", runID, err)
	}
	return nil
}
