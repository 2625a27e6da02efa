package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gispayments/gis-payments/internal/approval"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sfnlocal"
)

// The approval wait runs through the synthesized definition: its "Wait for
// approval" keeps the real integration (lambda:invoke.waitForTaskToken),
// and aws-local-stepfunctions, which has no task tokens, runs it through
// run.mjs's local handler for that Task: the real approval function is
// invoked with the token in its payload, then the execution waits on
// sfnlocal.Tasks, which the functions' real Step Functions client completes
// (SendTaskSuccess, SendTaskFailure) and a test may time out (States.Timeout,
// standing in for the Task's TimeoutSeconds).

type waitingRun struct {
	runID int64
	token string
	done  chan struct{}
	out   json.RawMessage
	err   error
}

// startWaiting uploads uk-dom's sample exports (5 matched rows and
// discrepancies) for an organisation whose policy is policy, and runs the
// execution until it waits for approval.
func startWaiting(t *testing.T, e *env, policy string) *waitingRun {
	t.Helper()
	if err := e.st.SetOrganizationControls(context.Background(), "uk-dom", policy, true, ""); err != nil {
		t.Fatal(err)
	}
	e.upload(t, "incoming/billing/uk-dom/billing.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"), "01")
	res := e.upload(t, "incoming/acquiring/uk-dom/a.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"), "02")
	if res.Execution == nil {
		t.Fatalf("no execution: %+v", res)
	}
	w := &waitingRun{done: make(chan struct{})}
	waiting := e.tasks.Waiting()
	go func() {
		defer close(w.done)
		w.out, w.err = e.runner.Run(context.Background(), e.definition, res.Execution.Input)
	}()
	select {
	case w.token = <-waiting:
	case <-w.done:
		t.Fatalf("the execution ended without waiting: %s %v", w.out, w.err)
	}
	if err := e.st.Pool.QueryRow(context.Background(), `SELECT id FROM run WHERE status = 'awaiting_approval' AND approval_token = $1`,
		w.token).Scan(&w.runID); err != nil {
		t.Fatalf("no run awaits approval with the task's token: %v", err)
	}
	return w
}

func (w *waitingRun) wait(t *testing.T) {
	t.Helper()
	<-w.done
}

func runStatus(t *testing.T, e *env, runID int64) contract.RunStatus {
	var s contract.RunStatus
	e.st.Pool.QueryRow(context.Background(), `SELECT status FROM run WHERE id = $1`, runID).Scan(&s)
	return s
}

// An accountant approves by uploading approvals/<run>.csv: one mismatched
// payment accepted, one matched payment withheld. The execution goes on,
// loads by the decision, and the results file shows who decided.
func TestApprovalByUploadWithExtraAndWithheldRows(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	w := startWaiting(t, e, postgres.ApprovalOnDiscrepancies)
	var mismatch string
	var withheld int64
	e.st.Pool.QueryRow(ctx, `SELECT order_id FROM recon_row WHERE run_id = $1 AND status = 'mismatch'`, w.runID).Scan(&mismatch)
	e.st.Pool.QueryRow(ctx, `SELECT min(id) FROM recon_row WHERE run_id = $1 AND status = 'check'`, w.runID).Scan(&withheld)
	file := fmt.Sprintf("action;row;comment\napprove;;checked with the bank\nload;%s\nwithhold;%d\n", mismatch, withheld)
	res := e.upload(t, fmt.Sprintf("approvals/%d.csv", w.runID), []byte(file), "03")
	if res.Status != "decided" {
		t.Fatalf("approval upload: %+v", res)
	}
	w.wait(t)
	if w.err != nil {
		t.Fatal(w.err)
	}
	var out contract.State
	json.Unmarshal(w.out, &out)
	if out.Approval == nil || out.Approval.Decision != "approve" || out.Approval.DecidedBy != "s3:AWS:AIDAEXAMPLE:billing-upload" ||
		out.Approval.Load != 1 || out.Approval.Withhold != 1 || out.Pack.Payments != 5 || out.Poll.Status != contract.RunFinishedWithErrors {
		t.Fatalf("execution output %s", w.out)
	}
	if n := pgtest.Count(t, e.st, `SELECT count(*) FROM payment WHERE status = 'imported' AND order_id = $1`, mismatch); n != 1 {
		t.Error("the accepted mismatch was not loaded")
	}
	if n := pgtest.Count(t, e.st, `SELECT count(*) FROM recon_row WHERE id = $1 AND hold_reason = 'withheld by s3:AWS:AIDAEXAMPLE:billing-upload'`, withheld); n != 1 {
		t.Error("the withheld row is not held with its approver")
	}
	results := string(e.s3.Get(t, "exports", fmt.Sprintf("results/%d.csv", w.runID)))
	if !strings.Contains(results, ";approve;s3:AWS:AIDAEXAMPLE:billing-upload;") {
		t.Errorf("results file lacks the decision:\n%.600s", results)
	}
}

// The admin command's path: approval.Decide with the real Step Functions
// client approves the run as it is; the discrepancies stay unloaded.
func TestApprovalAsIsByCommand(t *testing.T) {
	e := setup(t)
	w := startWaiting(t, e, postgres.ApprovalAlways)
	client := sfn.New(sfn.Options{Region: "eu-central-1", BaseEndpoint: aws.String(e.tasksURL), HTTPClient: http.DefaultClient,
		Credentials: aws.AnonymousCredentials{}})
	if _, err := approval.Decide(context.Background(), e.st, client, w.runID,
		postgres.Decision{Approve: true, By: "arn:aws:iam::123456789012:user/alice", Source: "admin"}); err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	var out contract.State
	if w.err != nil || json.Unmarshal(w.out, &out) != nil || out.Approval.DecidedBy != "arn:aws:iam::123456789012:user/alice" ||
		out.Pack.Payments != 5 || out.Poll.Status != contract.RunFinished {
		t.Fatalf("%s %v", w.out, w.err)
	}
}

// Nobody decides: at the deadline the execution fails "Approval expired",
// the run is approval_expired and nothing was packed; a decline by upload
// ends the execution well, with nothing loaded either.
func TestApprovalDeadlineAndDecline(t *testing.T) {
	e := setup(t)
	w := startWaiting(t, e, postgres.ApprovalAlways)
	e.tasks.Expire(w.token)
	w.wait(t)
	var failed *sfnlocal.ExecutionFailed
	if !errors.As(w.err, &failed) || failed.Name != contract.ApprovalExpired || !strings.Contains(failed.Cause, "nothing was loaded") {
		t.Fatalf("execution: %s %v", w.out, w.err)
	}
	if s := runStatus(t, e, w.runID); s != contract.RunApprovalExpired || pgtest.Count(t, e.st, `SELECT count(*) FROM payment`) != 0 {
		t.Errorf("run %s", s)
	}
	res := e.upload(t, fmt.Sprintf("approvals/%d.csv", w.runID), []byte("action;row\napprove;\n"), "04")
	if res.Status != "failed" || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Msg, "not awaiting approval") {
		t.Errorf("a late approval: %+v", res)
	}
}

func TestApprovalDeclinedByUpload(t *testing.T) {
	e := setup(t)
	w := startWaiting(t, e, postgres.ApprovalAlways)
	e.upload(t, fmt.Sprintf("approvals/%d.csv", w.runID), []byte("action,row,comment\ndecline,,wrong registry\n"), "03")
	w.wait(t)
	if w.err != nil || runStatus(t, e, w.runID) != contract.RunApprovalDeclined || pgtest.Count(t, e.st, `SELECT count(*) FROM payment`) != 0 {
		t.Fatalf("%s %v, run %s", w.out, w.err, runStatus(t, e, w.runID))
	}
}
