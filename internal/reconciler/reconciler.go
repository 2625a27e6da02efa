// Package recon is the reconciler step: it resolves which exports a run
// covers, streams them from S3 through the matcher into Postgres, and
// writes the discrepancy report. Re-running it for the same files finds
// the same run and writes nothing twice.
package reconciler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/report"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// The step's request and result are the contract's.
type (
	FileRef = contract.FileRef
	Period  = contract.Period
	Request = contract.ReconcilerRequest
	Result  = contract.ReconcilerResult
)

// Registrar registers an object under incoming/ as the upload trigger
// does (header check, once per bucket, key and ETag).
type Registrar interface {
	RegisterUpload(ctx context.Context, bucket string, obj s3store.Object) error
}

// Service runs the step.
type Service struct {
	Store   *postgres.Store
	Objects *s3store.Store
	// Uploads, with IncomingBucket, lets a daily run register the exports
	// whose upload event was lost (nil: it does not look).
	Uploads        Registrar
	IncomingBucket string
	ReportBucket   string
	Limits         exportcsv.Limits
	Log            *slog.Logger
	Clock          clock.Func
}

// Reconcile runs (or finds) the run for req.
func (s *Service) Reconcile(ctx context.Context, req Request) (*Result, error) {
	started := s.Clock.Now()
	org, err := s.Store.OrganizationByCode(ctx, req.Org)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, steperr.E("reconcile", steperr.InvalidInput, fmt.Errorf("unknown organisation %q", req.Org))
	}
	if err != nil {
		return nil, err
	}
	from, to, err := period(req, s.Clock.Now())
	if err != nil {
		return nil, steperr.New(steperr.InvalidInput, err)
	}
	if len(req.Files) == 0 {
		if err := s.registerMissed(ctx, org); err != nil {
			return nil, err
		}
	}
	files, err := s.resolve(ctx, org, req, from, to)
	if err != nil {
		return nil, err
	}
	spec := postgres.RunSpec{OrganizationID: org.ID, RunKey: runKey(org.Code, from, to, files),
		ExecutionName: req.ExecutionName, From: from, To: to}
	run, err := s.Store.BeginRun(ctx, spec)
	if err != nil {
		return nil, err
	}
	log := s.Log.With("run_id", run.ID, "org", org.Code)
	switch {
	case run.Status == contract.RunFailed:
		return nil, steperr.E("reconcile", steperr.InvalidInput, fmt.Errorf("run %d failed earlier: %s", run.ID, run.Error))
	case run.ReconciledAt != nil:
		log.Info("run already reconciled", "status", run.Status)
		return s.finish(ctx, org, run, files, started, true)
	}
	billing, acquiring := splitKinds(files)
	_, err = s.Store.SaveReconciliation(ctx, run.ID, postgres.Reconciliation{
		BillingFiles:   ids(billing),
		AcquiringFiles: ids(acquiring),
		Produce: func(sink matcher.Sink) (*matcher.Summary, []postgres.FileStats, error) {
			return s.match(ctx, billing, acquiring, from, to, *org.Rules, sink)
		},
	})
	if errors.Is(err, postgres.ErrAlreadyReconciled) { // a concurrent duplicate got there first
		run, err = s.Store.RunByID(ctx, run.ID)
		if err != nil {
			return nil, err
		}
		return s.finish(ctx, org, run, files, started, true)
	}
	if err != nil {
		if problems, ok := exportcsv.AsErrors(err); ok {
			return nil, s.reject(ctx, log, run, files, problems)
		}
		var tooLarge *TotalTooLarge
		if errors.As(err, &tooLarge) {
			if err := s.Store.FailRun(ctx, run.ID, tooLarge.Error()); err != nil {
				return nil, err
			}
			log.Warn("run refused: a total is too large to store", "day", tooLarge.Day)
			return nil, steperr.E(runOp(run.ID), steperr.InvalidInput, tooLarge)
		}
		return nil, err
	}
	if run, err = s.Store.RunByID(ctx, run.ID); err != nil {
		return nil, err
	}
	return s.finish(ctx, org, run, files, started, false)
}

func period(r Request, now time.Time) (from, to *calendar.Date, err error) {
	if r.Period == nil {
		if len(r.Files) == 0 {
			return nil, nil, errors.New("reconcile: the event names neither files nor a period")
		}
		return nil, nil, nil
	}
	if r.Period.PreviousDay {
		d := calendar.FromTime(now).AddDays(-1)
		return &d, &d, nil
	}
	f, err1 := calendar.ParseDate(r.Period.From)
	t, err2 := calendar.ParseDate(r.Period.To)
	if err1 != nil || err2 != nil || t < f {
		return nil, nil, fmt.Errorf("reconcile: bad period %q..%q: want from ≤ to, YYYY-MM-DD", r.Period.From, r.Period.To)
	}
	return &f, &t, nil
}

// resolve finds the registered files the run covers.
func (s *Service) resolve(ctx context.Context, org *postgres.Organization, req Request, from, to *calendar.Date) ([]*postgres.SourceFile, error) {
	var files []*postgres.SourceFile
	if len(req.Files) > 0 {
		for _, ref := range req.Files {
			f, err := s.Store.FileByKey(ctx, org.ID, ref.Bucket, ref.Key, ref.ETag)
			if errors.Is(err, postgres.ErrNotFound) {
				return nil, steperr.E("reconcile", steperr.InvalidInput, fmt.Errorf("s3://%s/%s is not registered for %s", ref.Bucket, ref.Key, org.Code))
			}
			if err != nil {
				return nil, err
			}
			switch f.Status {
			case contract.FileFailed:
				return nil, steperr.E("reconcile", steperr.InvalidInput, fmt.Errorf("%s failed validation: %s", f.Key, (&exportcsv.Errors{List: f.Errors}).Error()))
			case contract.FileSuperseded:
				return nil, steperr.E("reconcile", steperr.InvalidInput, fmt.Errorf("%s (etag %s) was replaced by a newer upload", f.Key, f.ETag))
			}
			files = append(files, f)
		}
	} else {
		var err error
		if files, err = s.Store.FilesForPeriod(ctx, org.ID, *from, *to); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, steperr.E("reconcile", steperr.NoExports, fmt.Errorf("no exports for %s in the period", org.Code))
	}
	slices.SortFunc(files, func(a, b *postgres.SourceFile) int { return int(a.ID - b.ID) })
	files = slices.CompactFunc(files, func(a, b *postgres.SourceFile) bool { return a.ID == b.ID })
	return files, nil
}

// registerMissed registers the organisation's exports that no upload event
// registered: S3 invokes the trigger asynchronously, and an event that
// outlives its retries is parked on a queue, not delivered, so the daily
// run looks for itself.
func (s *Service) registerMissed(ctx context.Context, org *postgres.Organization) error {
	if s.Uploads == nil || s.IncomingBucket == "" {
		return nil
	}
	for _, kind := range []exportcsv.Kind{exportcsv.Billing, exportcsv.Acquiring} {
		prefix := "incoming/" + string(kind) + "/" + org.Code + "/"
		known, err := s.Store.KnownUploads(ctx, s.IncomingBucket, prefix)
		if err != nil {
			return err
		}
		missed := 0
		err = s.Objects.List(ctx, s.IncomingBucket, prefix, func(obj s3store.Object) error {
			if known[obj.Key+"\x00"+obj.ETag] {
				return nil
			}
			missed++
			return s.Uploads.RegisterUpload(ctx, s.IncomingBucket, obj)
		})
		if err != nil {
			return fmt.Errorf("reconcile: register the %s exports of %s no event registered: %w", kind, org.Code, err)
		}
		if missed > 0 {
			s.Log.Warn("registered uploads whose event was lost", "org", org.Code, "kind", kind, "files", missed)
		}
	}
	return nil
}

// runKey identifies a run by what it covers, so a retry finds it.
func runKey(org string, from, to *calendar.Date, files []*postgres.SourceFile) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|", org)
	if from != nil {
		fmt.Fprintf(h, "%s..%s|", from, to)
	}
	for _, f := range files {
		fmt.Fprintf(h, "%d,", f.ID)
	}
	return org + "-" + hex.EncodeToString(h.Sum(nil))[:24]
}

func splitKinds(files []*postgres.SourceFile) (billing, acquiring []*postgres.SourceFile) {
	for _, f := range files {
		if f.Kind == exportcsv.Billing {
			billing = append(billing, f)
		} else {
			acquiring = append(acquiring, f)
		}
	}
	return billing, acquiring
}

func ids(files []*postgres.SourceFile) []int64 {
	out := make([]int64, len(files))
	for i, f := range files {
		out[i] = f.ID
	}
	return out
}

// match opens every file and runs the matcher into sink.
func (s *Service) match(ctx context.Context, billing, acquiring []*postgres.SourceFile, from, to *calendar.Date,
	rules matcher.Rules, sink matcher.Sink) (*matcher.Summary, []postgres.FileStats, error) {
	var problems exportcsv.Errors
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	open := func(files []*postgres.SourceFile) ([]matcher.Input, error) {
		var inputs []matcher.Input
		for _, f := range files {
			obj, err := s.Objects.Open(ctx, f.Bucket, f.Key, f.ETag)
			if err != nil {
				if errors.Is(err, s3store.ErrNotFound) || errors.Is(err, s3store.ErrChanged) {
					problems.Add(&exportcsv.Error{File: f.Key, Msg: "cannot read the registered upload: " + err.Error()})
					continue
				}
				return nil, err
			}
			closers = append(closers, obj.Body)
			if obj.Size > s.limits().MaxBytes {
				problems.Add(&exportcsv.Error{File: f.Key, Msg: fmt.Sprintf("file too large: %d bytes, the limit is %d", obj.Size, s.limits().MaxBytes)})
				continue
			}
			in, err := OpenInput(f.Key, f.Kind, obj.Body, obj.Size, s.limits(), &problems)
			if err != nil {
				return nil, err
			}
			if in.Reader != nil {
				inputs = append(inputs, in)
			}
		}
		return inputs, nil
	}
	bin, err := open(billing)
	if err != nil {
		return nil, nil, err
	}
	ain, err := open(acquiring)
	if err != nil {
		return nil, nil, err
	}
	if problems.Len() > 0 {
		return nil, nil, &problems
	}
	sum, err := Match(bin, ain, rules, from, to, sink)
	if err != nil {
		return nil, nil, err
	}
	var stats []postgres.FileStats
	all := slices.Concat(billing, acquiring)
	for i, in := range slices.Concat(bin, ain) {
		f := all[i]
		st := postgres.FileStats{ID: f.ID, Rows: in.Reader.Rows(), Encoding: in.Reader.Format().Encoding,
			Delimiter: in.Reader.Format().Delimiter}
		st.MinDate, st.MaxDate, _ = in.Reader.Dates()
		stats = append(stats, st)
	}
	return sum, stats, nil
}

// OpenInput starts reading an export for Match. A problem with its header
// is added to problems and leaves the input's Reader nil; other errors
// (reading) are returned.
func OpenInput(name string, kind exportcsv.Kind, r io.Reader, size int64, limits exportcsv.Limits, problems *exportcsv.Errors) (matcher.Input, error) {
	rd, err := exportcsv.NewReader(name, kind, r, limits)
	if list, ok := exportcsv.AsErrors(err); ok {
		for _, e := range list.List {
			problems.Add(e)
		}
		return matcher.Input{}, nil
	}
	if err != nil {
		return matcher.Input{}, err
	}
	return matcher.Input{Name: name, Reader: rd, Size: size}, nil
}

// Match reconciles opened exports by an organisation's rules, within
// from..to when given, and refuses totals a run cannot store: what the
// reconciler does once the files are open, and what `gispay check` does
// with local files; more options only change how the files are read.
func Match(billing, acquiring []matcher.Input, rules matcher.Rules, from, to *calendar.Date, sink matcher.Sink, more ...matcher.Option) (*matcher.Summary, error) {
	opts := append([]matcher.Option{matcher.WithRules(rules)}, more...)
	if from != nil {
		opts = append(opts, matcher.Within(*from, *to))
	}
	sum, err := matcher.Run(billing, acquiring, sink, opts...)
	if err != nil {
		return nil, err
	}
	if err := storable(sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// TotalTooLarge is a day's (or the run's) sum past what Postgres stores
// (numeric(15,2)), though each amount fits: the period or the exports must
// be split. It is the run's fault, not one file's.
type TotalTooLarge struct {
	Day  string // YYYY-MM-DD, or "the period" for the run's total
	Side string // billing or bank
	Sum  money.Kopecks
}

func (e *TotalTooLarge) Error() string {
	return fmt.Sprintf("the %s total of %s is %s, more than a run can hold (%s): reconcile fewer days or split the exports",
		e.Side, e.Day, e.Sum, money.MaxStored)
}

// storable checks every sum the run stores before COPY ends, so an
// overflow is a clear refusal instead of Postgres's numeric field overflow.
func storable(sum *matcher.Summary) error {
	check := func(day string, d *matcher.Day) error {
		for _, side := range []struct {
			name string
			sum  money.Kopecks
		}{{"billing", d.BillingSum}, {"bank", d.AcquiringSum}, {"matched", d.MatchedSum}} {
			if side.sum > money.MaxStored || side.sum < -money.MaxStored {
				return &TotalTooLarge{Day: day, Side: side.name, Sum: side.sum}
			}
		}
		return nil
	}
	for i := range sum.Days {
		if err := check(sum.Days[i].Day.String(), &sum.Days[i]); err != nil {
			return err
		}
	}
	return check("the period", &sum.Total)
}

func (s *Service) limits() exportcsv.Limits { return s.Limits.OrDefault() }

// reject records a run's bad input: each file failed with its own problems,
// and the run failed with a readable summary.
func (s *Service) reject(ctx context.Context, log *slog.Logger, run *postgres.Run, files []*postgres.SourceFile, problems *exportcsv.Errors) error {
	perFile := map[int64][]*exportcsv.Error{}
	for _, f := range files {
		if errs := problems.ForFile(f.Key); len(errs) > 0 {
			perFile[f.ID] = errs
		}
	}
	reason := fmt.Sprintf("%d problem(s) in the exports: %s", problems.Len(), problems.Error())
	if err := s.Store.FailFiles(ctx, perFile); err != nil {
		return err
	}
	if err := s.Store.FailRun(ctx, run.ID, reason); err != nil {
		return err
	}
	log.Warn("exports rejected", "problems", problems.Len(), "files_failed", len(perFile))
	return steperr.E(runOp(run.ID), steperr.InvalidInput, errors.New(reason))
}

// finish writes the reports if they are missing and builds the result.
func (s *Service) finish(ctx context.Context, org *postgres.Organization, run *postgres.Run, files []*postgres.SourceFile,
	started time.Time, already bool) (*Result, error) {
	days, err := s.Store.ReconDays(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	if run.ReportCSVKey == "" || run.ReportHTMLKey == "" {
		if err := s.writeReports(ctx, org, run, files, days); err != nil {
			return nil, err
		}
	}
	res := &Result{RunID: run.ID, Org: org.Code, Status: run.Status, Reconciled: true, AlreadyDone: already,
		BillingRows: run.BillingRows, AcquiringRows: run.AcquiringRows,
		MatchTotals: contract.MatchTotals{Matched: run.Matched, Mismatched: run.Mismatched,
			BillingOnly: run.BillingOnly, AcquiringOnly: run.AcquiringOnly,
			BillingSum: run.BillingSum.StringFixed(2), AcquiringSum: run.AcquiringSum.StringFixed(2)},
		Difference: run.BillingSum.Sub(run.AcquiringSum).StringFixed(2),
		Held:       run.HeldRows, Refunds: run.Refunds,
		ReportCSV: "s3://" + s.ReportBucket + "/" + run.ReportCSVKey, ReportHTML: "s3://" + s.ReportBucket + "/" + run.ReportHTMLKey,
		Days: len(days), DurationMillis: s.Clock.Now().Sub(started).Milliseconds()}
	if run.Refunds > 0 {
		res.RefundSum = run.RefundSum.StringFixed(2)
		if res.RefundMatches, res.RefundCancellations, err = s.refunds(ctx, org, run.ID); err != nil {
			return nil, err
		}
	}
	s.Log.Info("reconciled", "run_id", run.ID, "org", org.Code, "already_done", already,
		"days", res.Days, "billing_rows", res.BillingRows, "acquiring_rows", res.AcquiringRows, "matched", res.Matched,
		"mismatched", res.Mismatched, "billing_only", res.BillingOnly, "acquiring_only", res.AcquiringOnly,
		"held", res.Held, "refunds", res.Refunds, "refund_matches", res.RefundMatches,
		"refund_cancellations", res.RefundCancellations, "duration_ms", res.DurationMillis)
	return res, nil
}

// refunds finds the run's refund rows that take back a payment GIS holds
// and, when the organisation's policy is RefundAuto, registers a
// cancellation of each that names exactly one payment (the next
// cancellation run sends it); otherwise they are listed for an operator
// (`gispay runs show`). A re-run registers nothing twice.
func (s *Service) refunds(ctx context.Context, org *postgres.Organization, runID int64) (matches, requested int, err error) {
	found, err := s.Store.RefundMatches(ctx, runID)
	if err != nil || org.RefundCancellation != postgres.RefundAuto {
		return len(found), 0, err
	}
	var reqs []postgres.CancelRequest
	for i := range found {
		if len(found[i].OrderIDs) == 1 {
			reqs = append(reqs, found[i].Cancellation(runID))
		}
	}
	regs, err := s.Store.RegisterCancellations(ctx, org, 0, reqs)
	for _, r := range regs {
		if r.Status == contract.CancellationRequested {
			requested++
		}
	}
	return len(found), requested, err
}

// writeReports renders both reports from the database and uploads them.
func (s *Service) writeReports(ctx context.Context, org *postgres.Organization, run *postgres.Run, files []*postgres.SourceFile,
	days []matcher.Day) error {
	list := func(fn func(*matcher.Discrepancy) error) error { return s.Store.EachDiscrepancy(ctx, run.ID, fn) }
	var names []string
	for _, f := range files {
		names = append(names, fmt.Sprintf("%s: s3://%s/%s", f.Kind, f.Bucket, f.Key))
	}
	meta := report.Meta{RunID: run.ID, OrgCode: org.Code, OrgName: org.Name, Files: names, GeneratedAt: s.Clock.Now()}
	var err error
	if meta.Decision, err = s.decision(ctx, run.ID); err != nil {
		return err
	}
	prefix := "reports/" + strconv.FormatInt(run.ID, 10) + "/"
	csvKey, htmlKey := prefix+"discrepancies.csv", prefix+"report.html"
	if err := s.Objects.PutRendered(ctx, s.ReportBucket, csvKey, "text/csv; charset=utf-8", func(w io.Writer) error {
		_, err := report.WriteCSV(w, list)
		return err
	}); err != nil {
		return err
	}
	if err := s.Objects.PutRendered(ctx, s.ReportBucket, htmlKey, "text/html; charset=utf-8", func(w io.Writer) error {
		return report.WriteHTML(w, meta, days, list)
	}); err != nil {
		return err
	}
	run.ReportCSVKey, run.ReportHTMLKey = csvKey, htmlKey
	return s.Store.SetRunReports(ctx, run.ID, csvKey, htmlKey)
}

// RewriteReports renders a run's reports again, with what happened since
// reconciliation (the approver's decision): the poller calls it when a
// run that waited for a decision has ended.
func (s *Service) RewriteReports(ctx context.Context, runID int64) error {
	run, err := s.Store.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	org, files, err := s.Store.RunFiles(ctx, runID)
	if err != nil {
		return err
	}
	days, err := s.Store.ReconDays(ctx, runID)
	if err != nil {
		return err
	}
	return s.writeReports(ctx, org, run, files, days)
}

// decision is the run's decision for the report, nil when there is none.
func (s *Service) decision(ctx context.Context, runID int64) (*report.Decision, error) {
	rec, err := s.Store.RunDecision(ctx, runID)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d := &report.Decision{Approved: rec.Approve, By: rec.By, Source: rec.Source, At: rec.At}
	if d.Load, d.Withhold, err = s.Store.DecisionRows(ctx, runID); err != nil {
		return nil, err
	}
	return d, nil
}

// runOp is the operation of reconciling one run.
func runOp(id int64) steperr.Op { return steperr.Op(fmt.Sprintf("reconcile run %d", id)) }
