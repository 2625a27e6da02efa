package postgres

import (
	"context"
	"fmt"
	"time"
)

// Retired is what one RetireReconRows call did.
type Retired struct {
	Runs int   // runs whose reconciliation rows were retired
	Rows int64 // recon rows deleted
	Kept int64 // recon rows kept because a payment still needs them
}

// RetireReconRows deletes the reconciliation rows of at most limit runs
// settled (finished or finished_with_errors, results file written) before
// settledBefore, oldest first, and marks those runs retired. It keeps every
// row a payment still needs: one in error (the organisation's next run
// retries it from its row; a retry's queued or sent payment points at that
// same row) or unknown (an operator resolves it). A settled run has no
// queued or sent payments of its own. The run, its per-day summary (recon_day) and its payments
// stay; the discrepancy report and the results file in S3 keep the rest.
// Each run is its own transaction; a second call finds nothing to redo.
func (s *Store) RetireReconRows(ctx context.Context, settledBefore time.Time, limit int) (Retired, error) {
	var out Retired
	ids, err := queryIDs(ctx, s.Pool, "runs to retire", `SELECT id FROM run
		WHERE status IN ('finished', 'finished_with_errors') AND finished_at < $1
		  AND results_key IS NOT NULL AND recon_retired_at IS NULL
		ORDER BY finished_at LIMIT $2`, settledBefore, limit)
	if err != nil {
		return out, err
	}
	for _, id := range ids {
		var deleted, kept int64
		err := s.Pool.QueryRow(ctx, `WITH gone AS (
				DELETE FROM recon_row r WHERE r.run_id = $1
				  AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.recon_row_id = r.id
				                  AND p.status IN ('error', 'unknown'))
				RETURNING 1),
			marked AS (UPDATE run SET recon_retired_at = now() WHERE id = $1 RETURNING 1)
			SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM recon_row WHERE run_id = $1) - (SELECT count(*) FROM gone),
			       (SELECT count(*) FROM marked)`, id).Scan(&deleted, &kept, new(int))
		if err != nil {
			return out, fmt.Errorf("store: retire recon rows of run %d: %w", id, err)
		}
		out.Runs++
		out.Rows += deleted
		out.Kept += kept
	}
	return out, nil
}
