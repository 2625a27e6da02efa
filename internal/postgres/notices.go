package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SettledRun is what a "Run settled" event says of a run.
type SettledRun struct {
	Org, Status                        string
	Matched, Unmatched                 int
	Payments, Loaded, Rejected, Errors int
	Held                               int
	ReportHTMLKey, ReportCSVKey        string
	ResultsKey                         string
	Decision, DecidedBy                string
	DecidedAt                          *time.Time
}

// UnannouncedRun returns a settled run nobody has announced yet, or
// ErrNotFound (not settled, or announced before).
func (s *Store) UnannouncedRun(ctx context.Context, runID int64) (*SettledRun, error) {
	var r SettledRun
	err := s.Pool.QueryRow(ctx, `SELECT o.code, r.status, r.matched, r.mismatched + r.billing_only + r.acquiring_only,
			n.payments, n.loaded, n.rejected, n.errors,
			(SELECT count(*) FROM recon_row WHERE run_id = r.id AND hold_reason IS NOT NULL),
			coalesce(r.report_html_key, ''), coalesce(r.report_csv_key, ''), coalesce(r.results_key, ''),
			coalesce(d.decision, ''), coalesce(d.decided_by, ''), d.decided_at
		FROM run r JOIN organization o ON o.id = r.organization_id LEFT JOIN run_decision d ON d.run_id = r.id
		CROSS JOIN LATERAL (SELECT count(*) AS payments, count(*) FILTER (WHERE status IN `+loadedStatuses+`) AS loaded,
			count(*) FILTER (WHERE status = 'rejected') AS rejected,
			count(*) FILTER (WHERE status IN ('queued', 'sent', 'error', 'unknown')) AS errors
			FROM payment WHERE `+paymentsOfRun("", "r.id")+`) n
		WHERE r.id = $1 AND r.settled_notice_at IS NULL AND r.status IN `+announcedStatuses, runID).
		Scan(&r.Org, &r.Status, &r.Matched, &r.Unmatched, &r.Payments, &r.Loaded, &r.Rejected, &r.Errors, &r.Held,
			&r.ReportHTMLKey, &r.ReportCSVKey, &r.ResultsKey, &r.Decision, &r.DecidedBy, &r.DecidedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: settled run %d: %w", runID, err)
	}
	return &r, nil
}

// MarkAnnounced records that a run's "Run settled" event went out.
func (s *Store) MarkAnnounced(ctx context.Context, runID int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE run SET settled_notice_at = now() WHERE id = $1`, runID)
	if err != nil {
		return fmt.Errorf("store: mark run %d announced: %w", runID, err)
	}
	return nil
}

// UnannouncedRuns lists up to limit settled runs not announced yet (an
// event that failed to go out, a run settled outside the poller).
func (s *Store) UnannouncedRuns(ctx context.Context, limit int) ([]int64, error) {
	return queryIDs(ctx, s.Pool, "unannounced runs", `SELECT id FROM run WHERE settled_notice_at IS NULL
		AND status IN `+announcedStatuses+` ORDER BY id LIMIT $1`, limit)
}

// UnloadedPayments counts payments taken before before and still not
// loaded: queued, sent, unknown, or in an error no later payment of the
// order has taken over. Queued ones are found through their packages, not
// yet sent (payment_unloaded leaves them out: see its migration).
func (s *Store) UnloadedPayments(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM payment p
		 WHERE p.status IN ('sent', 'unknown', 'error') AND p.created_at < $1
		   AND (p.status <> 'error' OR NOT EXISTS (SELECT 1 FROM payment q
		        WHERE q.organization_id = p.organization_id AND q.order_id = p.order_id AND q.id > p.id)))
		+ (SELECT count(*) FROM package k JOIN payment p ON p.package_id = k.id
		   WHERE k.status IN `+unsentPackages+` AND k.created_at < $1 AND p.status = 'queued' AND p.created_at < $1)`,
		before).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unloaded payments: %w", err)
	}
	return n, nil
}
