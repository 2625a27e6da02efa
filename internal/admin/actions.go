package admin

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// RunsListRequest lists the latest runs, of one organisation if set.
type RunsListRequest struct {
	Org   string `json:"org,omitempty"`
	Limit int    `json:"limit,omitempty"` // default 20, at most 500
}

// RunsShowRequest names a run.
type RunsShowRequest struct {
	RunID int64 `json:"run_id"`
}

// RunsList returns the latest runs with their payments counted by status.
func (s *Service) RunsList(ctx context.Context, actor string, r RunsListRequest) ([]postgres.RunSummary, error) {
	return s.Store.RunSummaries(ctx, r.Org, limit(r.Limit, 20, 500))
}

// RunsShow returns a run with its packages, errors and holds.
func (s *Service) RunsShow(ctx context.Context, actor string, r RunsShowRequest) (*postgres.RunDetail, error) {
	d, err := s.Store.RunDetailByID(ctx, r.RunID)
	return d, notFound(err)
}

// PaymentsFindRequest selects an organisation's payments; at least one of
// order_id, bill and account is required.
type PaymentsFindRequest struct {
	Org     string `json:"org"`
	OrderID string `json:"order_id,omitempty"`
	Bill    string `json:"bill,omitempty"`
	Account string `json:"account,omitempty"`
	Limit   int    `json:"limit,omitempty"` // default 50, at most 500
}

// PaymentsFind returns the payments with their status history.
func (s *Service) PaymentsFind(ctx context.Context, actor string, r PaymentsFindRequest) ([]postgres.PaymentRecord, error) {
	if r.Org == "" || r.OrderID+r.Bill+r.Account == "" {
		return nil, invalid("payments find: org and one of order_id, bill, account are required")
	}
	return s.Store.FindPayments(ctx, postgres.PaymentFilter{Org: r.Org, OrderID: r.OrderID, Bill: r.Bill,
		Account: r.Account, Limit: limit(r.Limit, 50, 500)})
}

func limit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// ResendRequest asks to send payments again, with a reason. A payment in
// unknown may be held by GIS: it needs ConfirmNotInGIS, the operator's word
// that they checked GIS and it does not hold it.
type ResendRequest struct {
	PaymentIDs      []int64 `json:"payment_ids"`
	Reason          string  `json:"reason"`
	ConfirmNotInGIS bool    `json:"confirm_not_in_gis,omitempty"`
}

// ResendResult says what was queued, per payment.
type ResendResult struct {
	Queued []ResendItem `json:"queued"`
}

// ResendItem is one payment queued for resending.
type ResendItem struct {
	PaymentID int64  `json:"payment_id"`
	Org       string `json:"org"`
	Already   bool   `json:"already_requested,omitempty"`
}

// Resend queues payments in error, rejected or unknown for the packer's
// retry path: the organisation's next run (daily, an upload, or rerun)
// sends each order again as one more attempt with a fresh TransportGUID.
// Each payment is its own transaction: the first refusal stops, and the
// result lists the payments queued before it.
func (s *Service) Resend(ctx context.Context, actor string, r ResendRequest) (*ResendResult, error) {
	if len(r.PaymentIDs) == 0 || strings.TrimSpace(r.Reason) == "" {
		return nil, invalid("resend: payment ids and a reason are required")
	}
	out := &ResendResult{Queued: []ResendItem{}}
	for _, id := range r.PaymentIDs {
		org, already, err := s.Store.RequestResend(ctx, postgres.ResendRequest{PaymentID: id, Actor: actor,
			Reason: r.Reason, ConfirmedNotInGIS: r.ConfirmNotInGIS})
		if err != nil {
			return out, notFound(err)
		}
		out.Queued = append(out.Queued, ResendItem{PaymentID: id, Org: org, Already: already})
	}
	return out, nil
}

// RerunRequest runs an organisation's period again through the state
// machine. Name overrides the execution name.
type RerunRequest struct {
	Org  string `json:"org"`
	From string `json:"from"` // YYYY-MM-DD
	To   string `json:"to"`
	Name string `json:"name,omitempty"`
}

// RerunResult names the execution.
type RerunResult struct {
	Execution string `json:"execution"`
	Started   bool   `json:"started"` // false: an execution of that name was started before
}

// Rerun starts the state machine with {org, period}. The reconciler finds
// the same run for the same files, so a rerun never loads anything twice;
// it reconciles files uploaded since, and its packer takes resends and
// retryable errors. The default name is the org, the period and the
// minute asked, so a repeated command within the minute starts one.
func (s *Service) Rerun(ctx context.Context, actor string, r RerunRequest) (*RerunResult, error) {
	from, err1 := calendar.ParseDate(r.From)
	to, err2 := calendar.ParseDate(r.To)
	if err := errors.Join(err1, err2); err != nil || to < from {
		return nil, invalid("rerun: want from <= to as YYYY-MM-DD: %q, %q", r.From, r.To)
	}
	if _, err := s.Store.OrganizationByCode(ctx, r.Org); err != nil {
		return nil, notFound(err)
	}
	if s.Starter == nil {
		return nil, invalid("rerun: no state machine configured (STATE_MACHINE_ARN)")
	}
	name := r.Name
	if name == "" {
		name = r.Org + "-rerun-" + from.String() + "-" + to.String() + "-" + time.Now().In(calendar.Moscow).Format("200601021504")
	}
	in, err := json.Marshal(contract.ReconcilerRequest{Org: r.Org, ExecutionName: name,
		Period: &contract.Period{From: from.String(), To: to.String()}})
	if err != nil {
		return nil, err
	}
	started, err := s.Starter.Start(ctx, name, in)
	if err != nil {
		return nil, err
	}
	return &RerunResult{Execution: name, Started: started}, nil
}

// ApproveRequest is an administrator's decision on a run waiting for
// approval: approve it as it is, with extra rows to load (a mismatch the
// accountant accepts) or rows to withhold; or reject it.
type ApproveRequest struct {
	RunID    int64    `json:"run_id"`
	Decision string   `json:"decision"` // approve | reject
	Load     []string `json:"load,omitempty"`
	Withhold []string `json:"withhold,omitempty"`
	Comment  string   `json:"comment,omitempty"`
}

// ApproveResult is what the approval part recorded.
type ApproveResult struct {
	RunID    int64  `json:"run_id"`
	Decision string `json:"decision"`
	Actor    string `json:"actor"`
}

// Approve hands the decision to the approval part.
func (s *Service) Approve(ctx context.Context, actor string, r ApproveRequest) (*ApproveResult, error) {
	if r.RunID <= 0 {
		return nil, invalid("approve: run_id is required")
	}
	if err := oneOf("decision", r.Decision, "approve", "reject"); err != nil {
		return nil, invalid("approve: %w", err)
	}
	if s.Approver == nil {
		return nil, invalid("approve: approval is not wired into this build yet")
	}
	return s.Approver.Approve(ctx, r, actor)
}

// CancelRequest asks GIS to cancel a loaded payment, by payment id or by
// the organisation's order id.
type CancelRequest struct {
	Org       string `json:"org,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	PaymentID int64  `json:"payment_id,omitempty"`
	Date      string `json:"date,omitempty"` // the cancellation date, YYYY-MM-DD; default today in Moscow
	Reason    string `json:"reason"`
}

// CancelResult is what the cancellation part queued.
type CancelResult struct {
	Requested int    `json:"requested"`
	IDs       []int  `json:"ids,omitempty"`
	Status    string `json:"status,omitempty"`    // requested, or refused before GIS
	Reason    string `json:"reason,omitempty"`    // why it was refused
	Execution string `json:"execution,omitempty"` // the cancellation run started for it
}

// Cancel hands the request to the cancellation part.
func (s *Service) Cancel(ctx context.Context, actor string, r CancelRequest) (*CancelResult, error) {
	if r.PaymentID == 0 && (r.Org == "" || r.OrderID == "") {
		return nil, invalid("cancel: a payment id, or org and order id, are required")
	}
	if len([]rune(r.Reason)) > 210 { // Comment, at most 210 characters in the schema
		return nil, invalid("cancel: reason is over 210 characters")
	}
	if s.Canceller == nil {
		return nil, invalid("cancel: cancellation is not wired into this build yet")
	}
	return s.Canceller.RequestCancellation(ctx, r, actor)
}
