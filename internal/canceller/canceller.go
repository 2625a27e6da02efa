// Package canceller is the first step of a cancellation run: it reads an
// organisation's cancellations exports (incoming/cancellations/<org>/),
// registers a cancellation request for each row, and opens the run that the
// packer, sender and poller then take to GIS
// (importNotificationsOfOrderExecutionCancellation). Without files it opens
// a run for the requests already registered (by the admin command or from
// refunds). Running it again for the same input registers nothing twice.
package canceller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Service runs the step.
type Service struct {
	Store   *postgres.Store
	Objects *s3store.Store
	Limits  exportcsv.Limits
	Log     *slog.Logger
	Clock   clock.Func
}

// The step's request is the execution input with Kind "cancellation"; its
// result is the contract's.
type (
	Request = contract.ReconcilerRequest
	Result  = contract.CancellerResult
)

// Cancel registers the cancellations of req and opens their run.
func (s *Service) Cancel(ctx context.Context, req Request) (*Result, error) {
	started := s.Clock.Now()
	if req.Kind != contract.KindCancellation || req.Org == "" {
		return nil, steperr.E("cancel", steperr.InvalidInput, fmt.Errorf("the event needs org and kind %q", contract.KindCancellation))
	}
	key, err := runKey(req)
	if err != nil {
		return nil, steperr.E("cancel", steperr.InvalidInput, err)
	}
	org, err := s.Store.OrganizationByCode(ctx, req.Org)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, steperr.E("cancel", steperr.InvalidInput, fmt.Errorf("unknown organisation %q", req.Org))
	}
	if err != nil {
		return nil, err
	}
	// Every file is read and checked before anything is written: a bad row
	// fails the run with every problem located, and registers nothing.
	var reqs []postgres.CancelRequest
	problems := &exportcsv.Errors{}
	for _, ref := range req.Files {
		rows, err := s.read(ctx, ref, problems)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, rows...)
	}
	if problems.Len() > 0 {
		return nil, steperr.E("cancel", steperr.InvalidInput, problems)
	}
	runID, err := s.Store.OpenCancellationRun(ctx, org.ID, key, req.ExecutionName)
	if err != nil {
		return nil, err
	}
	regs, err := s.Store.RegisterCancellations(ctx, org, runID, reqs)
	if err != nil {
		return nil, err
	}
	status, err := s.Store.CancellationRunReady(ctx, runID)
	if err != nil {
		return nil, err
	}
	res := &Result{RunID: runID, Org: org.Code, Status: contract.RunStatus(status)}
	for _, r := range regs {
		switch {
		case r.Duplicate:
			res.Duplicate++
		case r.Status == contract.CancellationRefused:
			res.Refused++
		default:
			res.Requested++
		}
	}
	res.DurationMillis = s.Clock.Now().Sub(started).Milliseconds()
	s.Log.Info("cancellations registered", "run_id", runID, "org", org.Code, "files", len(req.Files),
		"requested", res.Requested, "refused", res.Refused, "duplicate", res.Duplicate, "duration_ms", res.DurationMillis)
	return res, nil
}

// runKey is derived from the files (or, with none, the execution), so a
// retried or repeated step finds its run.
func runKey(req Request) (string, error) {
	h := sha256.New()
	switch {
	case len(req.Files) > 0:
		for _, f := range req.Files {
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00", f.Bucket, f.Key, f.ETag)
		}
	case req.ExecutionName != "":
		h.Write([]byte(req.ExecutionName))
	default:
		return "", errors.New("a cancellation run needs files or an execution_name")
	}
	return fmt.Sprintf("cancel:%s:%s", req.Org, hex.EncodeToString(h.Sum(nil))[:32]), nil
}

// read parses one cancellations export into requests; its problems go to
// problems. The error is for the file as a whole (S3, size).
func (s *Service) read(ctx context.Context, ref contract.FileRef, problems *exportcsv.Errors) ([]postgres.CancelRequest, error) {
	obj, err := s.Objects.Open(ctx, ref.Bucket, ref.Key, ref.ETag)
	if errors.Is(err, s3store.ErrNotFound) || errors.Is(err, s3store.ErrChanged) {
		return nil, steperr.E("cancel", steperr.InvalidInput, fmt.Errorf("s3://%s/%s: %w", ref.Bucket, ref.Key, err))
	}
	if err != nil {
		return nil, err
	}
	defer obj.Body.Close()
	rd, err := NewReader(ref.Key, obj.Body, s.Limits)
	if err != nil {
		if list, ok := exportcsv.AsErrors(err); ok {
			for _, e := range list.List {
				problems.Add(e)
			}
			return nil, nil
		}
		return nil, err
	}
	var out []postgres.CancelRequest
	etag := ref.ETag
	if etag == "" {
		etag = obj.ETag
	}
	for {
		row, err := rd.Next()
		if err != nil {
			var e *exportcsv.Error
			switch {
			case errors.Is(err, io.EOF):
				return out, nil
			case errors.As(err, &e):
				problems.Add(e)
				if e.Line == 0 {
					return out, nil // the file as a whole (too large)
				}
				continue
			}
			return nil, err
		}
		out = append(out, postgres.CancelRequest{Source: postgres.CancelFromExport,
			SourceRef: fmt.Sprintf("s3://%s/%s@%s:%d", ref.Bucket, ref.Key, etag, row.Line),
			OrderID:   row.OrderID, Bill: row.Bill, Day: row.Day, Amount: row.Amount, Date: row.Date, Comment: row.Comment})
	}
}
