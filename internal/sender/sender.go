// Package send is the sender step: it posts each signed package to GIS and
// stores the Ack MessageGUID in the transaction that marks the package and
// its payments sent.
//
// A crash (or a lost reply) between GIS accepting a package and the store
// leaves it signed; the retry posts the very same archived bytes — the same
// header MessageGUID and TransportGUIDs, never regenerated — and GIS
// answers a repeated MessageGUID with the Ack it gave the first time, so
// the package is accepted once. Payments GIS already holds come back
// SRV012001 (already_imported), never as a second payment.
package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// GIS posts imports.
type GIS interface {
	Send(ctx context.Context, op gismessage.Operation, envelope []byte) (ackGUID string, reply []byte, err error)
}

// Service runs the step.
type Service struct {
	Store         *postgres.Store
	Objects       *s3store.Store
	ArchiveBucket string
	GIS           GIS
	Concurrency   int           // packages posted at once per invocation; 0: 4
	Limiter       *rate.Limiter // requests to GIS per second across the invocation; nil: none
	CallTimeout   time.Duration // one GIS call at most: none starts with less time left in the invocation
	Log           *slog.Logger
}

// Request names one package or a batch (the Map state may batch them).
type Request struct {
	PackageID  int64   `json:"package_id,omitempty"`
	PackageIDs []int64 `json:"package_ids,omitempty"`
}

// Result counts what happened.
type Result struct {
	Sent        int              `json:"sent"`
	AlreadySent int              `json:"already_sent"`
	Failed      int              `json:"failed"`
	Packages    []PackageOutcome `json:"packages"`
}

// PackageOutcome is one package's status after the step.
type PackageOutcome struct {
	PackageID int64  `json:"package_id"`
	Status    string `json:"status"`
}

// Send posts the packages of req. Transient failures are returned after
// the other packages are done, so the state machine retries only those.
func (s *Service) Send(ctx context.Context, req Request) (*Result, error) {
	ids := req.PackageIDs
	if req.PackageID > 0 {
		ids = append(ids, req.PackageID)
	}
	if len(ids) == 0 {
		return nil, steperr.New(steperr.Invalid, errors.New("send: the event names no package"))
	}
	out := make([]PackageOutcome, len(ids))
	errs := make([]error, len(ids))
	limit := s.Concurrency
	if limit <= 0 {
		limit = 4
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, id := range ids {
		g.Go(func() error {
			out[i].PackageID = id
			out[i].Status, errs[i] = s.sendOne(gctx, id)
			return nil
		})
	}
	g.Wait()
	res := &Result{Packages: out}
	for i := range out {
		switch out[i].Status {
		case "sent":
			res.Sent++
		case "failed":
			res.Failed++
		case "already":
			res.AlreadySent++
			out[i].Status = "sent"
		}
	}
	s.Log.Info("sent", "packages", len(ids), "sent", res.Sent, "already_sent", res.AlreadySent, "failed", res.Failed)
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	return res, nil
}

// sendOne returns "sent", "already" (acknowledged before), or "failed"
// (refused for good), or an error to retry.
func (s *Service) sendOne(ctx context.Context, id int64) (string, error) {
	p, err := s.Store.PackageByID(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return "", steperr.New(steperr.Invalid, fmt.Errorf("send: %w", err))
	}
	if err != nil {
		return "", err
	}
	switch p.Status {
	case "sent", "processing", "done":
		return "already", nil
	case "failed", "unknown":
		return "failed", nil
	case "built":
		return "", steperr.New(steperr.Invalid, fmt.Errorf("send: package %d is not signed yet", id))
	}
	obj, err := s.Objects.Open(ctx, s.ArchiveBucket, p.RequestKey, "")
	if err != nil {
		return "", err
	}
	envelope, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		return "", err
	}
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx); err != nil {
			return "", err
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < s.CallTimeout+5*time.Second {
		return "", steperr.New(steperr.Transient, fmt.Errorf("send package %d: too little time left in this invocation for a call", id))
	}
	if still, err := s.Store.NoteSendAttempt(ctx, id); err != nil || !still {
		return "already", err
	}
	ack, _, err := s.GIS.Send(ctx, gismessage.Operation(p.Operation), envelope)
	if err != nil {
		var gerr *gisclient.Error
		if !errors.As(err, &gerr) {
			return "", steperr.New(steperr.Transient, fmt.Errorf("send package %d: %w", id, err))
		}
		if gerr.Uncertain() {
			if err := s.Store.NoteUncertainSend(ctx, id); err != nil {
				return "", err
			}
		}
		if gerr.Kind == gisclient.Permanent {
			s.Log.Warn("package refused", "package_id", id, "run_id", p.RunID, "code", gerr.Code, "error", gerr.Error())
			if err := s.Store.FailPackage(ctx, id, gisclient.MessageStatus(gerr.Code), gerr.Code, gerr.Error()); err != nil {
				return "", err
			}
			return "failed", nil
		}
		return "", steperr.New(steperr.Transient, fmt.Errorf("send package %d: %w", id, err))
	}
	stored, err := s.Store.MarkSent(ctx, id, ack)
	if err != nil {
		return "", steperr.New(steperr.Transient, fmt.Errorf("send package %d: GIS acked %s but storing it failed: %w", id, ack, err))
	}
	if !stored {
		return "already", nil
	}
	return "sent", nil
}
