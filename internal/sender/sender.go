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

	"github.com/gispayments/gis-payments/internal/contract"
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

// Limiter paces requests to GIS (internal/ratelimit: one bucket in
// Postgres for every invocation).
type Limiter interface {
	Wait(ctx context.Context) error
}

// Service runs the step.
type Service struct {
	Store         *postgres.Store
	Objects       *s3store.Store
	ArchiveBucket string
	GIS           GIS
	Concurrency   int           // packages posted at once per invocation; 0: gisclient.DefaultConcurrency
	Limiter       Limiter       // requests to GIS per second across all invocations; nil: none
	CallTimeout   time.Duration // one GIS call at most: none starts with less time left in the invocation
	Log           *slog.Logger
}

// The step's request and result are the contract's.
type (
	Request        = contract.SenderRequest
	Result         = contract.SenderResult
	PackageOutcome = contract.PackageOutcome
)

// Send posts the packages of req. Transient failures are returned after
// the other packages are done, so the state machine retries only those.
func (s *Service) Send(ctx context.Context, req Request) (*Result, error) {
	ids := req.PackageIDs
	if req.PackageID > 0 {
		ids = append(ids, req.PackageID)
	}
	if len(ids) == 0 {
		return nil, steperr.E("send", steperr.InvalidInput, errors.New("the event names no package"))
	}
	out := make([]PackageOutcome, len(ids))
	errs := make([]error, len(ids))
	already := make([]bool, len(ids))
	limit := s.Concurrency
	if limit <= 0 {
		limit = gisclient.DefaultConcurrency
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, id := range ids {
		g.Go(func() error {
			out[i].PackageID = id
			out[i].Status, already[i], errs[i] = s.sendOne(gctx, id)
			return nil
		})
	}
	g.Wait()
	res := &Result{Packages: out}
	for i := range out {
		switch {
		case already[i]:
			res.AlreadySent++
		case out[i].Status == contract.PackageSent:
			res.Sent++
		case out[i].Status == contract.PackageFailed:
			res.Failed++
		}
	}
	s.Log.Info("sent", "packages", len(ids), "sent", res.Sent, "already_sent", res.AlreadySent, "failed", res.Failed)
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	return res, nil
}

// sendOne returns sent (already: acknowledged before), or failed (refused
// for good), or an error to retry.
func (s *Service) sendOne(ctx context.Context, id int64) (_ contract.PackageStatus, already bool, _ error) {
	p, err := s.Store.PackageByID(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return "", false, steperr.E("send", steperr.InvalidInput, fmt.Errorf("%w", err))
	}
	if err != nil {
		return "", false, err
	}
	switch p.Status {
	case contract.PackageSent, contract.PackageProcessing, contract.PackageDone:
		return contract.PackageSent, true, nil
	case contract.PackageFailed, contract.PackageUnknown:
		return contract.PackageFailed, false, nil
	case contract.PackageBuilt:
		return "", false, steperr.E("send", steperr.InvalidInput, fmt.Errorf("package %d is not signed yet", id))
	}
	obj, err := s.Objects.Open(ctx, s.ArchiveBucket, p.RequestKey, "")
	if err != nil {
		return "", false, err
	}
	envelope, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		return "", false, err
	}
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx); err != nil {
			return "", false, err
		}
	}
	if !gisclient.TimeForACall(ctx, s.CallTimeout) {
		return "", false, steperr.E(sendOp(id), steperr.TransientError, errors.New("too little time left in this invocation for a call"))
	}
	if still, err := s.Store.NoteSendAttempt(ctx, id); err != nil || !still {
		return contract.PackageSent, true, err
	}
	ack, _, err := s.GIS.Send(ctx, gismessage.Operation(p.Operation), envelope)
	if err != nil {
		var gerr *gisclient.Error
		if !errors.As(err, &gerr) {
			return "", false, steperr.E(sendOp(id), steperr.TransientError, err)
		}
		if gerr.Uncertain() {
			if err := s.Store.NoteUncertainSend(ctx, id); err != nil {
				return "", false, err
			}
		}
		if !gerr.Disposition.CallAgain() {
			s.Log.Warn("package refused", "package_id", id, "run_id", p.RunID, "code", gerr.Code, "error", gerr.Error())
			if err := s.Store.FailPackage(ctx, id, gerr.Disposition.PaymentStatus(), gerr.Code, gerr.Error()); err != nil {
				return "", false, err
			}
			return contract.PackageFailed, false, nil
		}
		return "", false, steperr.E(sendOp(id), steperr.TransientError, err)
	}
	stored, err := s.Store.MarkSent(ctx, id, ack)
	if err != nil {
		return "", false, steperr.E(sendOp(id), steperr.TransientError, fmt.Errorf("GIS acked %s but storing it failed: %w", ack, err))
	}
	return contract.PackageSent, !stored, nil
}

// sendOp is the operation of posting one package.
func sendOp(id int64) steperr.Op { return steperr.Op(fmt.Sprintf("send package %d", id)) }
