// Package admin is what an operator does without SQL: organisations, runs,
// payments and their history, resend, rerun, approve and cancel. One
// function per action takes a typed request; the gispay command calls them
// against Postgres locally, and the admin Lambda (functions/admin) calls
// them through Handle when gispay invokes it with IAM.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Starter starts a state machine execution (uploadtrigger.StepFunctions in
// AWS); a second start of the same name starts nothing.
type Starter interface {
	Start(ctx context.Context, name string, input []byte) (started bool, err error)
}

// Approver records an administrator's decision on a run waiting for
// approval (the approval work, internal/approval, provides it).
type Approver interface {
	Approve(ctx context.Context, r ApproveRequest, actor string) (*ApproveResult, error)
}

// Canceller asks GIS to cancel loaded payments (the cancellation work,
// postgres.RequestCancellation, provides it).
type Canceller interface {
	RequestCancellation(ctx context.Context, r CancelRequest, actor string) (*CancelResult, error)
}

// Service runs the actions. Approver and Canceller may be nil until those
// parts are wired; their actions say so.
type Service struct {
	Store     *postgres.Store
	Starter   Starter
	Approver  Approver
	Canceller Canceller
	Log       *slog.Logger
}

// Request and Response are the admin function's event and answer.
type (
	Request  = contract.AdminRequest
	Response = contract.AdminResponse
)

// Actions are the action names, as Request.Action and gispay say them.
const (
	ActOrgAdd       = "org.add"
	ActOrgUpdate    = "org.update"
	ActOrgList      = "org.list"
	ActOrgShow      = "org.show"
	ActRunsList     = "runs.list"
	ActRunsShow     = "runs.show"
	ActPaymentsFind = "payments.find"
	ActResend       = "resend"
	ActRerun        = "rerun"
	ActApprove      = "approve"
	ActCancel       = "cancel"
)

// call decodes an action's request strictly, runs it, encodes its result.
type call func(s *Service, ctx context.Context, actor string, params json.RawMessage) (any, error)

func typed[In, Out any](f func(*Service, context.Context, string, In) (Out, error)) call {
	return func(s *Service, ctx context.Context, actor string, params json.RawMessage) (any, error) {
		var in In
		if len(params) > 0 {
			if err := strictJSON(params, &in); err != nil {
				return nil, steperr.New(steperr.InvalidInput, fmt.Errorf("decode params: %w", err))
			}
		}
		return f(s, ctx, actor, in)
	}
}

var actions = map[string]call{
	ActOrgAdd:       typed((*Service).OrgAdd),
	ActOrgUpdate:    typed((*Service).OrgUpdate),
	ActOrgList:      typed((*Service).OrgList),
	ActOrgShow:      typed((*Service).OrgShow),
	ActRunsList:     typed((*Service).RunsList),
	ActRunsShow:     typed((*Service).RunsShow),
	ActPaymentsFind: typed((*Service).PaymentsFind),
	ActResend:       typed((*Service).Resend),
	ActRerun:        typed((*Service).Rerun),
	ActApprove:      typed((*Service).Approve),
	ActCancel:       typed((*Service).Cancel),
}

// Handle runs one request: the admin Lambda's handler. Every action is
// logged with the actor the caller stated.
func (s *Service) Handle(ctx context.Context, r Request) (*Response, error) {
	act, ok := actions[r.Action]
	if !ok {
		return nil, steperr.New(steperr.InvalidInput, fmt.Errorf("admin: unknown action %q", r.Action))
	}
	if r.Actor == "" {
		return nil, steperr.New(steperr.InvalidInput, fmt.Errorf("admin %s: actor is required", r.Action))
	}
	out, err := act(s, ctx, r.Actor, r.Params)
	s.log().Info("admin action", "action", r.Action, "actor", r.Actor, "ok", err == nil)
	if err != nil {
		return nil, steperr.E(steperr.Op("admin "+r.Action), "", err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &Response{Action: r.Action, Result: b}, nil
}

// Do runs an action by name with a typed request, as Handle would: the
// CLI's local path.
func (s *Service) Do(ctx context.Context, action, actor string, params any) (json.RawMessage, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	resp, err := s.Handle(ctx, Request{Action: action, Actor: actor, Params: b})
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// invalid marks an error a person must fix.
func invalid(format string, args ...any) error {
	return steperr.New(steperr.InvalidInput, fmt.Errorf(format, args...))
}

// notFound turns the store's ErrNotFound into InvalidInput.
func notFound(err error) error {
	if errors.Is(err, postgres.ErrNotFound) || errors.Is(err, postgres.ErrNotResendable) {
		return steperr.New(steperr.InvalidInput, err)
	}
	return err
}
