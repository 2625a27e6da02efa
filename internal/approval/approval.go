// Package approval holds a reconciled run for a person's decision when its
// organisation's policy asks for one (organization.approval_policy), and
// applies the decision: the state machine waits on a task token ("Wait for
// approval"), which Decide completes, from an approvals/<run>.csv upload
// (upload-trigger) or from the admin command.
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/notify"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Tasks completes Step Functions task tokens (*sfn.Client).
type Tasks interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Decide records a decision on a run awaiting approval and tells the
// waiting state machine: SendTaskSuccess with the outcome for an approval
// (the packer then loads by it), SendTaskFailure ApprovalDeclined for a
// decline. The same decision again tells the state machine again (a lost
// reply, a repeated upload event); a different one is refused.
func Decide(ctx context.Context, store *postgres.Store, tasks Tasks, runID int64, d postgres.Decision) (*contract.ApprovalOutcome, error) {
	const op = "approve"
	rec, err := store.RecordDecision(ctx, runID, d)
	var bad *postgres.InvalidRef
	switch {
	case errors.As(err, &bad), errors.Is(err, postgres.ErrDecided), errors.Is(err, postgres.ErrNotReady), errors.Is(err, postgres.ErrNotFound):
		return nil, steperr.E(op, steperr.InvalidInput, err)
	case err != nil:
		return nil, err
	}
	out := Outcome(rec)
	if !rec.Waiting {
		return out, nil // declined before, and the run has ended
	}
	if rec.Approve {
		payload, _ := json.Marshal(out)
		_, err = tasks.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(rec.Token), Output: aws.String(string(payload))})
	} else {
		_, err = tasks.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(rec.Token),
			Error: aws.String(contract.ApprovalDeclined), Cause: aws.String("declined by " + rec.By)})
	}
	var timedOut *sfntypes.TaskTimedOut
	var gone *sfntypes.TaskDoesNotExist
	if errors.As(err, &timedOut) || errors.As(err, &gone) {
		// The wait is over: told before (the token is spent), or past its
		// deadline, when the run has expired instead.
		run, rerr := store.RunByID(ctx, runID)
		if rerr != nil {
			return nil, rerr
		}
		if run.Status == contract.RunApprovalExpired {
			return nil, steperr.E(op, steperr.InvalidInput, fmt.Errorf("run %d: the approval wait passed its deadline before the decision; nothing was loaded: re-run the period", runID))
		}
		return out, nil
	}
	if err != nil {
		return nil, steperr.E(op, steperr.TransientError, fmt.Errorf("tell the state machine about run %d: %w", runID, err))
	}
	return out, nil
}

// Outcome is what the state machine is told of a decision.
func Outcome(rec *postgres.DecisionRecord) *contract.ApprovalOutcome {
	return &contract.ApprovalOutcome{RunID: rec.RunID, Decision: rec.Decision(), DecidedBy: rec.By,
		DecidedAt: rec.At.UTC().Format(time.RFC3339), Load: len(rec.Load), Withhold: len(rec.Withhold)}
}

// Notices tells an organisation's contact (notify.Notifier).
type Notices interface {
	Notice(ctx context.Context, org, subject, text string) error
}

// Service is the approval function: "Approval needed?", "Wait for
// approval" and "Approval expired".
type Service struct {
	Store         *postgres.Store
	Notices       Notices
	ExportsBucket string // for the report's link in the notice
	Log           *slog.Logger
}

// The step's request and result are the contract's.
type (
	Request = contract.ApprovalRequest
	Result  = contract.ApprovalResult
)

// Handle serves the three modes of contract.ApprovalRequest.
func (s *Service) Handle(ctx context.Context, req Request) (*Result, error) {
	if req.RunID <= 0 {
		return nil, steperr.E("approval", steperr.InvalidInput, errors.New("no run_id"))
	}
	need, err := s.Store.RunApprovalNeed(ctx, req.RunID)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, steperr.E("approval", steperr.InvalidInput, err)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{RunID: req.RunID, Required: need.Required(), Policy: need.Policy, Discrepancies: need.Discrepancies}
	log := s.Log.With("run_id", req.RunID, "org", need.Org, "policy", need.Policy, "discrepancies", need.Discrepancies)
	switch {
	case req.Expired:
		expired, err := s.Store.ExpireApproval(ctx, req.RunID)
		if err != nil {
			return nil, err
		}
		res.Status = contract.RunApprovalExpired
		log.Warn("approval expired", "was_waiting", expired)
		if expired {
			err = s.Notices.Notice(ctx, need.Org, fmt.Sprintf("Run %d of %s: approval expired, nothing loaded", req.RunID, need.Org),
				fmt.Sprintf("Nobody approved run %d of %s before the deadline. Nothing was loaded; re-run the period to load it.", req.RunID, need.Org))
		}
		return res, err
	case req.TaskToken != "":
		if err := s.Store.AwaitApproval(ctx, req.RunID, req.TaskToken); err != nil {
			return nil, steperr.E("approval", steperr.InvalidInput, err)
		}
		res.Status = contract.RunAwaitingApproval
		log.Info("awaiting approval")
		return res, s.noticeWaiting(ctx, req.RunID, need)
	}
	log.Info("approval checked", "required", res.Required)
	return res, nil
}

func (s *Service) noticeWaiting(ctx context.Context, runID int64, need *postgres.ApprovalNeed) error {
	run, err := s.Store.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("Run %d of %s (%d matched, %d mismatched, %d billing-only, %d bank-only) waits for approval "+
		"(policy %s, %d discrepancies). Report: %s. Approve it by uploading approvals/%d.csv to the exports bucket "+
		"or with `gispay approve %d`.", runID, need.Org, run.Matched, run.Mismatched, run.BillingOnly, run.AcquiringOnly,
		need.Policy, need.Discrepancies, notify.S3Link(s.ExportsBucket, run.ReportHTMLKey), runID, runID)
	return s.Notices.Notice(ctx, need.Org, fmt.Sprintf("Run %d of %s waits for approval", runID, need.Org), text)
}
