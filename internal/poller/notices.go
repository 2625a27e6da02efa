package poller

import (
	"context"
	"errors"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/notify"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// RunNotifier is told of every settled run (notify.Notifier).
type RunNotifier interface {
	RunSettled(ctx context.Context, s notify.Settled) error
}

// DefaultPaymentMaxAgeHours is PAYMENT_MAX_AGE_HOURS when unset.
const DefaultPaymentMaxAgeHours = 48

// announce puts a settled run's "Run settled" event once (at least once:
// a failure leaves it to the next sweep).
func (s *Service) announce(ctx context.Context, runID int64) {
	if s.Notifier == nil {
		return
	}
	r, err := s.Store.UnannouncedRun(ctx, runID)
	if errors.Is(err, postgres.ErrNotFound) {
		return
	}
	if err == nil {
		ev := notify.Settled{Org: r.Org, RunID: runID, Status: contract.RunStatus(r.Status), Payments: r.Payments,
			Loaded: r.Loaded, Rejected: r.Rejected, Errors: r.Errors, Held: r.Held, Matched: r.Matched, Unmatched: r.Unmatched,
			Decision: r.Decision, DecidedBy: r.DecidedBy, ReportHTML: notify.S3Link(s.ResultsBucket, r.ReportHTMLKey),
			ReportCSV: notify.S3Link(s.ResultsBucket, r.ReportCSVKey), Results: notify.S3Link(s.ResultsBucket, r.ResultsKey)}
		ev.Attention = notify.NeedsAttention(ev)
		if err = s.Notifier.RunSettled(ctx, ev); err == nil {
			err = s.Store.MarkAnnounced(ctx, runID)
		}
	}
	if err != nil {
		s.Log.Warn("run settled event not sent, the sweep tries again", "run_id", runID, "error", err.Error())
	}
}

// sweepNotices announces settled runs nobody announced and emits the
// UnloadedPaymentsOlderThan metric.
func (s *Service) sweepNotices(ctx context.Context) error {
	ids, err := s.Store.UnannouncedRuns(ctx, s.Batch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.announce(ctx, id)
	}
	maxAge := s.MaxPaymentAge
	if maxAge <= 0 {
		maxAge = DefaultPaymentMaxAgeHours * time.Hour
	}
	unloaded, err := s.Store.UnloadedPayments(ctx, s.Clock.Now().Add(-maxAge))
	if err != nil {
		return err
	}
	s.metric("UnloadedPaymentsOlderThan", unloaded)
	return nil
}

// decisionCells are the results file's decision columns of a run.
func (s *Service) decisionCells(ctx context.Context, runID int64) ([]string, error) {
	d, err := s.Store.RunDecision(ctx, runID)
	if errors.Is(err, postgres.ErrNotFound) {
		return []string{"", "", ""}, nil
	}
	if err != nil {
		return nil, err
	}
	return []string{d.Decision(), d.By, d.At.Format(time.RFC3339)}, nil
}
