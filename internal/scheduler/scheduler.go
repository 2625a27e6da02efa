// Package scheduler is the daily schedule's first step: it lists the
// active organisations in Postgres and names one run per organisation for
// the previous day, deterministically (org-date), so that the fan-out's
// StartExecution starts each at most once however often the schedule's
// event comes. It also tells an organisation's contact of a day without
// exports, which ends the run quietly instead of failing it.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Notices tells an organisation's contact (notify.Notifier).
type Notices interface {
	Notice(ctx context.Context, org, subject, text string) error
}

// Service is the scheduler function.
type Service struct {
	Store   *postgres.Store
	Notices Notices
	Log     *slog.Logger
	Clock   clock.Func
}

// The step's request and result are the contract's.
type (
	Request = contract.SchedulerRequest
	Result  = contract.SchedulerResult
)

// Handle lists the day's runs, or sends a no-exports notice.
func (s *Service) Handle(ctx context.Context, req Request) (*Result, error) {
	switch {
	case req.ListOrgs:
		return s.listOrgs(ctx, req.ScheduledTime)
	case req.NoExports:
		return &Result{Runs: []contract.DailyRun{}}, s.noExports(ctx, req)
	}
	return nil, steperr.E("schedule", steperr.InvalidInput, errors.New("want {list_orgs} or {no_exports, org, period}"))
}

// listOrgs names the previous day's run of every active organisation. The
// day is taken from the schedule's time, not the clock: a late or repeated
// event names the same runs.
func (s *Service) listOrgs(ctx context.Context, scheduled string) (*Result, error) {
	at := s.Clock.Now()
	if scheduled != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, scheduled); err != nil {
			return nil, steperr.E("schedule", steperr.InvalidInput, fmt.Errorf("scheduled_time %q: %w", scheduled, err))
		}
	}
	day := calendar.FromTime(at).AddDays(-1)
	codes, err := s.Store.ActiveOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Day: day.String(), Runs: make([]contract.DailyRun, 0, len(codes))}
	for _, code := range codes {
		name := ExecutionName(code, day)
		res.Runs = append(res.Runs, contract.DailyRun{Name: name, Input: contract.ReconcilerRequest{Org: code,
			Period: &contract.Period{From: day.String(), To: day.String()}, ExecutionName: name}})
	}
	s.Log.Info("daily runs listed", "day", day.String(), "organisations", len(codes))
	return res, nil
}

// ExecutionName is a daily run's name, e.g. uk-dom-2026-11-30: an
// organisation code (at most 63 of [A-Za-z0-9_-]) and the day, within Step
// Functions' 80 characters, no ':'.
func ExecutionName(org string, day calendar.Date) string { return org + "-" + day.String() }

func (s *Service) noExports(ctx context.Context, req Request) error {
	period := "the day"
	if req.Period != nil {
		period = req.Period.From
		if req.Period.To != req.Period.From {
			period += ".." + req.Period.To
		}
	}
	s.Log.Info("no exports", "org", req.Org, "period", period)
	return s.Notices.Notice(ctx, req.Org, fmt.Sprintf("No exports from %s for %s", req.Org, period),
		fmt.Sprintf("No billing or bank exports of %s arrived for %s, so nothing was reconciled or loaded. "+
			"Upload them to incoming/billing/%s/ and incoming/acquiring/%s/; the upload starts the run.", req.Org, period, req.Org, req.Org))
}
