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

// Claimed is a package leased to a poller.
type Claimed struct {
	ID         int64
	RunID      int64
	AckGUID    string
	OrgPPAGUID string
	RequestKey string
	Polls      int
	OrgCode    string
	// OperatorSigns: the organisation names no signing key of its own, so
	// the operator signs for it (RequestHeader/IsOperatorSignature).
	OperatorSigns bool
}

// ClaimPackages leases up to limit packages that wait for GIS (sent or
// processing) to owner: those of runID, or with runID 0 those sent before
// sentBefore (the scheduled sweep for stragglers). SKIP LOCKED and the
// lease keep two pollers off the same package.
//
// Packages polled at or after round (the database's time, see Now) are
// left out, so a poller claiming batch after batch polls each at most
// once and stops.
func (s *Store) ClaimPackages(ctx context.Context, owner string, runID int64, sentBefore time.Time, lease time.Duration, limit int, round time.Time) ([]Claimed, error) {
	rows, err := s.Pool.Query(ctx, `
		UPDATE package k SET lease_owner = $1, lease_until = now() + $2::interval, polls = k.polls + 1, polled_at = now()
		FROM run r JOIN organization o ON o.id = r.organization_id
		WHERE r.id = k.run_id AND k.id IN (
			SELECT id FROM package
			WHERE status IN ('sent', 'processing') AND (lease_until IS NULL OR lease_until < now())
			  AND (($3::bigint > 0 AND run_id = $3) OR ($3::bigint = 0 AND sent_at < $4))
			  AND (polled_at IS NULL OR polled_at < $6)
			ORDER BY polled_at NULLS FIRST, id
			LIMIT $5
			FOR UPDATE SKIP LOCKED)
		RETURNING k.id, k.run_id, k.ack_message_guid::text, o.org_ppa_guid::text, coalesce(k.request_key, ''), k.polls, o.code,
			o.signing_key IS NULL`,
		owner, lease.String(), runID, sentBefore, limit, round)
	if err != nil {
		return nil, fmt.Errorf("store: claim packages: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Claimed])
	if err != nil {
		return nil, fmt.Errorf("store: claim packages: %w", err)
	}
	return out, nil
}

// ErrLeaseLost means another poller holds the package now.
var ErrLeaseLost = errors.New("package lease lost")

// holdLease locks the package's run, then the package if owner still holds
// its lease.
func holdLease(ctx context.Context, tx pgx.Tx, packageID int64, owner string) (int64, error) {
	runID, err := lockRunOf(ctx, tx, packageID)
	if err == nil {
		err = tx.QueryRow(ctx, `SELECT 1 FROM package WHERE id = $1 AND lease_owner = $2 AND status IN ('sent', 'processing')
			FOR UPDATE`, packageID, owner).Scan(new(int))
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrLeaseLost
	}
	return runID, err
}

// lockRunOf takes the first lock of a transaction that records what
// became of a package: a share lock on the package's run (pgx.ErrNoRows: no
// such package). Every such transaction locks in one order, the run, then
// the package, then its payments, and settling strengthens the run's lock
// to FOR NO KEY UPDATE (settleRun), which conflicts with no share lock: a
// transaction waiting to settle waits only for one that is settling, and
// that one waits for nobody. Packages of one run are applied in parallel
// up to settling. (Locking the package first and the run FOR UPDATE to
// settle deadlocked: a package updated twice in one transaction has its
// foreign key checked again, which share-locks the run, and two such
// transactions each waited for the other to release its share lock.)
func lockRunOf(ctx context.Context, tx pgx.Tx, packageID int64) (int64, error) {
	var runID int64
	err := tx.QueryRow(ctx, `SELECT id FROM run WHERE id = (SELECT run_id FROM package WHERE id = $1) FOR KEY SHARE`,
		packageID).Scan(&runID)
	return runID, err
}

// RecordProgress stores a RequestState of 1 or 2 and releases the lease.
func (s *Store) RecordProgress(ctx context.Context, packageID int64, owner string, state int) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		runID, err := holdLease(ctx, tx, packageID, owner)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE package SET request_state = $2, doubts = 0,
			status = CASE WHEN status = 'sent' THEN $3 ELSE status END, lease_owner = NULL, lease_until = NULL
			WHERE id = $1`, packageID, state, lifecycle.InState(state)); err != nil {
			return err
		}
		return startProcessing(ctx, tx, runID)
	})
}

// startProcessing moves a run from sending to processing once every
// package is acknowledged.
func startProcessing(ctx context.Context, tx pgx.Tx, runID int64) error {
	_, err := tx.Exec(ctx, `UPDATE run SET status = 'processing' WHERE id = $1 AND status = 'sending'
		AND NOT EXISTS (SELECT 1 FROM package WHERE run_id = $1 AND status IN `+unsentPackages+`)`, runID)
	return err
}

// Outcome is what GIS said about one payment.
type Outcome struct {
	TransportGUID string
	Status        contract.PaymentStatus // imported | already_imported | rejected | error
	GUID          string
	UniqueNumber  string
	ImportedAt    *time.Time
	Code, Reason  string
}

// ApplyResults applies a processed getStateResult to a package in one
// transaction: each payment by its TransportGUID (a retryable error on the
// order's last allowed attempt is final), payments GIS did not mention
// turn unknown (it may hold them), the package is done with its response
// archived at responseKey, and the run is settled when nothing else is
// pending.
func (s *Store) ApplyResults(ctx context.Context, packageID int64, owner, responseKey string, outcomes []Outcome) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := setCause(ctx, tx, "getState of package %d", packageID); err != nil {
			return err
		}
		runID, err := holdLease(ctx, tx, packageID, owner)
		if err != nil {
			return err
		}
		n := len(outcomes)
		tgs, statuses, guids, numbers, codes, reasons := make([]string, n), make([]string, n), make([]*string, n),
			make([]*string, n), make([]*string, n), make([]string, n)
		dates := make([]*time.Time, n)
		for i, o := range outcomes {
			tgs[i], statuses[i], dates[i], reasons[i] = o.TransportGUID, string(o.Status), o.ImportedAt, o.Reason
			guids[i], numbers[i], codes[i] = nonEmpty(o.GUID), nonEmpty(o.UniqueNumber), nonEmpty(o.Code)
		}
		if _, err := tx.Exec(ctx, `UPDATE payment p SET `+capped("u.status", "nullif(u.reason, '')", "$9")+`,
				gis_guid = u.guid::uuid, unique_number = u.num, imported_at = u.at, error_code = u.code
			FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
				AS u(tg, status, guid, num, at, code, reason)
			WHERE p.package_id = $1 AND p.transport_guid = u.tg AND p.status = 'sent'`,
			packageID, tgs, statuses, guids, numbers, dates, codes, reasons, s.maxAttempts()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE payment SET status = 'unknown',
				error = 'GIS returned no result for this TransportGUID: it may hold the payment'
			WHERE package_id = $1 AND status = 'sent'`, packageID); err != nil {
			return err
		}
		if err := applyCancellationResults(ctx, tx, packageID, tgs, statuses, guids, dates, codes, reasons); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE package SET status = 'done', request_state = 3, response_key = $2, done_at = now(),
			lease_owner = NULL, lease_until = NULL WHERE id = $1`, packageID, responseKey); err != nil {
			return err
		}
		if err := startProcessing(ctx, tx, runID); err != nil {
			return err
		}
		return settleRun(ctx, tx, runID)
	})
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// FailClaimed ends a leased package whose message GIS rejected as a whole
// (ErrorMessage in state 3): its payments take status by GIS's code. The
// response is archived at responseKey.
func (s *Store) FailClaimed(ctx context.Context, packageID int64, owner, responseKey string, status contract.PaymentStatus, code, reason string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := setCause(ctx, tx, "getState of package %d: message refused (%s)", packageID, code); err != nil {
			return err
		}
		runID, err := holdLease(ctx, tx, packageID, owner)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE package SET request_state = 3, response_key = $2 WHERE id = $1`,
			packageID, responseKey); err != nil {
			return err
		}
		if err := failPackage(ctx, tx, runID, packageID, status, code, reason, s.maxAttempts()); err != nil {
			return err
		}
		return startProcessing(ctx, tx, runID)
	})
}

// RecordDoubt records a getState answer that does not say what GIS holds
// (the reply was refused, unreadable or inconsistent). The package stays
// pollable until limit such answers in a row; then it and its unanswered
// payments turn unknown, never to be re-sent automatically. It reports
// whether the package gave up.
func (s *Store) RecordDoubt(ctx context.Context, packageID int64, owner, responseKey, reason string, limit int) (bool, error) {
	var gaveUp bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := setCause(ctx, tx, "getState of package %d: no definite answer", packageID); err != nil {
			return err
		}
		runID, err := holdLease(ctx, tx, packageID, owner)
		if err != nil {
			return err
		}
		var doubts int
		if err := tx.QueryRow(ctx, `UPDATE package SET doubts = doubts + 1, error = $2,
				response_key = coalesce(nullif($3, ''), response_key), lease_owner = NULL, lease_until = NULL
			WHERE id = $1 RETURNING doubts`, packageID, reason, responseKey).Scan(&doubts); err != nil {
			return err
		}
		if doubts < limit {
			return nil
		}
		gaveUp = true
		reason = fmt.Sprintf("GIS gave no definite answer %d times; the last: %s", doubts, reason)
		if err := failPackage(ctx, tx, runID, packageID, contract.PaymentUnknown, "", reason, s.maxAttempts()); err != nil {
			return err
		}
		return startProcessing(ctx, tx, runID)
	})
	return gaveUp, err
}

// TransportGUIDs returns the TransportGUIDs of a package's payments (or cancellations).
func (s *Store) TransportGUIDs(ctx context.Context, packageID int64) (map[string]bool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT transport_guid::text FROM payment WHERE package_id = $1
		UNION ALL SELECT transport_guid::text FROM cancellation WHERE package_id = $1`, packageID)
	if err != nil {
		return nil, fmt.Errorf("store: transport GUIDs of package %d: %w", packageID, err)
	}
	guids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: transport GUIDs of package %d: %w", packageID, err)
	}
	out := make(map[string]bool, len(guids))
	for _, g := range guids {
		out[g] = true
	}
	return out, nil
}

// Release gives a lease back without recording anything (a failed call).
func (s *Store) Release(ctx context.Context, packageID int64, owner string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE package SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`,
		packageID, owner)
	return err
}

// RunState is how far a run has got.
type RunState struct {
	Status     contract.RunStatus
	Pending    int // packages not answered (done, failed or unknown)
	Unsent     int // packages not yet acknowledged
	SentAt     *time.Time
	Finished   bool
	HasResults bool // results/<run>.csv is written
}

// RunProgress reports a run's state.
func (s *Store) RunProgress(ctx context.Context, runID int64) (*RunState, error) {
	var st RunState
	err := s.Pool.QueryRow(ctx, `SELECT r.status, r.sent_at, r.results_key IS NOT NULL,
			(SELECT count(*) FROM package WHERE run_id = r.id AND status NOT IN `+answeredPackages+`),
			(SELECT count(*) FROM package WHERE run_id = r.id AND status IN `+unsentPackages+`)
		FROM run r WHERE r.id = $1`, runID).Scan(&st.Status, &st.SentAt, &st.HasResults, &st.Pending, &st.Unsent)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", runID, err)
	}
	st.Finished = lifecycle.Ended(st.Status)
	return &st, nil
}

// TimeOutRuns marks timed_out every run waiting for GIS that
// lifecycle.TimedOut says has waited since before sentBefore, of runID
// alone when > 0, and returns their ids. Their packages stay with the
// sweep: a late send or result still settles the run.
func (s *Store) TimeOutRuns(ctx context.Context, runID int64, sentBefore time.Time) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.id, r.status, r.sent_at, r.updated_at,
				EXISTS (SELECT 1 FROM package WHERE run_id = r.id AND status = 'signed')
			FROM run r WHERE ($1::bigint = 0 OR r.id = $1) AND r.status IN `+timingOutRuns+`
			ORDER BY r.id FOR NO KEY UPDATE OF r`, runID)
		if err != nil {
			return err
		}
		var id int64
		var w lifecycle.Waiting
		if _, err := pgx.ForEachRow(rows, []any{&id, &w.Status, &w.SentAt, &w.UpdatedAt, &w.Signed}, func() error {
			if lifecycle.TimedOut(w, sentBefore) {
				ids = append(ids, id)
			}
			return nil
		}); err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE run SET status = $2, finished_at = now() WHERE id = ANY($1)`, ids, contract.RunTimedOutStatus)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: time out runs: %w", err)
	}
	return ids, nil
}

// StuckRuns counts runs that timed out or failed with packages GIS has not
// answered yet (unsent or unprocessed).
func (s *Store) StuckRuns(ctx context.Context) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM run r WHERE r.status IN ('timed_out', 'failed')
		AND EXISTS (SELECT 1 FROM package WHERE run_id = r.id AND status IN ('built', 'signed', 'sent', 'processing'))`).Scan(&n)
	return n, err
}

// UnsentPackages lists up to limit signed packages nobody has tried to
// post since before (of runID alone when > 0): their run's Map gave up on
// them, or the run failed or stopped. The sweep posts them again.
func (s *Store) UnsentPackages(ctx context.Context, runID int64, before time.Time, limit int) ([]int64, error) {
	return queryIDs(ctx, s.Pool, "unsent packages", `SELECT id FROM package
		WHERE status = 'signed' AND coalesce(last_send_at, updated_at) < $2 AND ($1::bigint = 0 OR run_id = $1)
		ORDER BY coalesce(last_send_at, updated_at), id LIMIT $3`,
		runID, before, limit)
}

// RunsWithoutResults lists up to limit runs that have ended with payments
// or held rows but have no results file yet (a run the sender settled, or
// one the sweep wrote nothing for).
func (s *Store) RunsWithoutResults(ctx context.Context, limit int) ([]int64, error) {
	return queryIDs(ctx, s.Pool, "runs without results", `SELECT id FROM run r WHERE results_key IS NULL
		AND status IN ('finished', 'finished_with_errors', 'timed_out')
		AND (EXISTS (SELECT 1 FROM package WHERE run_id = r.id) OR EXISTS (SELECT 1 FROM recon_row WHERE run_id = r.id AND hold_reason IS NOT NULL))
		ORDER BY id LIMIT $1`,
		limit)
}

// RecordRunFailure marks a run failed with the reason the state machine caught.
func (s *Store) RecordRunFailure(ctx context.Context, runID int64, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE run SET status = 'failed', error = $2, finished_at = now()
		WHERE id = $1 AND status IN ('created', 'reconciling', 'awaiting_approval', 'packing', 'sending', 'processing')`, runID, reason)
	if err != nil {
		return fmt.Errorf("store: record failure of run %d: %w", runID, err)
	}
	return nil
}

// PaymentResult is one line of a run's results file.
type PaymentResult struct {
	OrderID, BillNumber, SupplierID, ServiceID, AccountNumber string
	Amount                                                    string
	Status, GUID, UniqueNumber                                string
	ImportedAt                                                *time.Time
	ErrorCode, Error                                          string
}

// EachPaymentResult streams a run's payments and held rows (held back by
// the packer, or for a row-level problem, from either side), or its
// cancellations, for the billing system, by order id.
func (s *Store) EachPaymentResult(ctx context.Context, runID int64, fn func(*PaymentResult) error) error {
	rows, err := s.Pool.Query(ctx, `
		SELECT p.order_id, r.bill_number, r.supplier_id, r.service_id, coalesce(r.account_number, ''), p.amount::text,
			p.status, coalesce(p.gis_guid::text, ''), coalesce(p.unique_number, ''), p.imported_at,
			coalesce(p.error_code, ''), coalesce(p.error, '')
		FROM payment p JOIN recon_row r ON r.id = p.recon_row_id WHERE `+paymentsOfRun("p", "$1")+`
		UNION ALL
		SELECT coalesce(r.order_id, ''), r.bill_number, r.supplier_id, r.service_id, coalesce(r.account_number, ''),
			coalesce((r.acquiring_main + r.acquiring_fine)::text, (r.billing_main + r.billing_fine)::text, ''),
			'held', '', '', NULL, '', r.hold_reason
		FROM recon_row r WHERE r.run_id = $1 AND r.hold_reason IS NOT NULL
		UNION ALL`+cancellationResults+`
		ORDER BY 1`, runID)
	if err != nil {
		return fmt.Errorf("store: results of run %d: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r PaymentResult
		if err := rows.Scan(&r.OrderID, &r.BillNumber, &r.SupplierID, &r.ServiceID, &r.AccountNumber, &r.Amount, &r.Status,
			&r.GUID, &r.UniqueNumber, &r.ImportedAt, &r.ErrorCode, &r.Error); err != nil {
			return fmt.Errorf("store: results of run %d: %w", runID, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SetRunResults records where a run's results file is.
func (s *Store) SetRunResults(ctx context.Context, runID int64, key string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE run SET results_key = $2 WHERE id = $1`, runID, key)
	return err
}

// queryIDs runs a query that returns one bigint column.
func queryIDs(ctx context.Context, q querier, what, sql string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return ids, nil
}

// Now is the database's clock, which stamps polled_at.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := s.Pool.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return now, fmt.Errorf("store: now: %w", err)
	}
	return now, nil
}
