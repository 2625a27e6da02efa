// Package poll is the poller step: it asks GIS for the state of every sent
// package (of one run, or every straggler when run on the schedule),
// applies each processed result in one transaction per package, archives
// the response next to its request, settles runs, times out runs past
// their limit, and writes the results file the billing system takes back.
package poll

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

	"github.com/gispayments/gis-payments/internal/civil"
	"github.com/gispayments/gis-payments/internal/fault"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gisxml"
	"github.com/gispayments/gis-payments/internal/objstore"
	"github.com/gispayments/gis-payments/internal/report"
	"github.com/gispayments/gis-payments/internal/store"
)

// GIS answers getState.
type GIS interface {
	GetState(ctx context.Context, h gisxml.Header, ackGUID string) (*gisclient.State, []byte, error)
}

// Service runs the step.
type Service struct {
	Store             *store.Store
	Objects           *objstore.Store
	ArchiveBucket     string // responses go next to their requests
	ResultsBucket     string // results/<run>.csv
	GIS               GIS
	OperatorSignature bool
	Lease             time.Duration // how long a claim lasts; 0: 2 min
	Grace             time.Duration // the sweep leaves packages younger than this to their run; 0: 5 min
	RunTimeout        time.Duration // a run still waiting after this is timed_out; 0: 20 min
	Batch             int           // packages claimed per call; 0: 200
	Concurrency       int           // getState calls at once; 0: 8
	Log               *slog.Logger
	Metrics           io.Writer // embedded-metric-format lines; nil: stdout, where Lambda ships them
	Now               func() time.Time
}

// Request is the step's event. With RunID 0 it is the scheduled sweep.
// Failed and MarkTimedOut come from the state machine's failure paths.
type Request struct {
	RunID        int64  `json:"run_id,omitempty"`
	MarkTimedOut bool   `json:"mark_timed_out,omitempty"`
	Failed       bool   `json:"failed,omitempty"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

// Result is the step's output.
type Result struct {
	RunID     int64  `json:"run_id,omitempty"`
	Status    string `json:"status,omitempty"`
	Done      bool   `json:"done"`
	TimedOut  bool   `json:"timed_out"`
	Pending   int    `json:"pending"`
	Polled    int    `json:"polled"`
	Applied   int    `json:"applied"`
	Retry     int    `json:"retry_later"`
	StuckRuns int    `json:"stuck_runs,omitempty"`
}

func (s *Service) defaults() {
	if s.Lease <= 0 {
		s.Lease = 2 * time.Minute
	}
	if s.Grace <= 0 {
		s.Grace = 5 * time.Minute
	}
	if s.RunTimeout <= 0 {
		s.RunTimeout = 20 * time.Minute
	}
	if s.Batch <= 0 {
		s.Batch = 200
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 8
	}
	if s.Now == nil {
		s.Now = time.Now
	}
}

// Poll runs one round.
func (s *Service) Poll(ctx context.Context, req Request) (*Result, error) {
	s.defaults()
	switch {
	case req.Failed:
		return s.recordFailure(ctx, req)
	case req.MarkTimedOut:
		if _, err := s.Store.TimeOutRuns(ctx, req.RunID, s.Now()); err != nil {
			return nil, err
		}
		return s.runResult(ctx, req.RunID, &Result{RunID: req.RunID})
	}
	res := &Result{RunID: req.RunID}
	touched, err := s.pollClaimed(ctx, req.RunID, res)
	if err != nil {
		return nil, err
	}
	timedOut, err := s.Store.TimeOutRuns(ctx, req.RunID, s.Now().Add(-s.RunTimeout))
	if err != nil {
		return nil, err
	}
	for _, id := range append(touched, timedOut...) {
		if err := s.writeResults(ctx, id); err != nil {
			return nil, err
		}
	}
	if req.RunID == 0 {
		if res.StuckRuns, err = s.Store.StuckRuns(ctx); err != nil {
			return nil, err
		}
		s.metric("StuckRuns", res.StuckRuns)
		s.Log.Info("swept", "polled", res.Polled, "applied", res.Applied, "retry_later", res.Retry,
			"timed_out", len(timedOut), "stuck_runs", res.StuckRuns)
		return res, nil
	}
	return s.runResult(ctx, req.RunID, res)
}

func (s *Service) recordFailure(ctx context.Context, req Request) (*Result, error) {
	if req.RunID <= 0 {
		return nil, fault.New(fault.Invalid, errors.New("poll: a failure without a run_id"))
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
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.New(fault.Invalid, fmt.Errorf("poll: %w", err))
	}
	if err != nil {
		return nil, err
	}
	if !st.Finished && st.Pending == 0 && st.Unsent == 0 && st.SentAt != nil {
		// Every package is answered but the run was not settled: settle it now.
		if err := s.Store.SettleRun(ctx, runID); err != nil {
			return nil, err
		}
		if err := s.writeResults(ctx, runID); err != nil {
			return nil, err
		}
		if st, err = s.Store.RunProgress(ctx, runID); err != nil {
			return nil, err
		}
	}
	res.Status, res.Pending, res.Done, res.TimedOut = st.Status, st.Pending, st.Finished, st.Status == "timed_out"
	s.Log.Info("polled", "run_id", runID, "status", st.Status, "pending", st.Pending, "polled", res.Polled,
		"applied", res.Applied, "retry_later", res.Retry)
	return res, nil
}

// pollClaimed claims packages and asks GIS about each; it returns the runs
// whose packages it settled.
func (s *Service) pollClaimed(ctx context.Context, runID int64, res *Result) ([]int64, error) {
	owner := uuid.NewString()
	claimed, err := s.Store.ClaimPackages(ctx, owner, runID, s.Now().Add(-s.Grace), s.Lease, s.Batch)
	if err != nil {
		return nil, err
	}
	res.Polled = len(claimed)
	applied := make([]bool, len(claimed))
	retry := make([]bool, len(claimed))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.Concurrency)
	for i, c := range claimed {
		g.Go(func() error {
			var err error
			applied[i], err = s.pollOne(gctx, owner, c)
			if err != nil && !errors.Is(err, store.ErrLeaseLost) {
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
	runs := map[int64]bool{}
	var touched []int64
	for i, c := range claimed {
		if retry[i] {
			res.Retry++
		}
		if applied[i] {
			res.Applied++
			if !runs[c.RunID] {
				runs[c.RunID] = true
				touched = append(touched, c.RunID)
			}
		}
	}
	return touched, nil
}

// pollOne asks GIS about one package; true when a final result was applied.
func (s *Service) pollOne(ctx context.Context, owner string, c store.Claimed) (bool, error) {
	h := gisxml.Header{Date: s.Now(), MessageGUID: uuid.NewString(), OrgPPAGUID: c.OrgPPAGUID, OperatorSignature: s.OperatorSignature}
	st, reply, err := s.GIS.GetState(ctx, h, c.AckGUID)
	if err != nil {
		var gerr *gisclient.Error
		if errors.As(err, &gerr) && gerr.Kind == gisclient.Permanent {
			key, aerr := s.archive(ctx, c, reply)
			if aerr != nil {
				return false, aerr
			}
			return true, s.Store.FailClaimed(ctx, c.ID, owner, key, gerr.Code, gerr.Error())
		}
		return false, err
	}
	if !st.Done() {
		return false, s.Store.RecordProgress(ctx, c.ID, owner, st.RequestState)
	}
	key, err := s.archive(ctx, c, reply)
	if err != nil {
		return false, err
	}
	if st.ErrorCode != "" {
		return true, s.Store.FailClaimed(ctx, c.ID, owner, key, st.ErrorCode, st.ErrorText)
	}
	return true, s.Store.ApplyResults(ctx, c.ID, owner, key, outcomes(st.Results))
}

// outcomes maps GIS's results to payment statuses; which codes mean what
// lives in one table, gisclient.Classify.
func outcomes(results []gisclient.ItemResult) []store.Outcome {
	out := make([]store.Outcome, len(results))
	for i, r := range results {
		o := store.Outcome{TransportGUID: r.TransportGUID}
		if r.OK() {
			at := r.UpdateDate
			o.Status, o.GUID, o.UniqueNumber, o.ImportedAt = "imported", r.GUID, r.UniqueNumber, &at
			out[i] = o
			continue
		}
		first := r.Errors[0]
		o.Code = first.Code
		var texts []string
		for _, e := range r.Errors {
			texts = append(texts, e.Code+": "+e.Description)
		}
		o.Reason = strings.Join(texts, "; ")
		switch gisclient.Classify(first.Code) {
		case gisclient.AlreadyLoaded:
			o.Status = "already_imported"
		case gisclient.Retry:
			o.Status = "error"
		default:
			o.Status = "rejected"
		}
		out[i] = o
	}
	return out
}

// archive stores a response next to its request.
func (s *Service) archive(ctx context.Context, c store.Claimed, reply []byte) (string, error) {
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
	fmt.Fprintf(w, `{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"GisPayments","Dimensions":[[]],"Metrics":[{"Name":%q,"Unit":"Count"}]}]},%q:%d}`+"\n",
		s.Now().UnixMilli(), name, name, value)
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
	err = s.Objects.PutRendered(ctx, s.ResultsBucket, key, "text/csv; charset=utf-8", func(out io.Writer) error {
		w := report.NewCSVWriter(out)
		w.Write([]string{"order_id", "bill_number", "supplier_id", "service_id", "account_number", "amount", "status",
			"gis_guid", "unique_number", "imported_at", "error_code", "error"})
		err := s.Store.EachPaymentResult(ctx, runID, func(r *store.PaymentResult) error {
			at := ""
			if r.ImportedAt != nil {
				at = r.ImportedAt.In(civil.Moscow).Format(time.RFC3339)
			}
			return w.Write([]string{report.Cell(r.OrderID), report.Cell(r.BillNumber), report.Cell(r.SupplierID),
				report.Cell(r.ServiceID), report.Cell(r.AccountNumber), r.Amount, r.Status, report.Cell(r.GUID),
				report.Cell(r.UniqueNumber), at, report.Cell(r.ErrorCode), report.Cell(r.Error)})
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
	return s.Store.SetRunResults(ctx, runID, key)
}
