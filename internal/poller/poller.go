// Package poll is the poller step: it asks GIS for the state of every sent
// package (of one run, or every straggler when run on the schedule),
// applies each processed result in one transaction per package, archives
// the response next to its request, settles runs, times out runs past
// their limit, and writes the results file the billing system takes back.
package poller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/emf"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/report"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// GIS answers getState.
type GIS interface {
	GetState(ctx context.Context, h gismessage.Header, ackGUID string) (*gisclient.State, []byte, error)
}

// Sender posts signed packages (sender.Service).
type Sender interface {
	Send(ctx context.Context, req sender.Request) (*sender.Result, error)
}

// Service runs the step.
type Service struct {
	Store          *postgres.Store
	Objects        *s3store.Store
	ArchiveBucket  string // responses go next to their requests
	ResultsBucket  string // results/<run>.csv
	GIS            GIS
	Sender         Sender         // posts the signed packages runs left unsent; nil: none are
	Lease          time.Duration  // how long a claim lasts; 0: 2 min
	Grace          time.Duration  // the sweep leaves packages younger than this to their run; 0: 5 min
	RunTimeout     time.Duration  // a run still waiting after this is timed_out; 0: 20 min
	CallTimeout    time.Duration  // one GIS call at most; no call starts with less time left; 0: 60 s
	DoubtLimit     int            // doubtful answers in a row before a package is unknown; 0: 12
	Batch          int            // packages claimed per call; 0: 200
	ReconRetention time.Duration  // the sweep retires recon rows of runs settled longer ago; 0: never
	Concurrency    int            // getState calls at once; 0: gisclient.DefaultConcurrency
	Limiter        sender.Limiter // paces getState with the sender's imports (GIS_RATE_PER_SECOND); nil: none
	Log            *slog.Logger
	Metrics        io.Writer // embedded-metric-format lines; nil: stdout, where Lambda ships them
	Clock          clock.Func
	Notifier       RunNotifier   // told of every settled run; nil: nobody
	MaxPaymentAge  time.Duration // payments unloaded longer count in UnloadedPaymentsOlderThan; 0: 48 h
	// Reports renders an ended run's reports again when an approver
	// decided on it, so that they show the decision; nil: left as written.
	Reports ReportWriter
}

// ReportWriter renders a run's reports (reconciler.Service).
type ReportWriter interface {
	RewriteReports(ctx context.Context, runID int64) error
}

// The step's request and result are the contract's.
type (
	Request = contract.PollerRequest
	Result  = contract.PollerResult
)

// Defaults of the poller's settings (POLL_GRACE, RUN_TIMEOUT,
// GIS_DOUBT_LIMIT), read by config and taken when a field is left zero.
const (
	DefaultGrace      = 5 * time.Minute
	DefaultRunTimeout = 20 * time.Minute
	DefaultDoubtLimit = 12
	// DefaultReconRetentionDays is how long a settled run keeps its
	// reconciliation rows (RECON_RETENTION_DAYS).
	DefaultReconRetentionDays = 90
)

// retireRunsPerSweep bounds the runs one sweep retires (about 300 000
// rows each), so a backlog drains over a few sweeps, not in one.
const retireRunsPerSweep = 5

func (s *Service) defaults() {
	if s.Lease <= 0 {
		s.Lease = 2 * time.Minute
	}
	if s.Grace <= 0 {
		s.Grace = DefaultGrace
	}
	if s.RunTimeout <= 0 {
		s.RunTimeout = DefaultRunTimeout
	}
	if s.Batch <= 0 {
		s.Batch = 200
	}
	if s.Concurrency <= 0 {
		s.Concurrency = gisclient.DefaultConcurrency
	}
	if s.CallTimeout <= 0 {
		s.CallTimeout = gisclient.DefaultTimeout
	}
	if s.DoubtLimit <= 0 {
		s.DoubtLimit = DefaultDoubtLimit
	}
}

// Poll runs one round.
func (s *Service) Poll(ctx context.Context, req Request) (*Result, error) {
	s.defaults()
	switch {
	case req.Failed:
		return s.recordFailure(ctx, req)
	case req.MarkTimedOut:
		if _, err := s.Store.TimeOutRuns(ctx, req.RunID, s.Clock.Now()); err != nil {
			return nil, err
		}
		return s.runResult(ctx, req.RunID, &Result{RunID: req.RunID})
	}
	res := &Result{RunID: req.RunID}
	if req.RunID == 0 {
		if err := s.resendUnsent(ctx, res); err != nil {
			return nil, err
		}
	}
	touched, err := s.pollClaimed(ctx, req.RunID, res)
	if err != nil {
		return nil, err
	}
	timedOut, err := s.Store.TimeOutRuns(ctx, req.RunID, s.Clock.Now().Add(-s.RunTimeout))
	if err != nil {
		return nil, err
	}
	for _, id := range append(touched, timedOut...) {
		if err := s.writeResults(ctx, id); err != nil {
			return nil, err
		}
	}
	if req.RunID == 0 {
		return s.sweepResult(ctx, res, len(timedOut))
	}
	return s.runResult(ctx, req.RunID, res)
}

// resendUnsent posts again the signed packages their runs left behind (a
// GIS outage longer than the state machine's retries, a sender cut off, a
// failed run), with their archived bytes and GUIDs.
func (s *Service) resendUnsent(ctx context.Context, res *Result) error {
	if s.Sender == nil {
		return nil
	}
	ids, err := s.Store.UnsentPackages(ctx, 0, s.Clock.Now().Add(-s.Grace), s.Batch)
	if err != nil || len(ids) == 0 {
		return err
	}
	sent, err := s.Sender.Send(ctx, sender.Request{PackageIDs: ids})
	if sent != nil {
		res.Resent = sent.Sent + sent.AlreadySent
	}
	if err != nil {
		// GIS still refuses: the packages stay signed for the next sweep.
		s.Log.Warn("resend failed, retry later", "packages", len(ids), "resent", res.Resent, "error", err.Error())
	}
	return nil
}

// sweepResult finishes the scheduled sweep: results files of runs that
// have none, and the stuck-runs metric.
func (s *Service) sweepResult(ctx context.Context, res *Result, timedOut int) (*Result, error) {
	missing, err := s.Store.RunsWithoutResults(ctx, s.Batch)
	if err != nil {
		return nil, err
	}
	for _, id := range missing {
		if err := s.writeResults(ctx, id); err != nil {
			return nil, err
		}
	}
	if res.StuckRuns, err = s.Store.StuckRuns(ctx); err != nil {
		return nil, err
	}
	if err := s.sweepNotices(ctx); err != nil {
		return nil, err
	}
	if s.ReconRetention > 0 {
		r, err := s.Store.RetireReconRows(ctx, s.Clock.Now().Add(-s.ReconRetention), retireRunsPerSweep)
		if err != nil {
			return nil, err
		}
		if r.Runs > 0 {
			s.Log.Info("recon rows retired", "runs", r.Runs, "rows", r.Rows, "kept_for_payments", r.Kept)
		}
	}
	s.metric("StuckRuns", res.StuckRuns)
	s.Log.Info("swept", "resent", res.Resent, "polled", res.Polled, "applied", res.Applied, "retry_later", res.Retry,
		"doubtful", res.Doubtful, "timed_out", timedOut, "results_written", len(missing), "stuck_runs", res.StuckRuns)
	return res, nil
}

func (s *Service) recordFailure(ctx context.Context, req Request) (*Result, error) {
	if req.RunID <= 0 {
		return nil, steperr.E("poll", steperr.InvalidInput, errors.New("a failure without a run_id"))
	}
	reason := strings.TrimSpace(req.Error + ": " + req.Cause)
	if err := s.Store.RecordRunFailure(ctx, req.RunID, reason); err != nil {
		return nil, err
	}
	s.Log.Error("run failed", "run_id", req.RunID, "error", req.Error)
	return s.runResult(ctx, req.RunID, &Result{RunID: req.RunID})
}

func (s *Service) runResult(ctx context.Context, runID int64, res *Result) (*Result, error) {
	st, err := s.Store.RunProgress(ctx, runID)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, steperr.E("poll", steperr.InvalidInput, fmt.Errorf("%w", err))
	}
	if err != nil {
		return nil, err
	}
	if !st.Finished && st.Pending == 0 && st.SentAt != nil {
		// Every package is answered but the run was not settled: settle it now.
		if err := s.Store.SettleRun(ctx, runID); err != nil {
			return nil, err
		}
		if st, err = s.Store.RunProgress(ctx, runID); err != nil {
			return nil, err
		}
	}
	if st.Finished && !st.HasResults {
		// Settled by the sender (every package refused) or by a late answer.
		if err := s.writeResults(ctx, runID); err != nil {
			return nil, err
		}
	}
	res.Status, res.Pending, res.Unsent, res.Done, res.TimedOut = st.Status, st.Pending, st.Unsent, st.Finished, st.Status == contract.RunTimedOutStatus
	res.LeftToSweep = !st.Finished && st.Unsent > 0 && st.Unsent == st.Pending
	s.Log.Info("polled", "run_id", runID, "status", st.Status, "pending", st.Pending, "unsent", st.Unsent,
		"polled", res.Polled, "applied", res.Applied, "retry_later", res.Retry, "doubtful", res.Doubtful,
		"left_to_sweep", res.LeftToSweep)
	return res, nil
}

// pollClaimed claims packages a batch at a time and asks GIS about each,
// until every waiting package was polled once in this invocation or too
// little time is left for another call: a run of 12 000 packages is polled
// in one round, not in 60 rounds of Batch. It returns the runs whose
// packages it settled.
func (s *Service) pollClaimed(ctx context.Context, runID int64, res *Result) ([]int64, error) {
	owner := uuid.NewString()
	round, err := s.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	runs := map[int64]bool{}
	var touched []int64
	for {
		claimed, err := s.Store.ClaimPackages(ctx, owner, runID, s.Clock.Now().Add(-s.Grace), s.Lease, s.Batch, round)
		if err != nil {
			return nil, err
		}
		settled, err := s.pollBatch(ctx, owner, claimed, res)
		if err != nil {
			return nil, err
		}
		for _, id := range settled {
			if !runs[id] {
				runs[id] = true
				touched = append(touched, id)
			}
		}
		if len(claimed) < s.Batch || !gisclient.TimeForACall(ctx, s.CallTimeout) {
			return touched, nil
		}
	}
}

// pollBatch asks GIS about claimed packages, Concurrency at once; it
// returns the runs of the packages it settled.
func (s *Service) pollBatch(ctx context.Context, owner string, claimed []postgres.Claimed, res *Result) ([]int64, error) {
	res.Polled += len(claimed)
	applied := make([]bool, len(claimed))
	retry := make([]bool, len(claimed))
	doubtful := make([]bool, len(claimed))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.Concurrency)
	for i, c := range claimed {
		g.Go(func() error {
			if !gisclient.TimeForACall(gctx, s.CallTimeout) {
				// Too little of the invocation is left for another call:
				// the package goes back for the next round, unpolled.
				retry[i] = true
				return s.Store.Release(ctx, c.ID, owner)
			}
			var err error
			applied[i], err = s.pollOne(gctx, owner, c)
			var doubt *errDoubtful
			switch {
			case err == nil || errors.Is(err, postgres.ErrLeaseLost):
			case errors.As(err, &doubt):
				doubtful[i] = true // recorded, lease released
			default:
				s.Log.Warn("poll failed, retry later", "package_id", c.ID, "run_id", c.RunID, "error", err.Error())
				retry[i] = true
				return s.Store.Release(ctx, c.ID, owner)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var touched []int64
	for i, c := range claimed {
		if retry[i] {
			res.Retry++
		}
		if doubtful[i] {
			res.Doubtful++
		}
		if applied[i] {
			res.Applied++
			touched = append(touched, c.RunID)
		}
	}
	return touched, nil
}

// errDoubtful marks an answer that does not say what GIS holds.
type errDoubtful struct{ reason string }

func (e *errDoubtful) Error() string { return e.reason }

// pollOne asks GIS about one package; true when a final result was applied.
// IsOperatorSignature follows the package's organisation (NULL
// signing_key: the operator signs for it), as the packer signed.
func (s *Service) pollOne(ctx context.Context, owner string, c postgres.Claimed) (bool, error) {
	h := gismessage.Header{Date: s.Clock.Now(), MessageGUID: uuid.NewString(), OrgPPAGUID: c.OrgPPAGUID,
		OperatorSignature: c.OperatorSigns} // as the organisation's packages were signed
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx); err != nil {
			return false, err
		}
	}
	st, reply, err := s.GIS.GetState(ctx, h, c.AckGUID)
	var doubt *errDoubtful
	var gerr *gisclient.Error
	switch {
	case err != nil && (!errors.As(err, &gerr) || gerr.Disposition == gisclient.Transient):
		return false, err // the network's weather: ask again later
	case err != nil:
		// Refused (HTTP 4xx, a client fault, TLS), or unreadable: not a
		// statement about the payments.
		doubt = &errDoubtful{"getState failed: " + err.Error()}
	case st.MessageGUID != c.AckGUID:
		doubt = &errDoubtful{fmt.Sprintf("getState answered about message %q, asked about %s", st.MessageGUID, c.AckGUID)}
	case !st.Done():
		return false, s.Store.RecordProgress(ctx, c.ID, owner, st.RequestState)
	case st.ErrorCode != "" && len(st.Results) > 0:
		doubt = &errDoubtful{fmt.Sprintf("getState has both ErrorMessage %s and %d ImportResults", st.ErrorCode, len(st.Results))}
	}
	if doubt == nil && st.ErrorCode == "" {
		doubt, err = s.checkResults(ctx, c, st.Results)
		if err != nil {
			return false, err
		}
	}
	key, err := s.archive(ctx, c, reply)
	if err != nil {
		return false, err
	}
	if doubt != nil {
		s.Log.Warn("doubtful getState answer", "package_id", c.ID, "run_id", c.RunID, "reason", doubt.reason)
		gaveUp, err := s.Store.RecordDoubt(ctx, c.ID, owner, key, doubt.reason, s.DoubtLimit)
		if err == nil && !gaveUp {
			err = doubt // counted as retry_later
		}
		return gaveUp, err
	}
	if st.ErrorCode != "" {
		return true, s.Store.FailClaimed(ctx, c.ID, owner, key, gisclient.MessageDisposition(st.ErrorCode).PaymentStatus(), st.ErrorCode,
			st.ErrorCode+": "+st.ErrorText)
	}
	return true, s.Store.ApplyResults(ctx, c.ID, owner, key, outcomes(st.Results))
}

// checkResults finds what makes a processed answer doubtful: a result for
// a TransportGUID the package does not hold, or two different results for
// one (the same result twice is harmless).
func (s *Service) checkResults(ctx context.Context, c postgres.Claimed, results []gisclient.ItemResult) (*errDoubtful, error) {
	ours, err := s.Store.TransportGUIDs(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]gisclient.ItemResult{}
	for _, r := range results {
		tg := strings.ToLower(r.TransportGUID)
		if !ours[tg] {
			return &errDoubtful{fmt.Sprintf("getState has a result for TransportGUID %s, which package %d never sent", tg, c.ID)}, nil
		}
		if prev, ok := seen[tg]; ok && !sameResult(prev, r) {
			return &errDoubtful{fmt.Sprintf("getState has conflicting results for TransportGUID %s: %s and %s", tg, describe(prev), describe(r))}, nil
		}
		seen[tg] = r
	}
	return nil, nil
}

func sameResult(a, b gisclient.ItemResult) bool {
	return a.OK() == b.OK() && a.GUID == b.GUID && a.UniqueNumber == b.UniqueNumber && describe(a) == describe(b)
}

// describe is a result in words, for logs and reasons.
func describe(r gisclient.ItemResult) string {
	if r.OK() {
		return "imported as " + r.GUID
	}
	var texts []string
	for _, e := range r.Errors {
		texts = append(texts, e.Code+": "+e.Description)
	}
	return strings.Join(texts, "; ")
}

// outcomes maps GIS's results to payment statuses; which codes mean what
// lives in one table, gisclient.Classify.
func outcomes(results []gisclient.ItemResult) []postgres.Outcome {
	out := make([]postgres.Outcome, len(results))
	for i, r := range results {
		o := postgres.Outcome{TransportGUID: r.TransportGUID}
		if r.OK() {
			at := r.UpdateDate
			o.Status, o.GUID, o.UniqueNumber, o.ImportedAt = contract.PaymentImported, r.GUID, r.UniqueNumber, &at
		} else {
			o.Code, o.Reason, o.Status = r.Errors[0].Code, describe(r), gisclient.Classify(r.Errors[0].Code).PaymentStatus()
		}
		out[i] = o
	}
	return out
}

// archive stores a response next to its request.
func (s *Service) archive(ctx context.Context, c postgres.Claimed, reply []byte) (string, error) {
	key := strings.TrimSuffix(c.RequestKey, ".request.xml") + ".response.xml"
	if err := s.Objects.Put(ctx, s.ArchiveBucket, key, "application/xml", bytes.NewReader(reply)); err != nil {
		return "", err
	}
	return key, nil
}

// metric emits a CloudWatch metric in the embedded metric format: a JSON
// log line CloudWatch Logs turns into a metric, no API call needed.
func (s *Service) metric(name string, value int) {
	w := s.Metrics
	if w == nil {
		w = os.Stdout
	}
	if err := emf.Write(w, s.Clock.Now(), name, "Count", float64(value), nil); err != nil {
		s.Log.Warn("metric not written", "metric", name, "error", err.Error())
	}
}

// ResultsKey is where a run's results file goes.
func ResultsKey(runID int64) string { return fmt.Sprintf("results/%d.csv", runID) }

// writeResults writes results/<run>.csv once the run has ended (finished,
// with errors, or timed out); rewriting it later is harmless.
func (s *Service) writeResults(ctx context.Context, runID int64) error {
	st, err := s.Store.RunProgress(ctx, runID)
	if err != nil || !st.Finished {
		return err
	}
	key := ResultsKey(runID)
	decision, err := s.decisionCells(ctx, runID)
	if err != nil {
		return err
	}
	err = s.Objects.PutRendered(ctx, s.ResultsBucket, key, "text/csv; charset=utf-8", func(out io.Writer) error {
		w := report.NewCSVWriter(out)
		w.Write([]string{"order_id", "bill_number", "supplier_id", "service_id", "account_number", "amount", "status",
			"gis_guid", "unique_number", "imported_at", "error_code", "error", "decision", "decided_by", "decided_at"})
		err := s.Store.EachPaymentResult(ctx, runID, func(r *postgres.PaymentResult) error {
			at := ""
			if r.ImportedAt != nil {
				at = r.ImportedAt.In(calendar.Moscow).Format(time.RFC3339)
			}
			return w.Write([]string{report.Cell(r.OrderID), report.Cell(r.BillNumber), report.Cell(r.SupplierID),
				report.Cell(r.ServiceID), report.Cell(r.AccountNumber), r.Amount, r.Status, report.Cell(r.GUID),
				report.Cell(r.UniqueNumber), at, report.Cell(r.ErrorCode), report.Cell(r.Error),
				decision[0], report.Cell(decision[1]), decision[2]})
		})
		if err != nil {
			return err
		}
		w.Flush()
		return w.Error()
	})
	if err != nil {
		return err
	}
	if decision[0] != "" && s.Reports != nil {
		if err := s.Reports.RewriteReports(ctx, runID); err != nil {
			return err
		}
	}
	if err := s.Store.SetRunResults(ctx, runID, key); err != nil {
		return err
	}
	s.announce(ctx, runID)
	return nil
}
