package approval_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gispayments/gis-payments/internal/approval"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/sfnlocal"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// notices records what the organisation's contact would be told.
type notices struct {
	mu   sync.Mutex
	list []string
}

func (n *notices) Notice(_ context.Context, org, subject, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, org+": "+subject+": "+text)
	return nil
}

type fixture struct {
	kit     *testkit.Env
	svc     *approval.Service
	notices *notices
	tasks   *sfnlocal.Tasks
	client  *sfn.Client // the real Step Functions client, on the local task endpoint
	runID   int64
}

// setup reconciles uk-dom's sample exports (5 matched rows and
// discrepancies) for an organisation with the given approval policy.
func setup(t *testing.T, policy string) *fixture {
	kit := testkit.New(t, 0)
	ctx := context.Background()
	pgtest.Organization(t, kit.Store, "uk-dom", "uk_rso")
	if err := kit.Store.SetOrganizationControls(ctx, "uk-dom", policy, true, "buh@uk-dom.example"); err != nil {
		t.Fatal(err)
	}
	o, _ := kit.Store.OrganizationByCode(ctx, "uk-dom")
	var refs []reconciler.FileRef
	for kind, file := range map[string]string{"billing": "billing-uk-dom-2026-11-21.csv", "acquiring": "acquiring-uk-dom-2026-11-21.csv"} {
		data, err := os.ReadFile("../../testdata/exports/" + file)
		if err != nil {
			t.Fatal(err)
		}
		key := "incoming/" + kind + "/uk-dom/" + file
		etag := kit.S3.Put(t, testkit.Exports, key, data)
		if _, _, err := kit.Store.RegisterFile(ctx, &postgres.SourceFile{OrganizationID: o.ID, Bucket: testkit.Exports,
			Key: key, ETag: etag, Kind: contract.FileKind(kind)}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, reconciler.FileRef{Bucket: testkit.Exports, Key: key, ETag: etag})
	}
	if refs[0].Key > refs[1].Key { // billing first
		refs[0], refs[1] = refs[1], refs[0]
	}
	res, err := kit.Recon.Reconcile(ctx, reconciler.Request{Org: "uk-dom", Files: refs})
	if err != nil {
		t.Fatal(err)
	}
	tasks := &sfnlocal.Tasks{}
	srv := httptest.NewServer(tasks)
	t.Cleanup(srv.Close)
	client := sfn.New(sfn.Options{Region: "eu-central-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: http.DefaultClient,
		Credentials: aws.AnonymousCredentials{}})
	n := &notices{}
	return &fixture{kit: kit, notices: n, tasks: tasks, client: client, runID: res.RunID,
		svc: &approval.Service{Store: kit.Store, Notices: n, ExportsBucket: testkit.Exports, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}}
}

// wait does what "Wait for approval" does: a token is opened and the
// function stores it.
func (f *fixture) wait(t *testing.T, token string) {
	t.Helper()
	open, _ := http.NewRequest(http.MethodPost, "/tasks/open?token="+token, nil)
	f.tasks.ServeHTTP(httptest.NewRecorder(), open)
	res, err := f.svc.Handle(context.Background(), approval.Request{RunID: f.runID, TaskToken: token})
	if err != nil || res.Status != contract.RunAwaitingApproval {
		t.Fatalf("wait: %+v, %v", res, err)
	}
}

// outcome is what the waiting Task received.
func (f *fixture) outcome(t *testing.T, token string) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	req, _ := http.NewRequest(http.MethodGet, "/tasks/wait?token="+token, nil)
	f.tasks.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	return out
}

func (f *fixture) status(t *testing.T) contract.RunStatus {
	var s contract.RunStatus
	f.kit.Store.Pool.QueryRow(context.Background(), `SELECT status FROM run WHERE id = $1`, f.runID).Scan(&s)
	return s
}

func (f *fixture) rowOf(t *testing.T, status string) (id int64, orderID string) {
	t.Helper()
	err := f.kit.Store.Pool.QueryRow(context.Background(), `SELECT id, coalesce(order_id, '') FROM recon_row
		WHERE run_id = $1 AND status = $2 AND order_id IS NOT NULL ORDER BY id LIMIT 1`, f.runID, status).Scan(&id, &orderID)
	if err != nil {
		t.Fatalf("a %s row: %v", status, err)
	}
	return id, orderID
}

func TestAutoPolicyDoesNotWait(t *testing.T) {
	f := setup(t, postgres.ApprovalAuto)
	res, err := f.svc.Handle(context.Background(), approval.Request{RunID: f.runID})
	if err != nil || res.Required || res.Discrepancies == 0 {
		t.Fatalf("%+v, %v", res, err)
	}
}

// The run waits, nothing is packed meanwhile; the approver accepts a
// mismatched payment and withholds a matched one; the state machine is
// told, and the packer loads by the decision.
func TestApproveWithExtraAndWithheldRows(t *testing.T) {
	f := setup(t, postgres.ApprovalOnDiscrepancies)
	ctx := context.Background()
	check, err := f.svc.Handle(ctx, approval.Request{RunID: f.runID})
	if err != nil || !check.Required || check.Discrepancies == 0 {
		t.Fatalf("check: %+v, %v", check, err)
	}
	f.wait(t, "token-1")
	if len(f.notices.list) != 1 || !strings.Contains(f.notices.list[0], "waits for approval") ||
		!strings.Contains(f.notices.list[0], "approvals/") {
		t.Errorf("notices %q", f.notices.list)
	}
	if _, err := f.kit.Pack.Pack(ctx, packer.Request{RunID: f.runID}); !errors.Is(err, postgres.ErrNotReady) {
		t.Fatalf("packing a waiting run: %v", err)
	}
	_, mismatchOrder := f.rowOf(t, "mismatch")
	withheld, _ := f.rowOf(t, "check")
	file := "action;row;comment\napprove;;checked with the bank\nload;" + mismatchOrder + "\nwithhold;" + itoa(withheld) + "\n"
	d, err := approval.ParseCSV("approvals/1.csv", strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	d.By, d.Source = "admin:alice", "admin"
	out, err := approval.Decide(ctx, f.kit.Store, f.client, f.runID, d)
	if err != nil || out.Decision != "approve" || out.Load != 1 || out.Withhold != 1 {
		t.Fatalf("decide: %+v, %v", out, err)
	}
	told := f.outcome(t, "token-1")
	if got, _ := json.Marshal(told); !strings.Contains(string(got), `"decided_by":"admin:alice"`) {
		t.Errorf("the state machine was told %s", got)
	}
	// Told again (a repeated upload event): the spent token is no error.
	if _, err := approval.Decide(ctx, f.kit.Store, f.client, f.runID, d); err != nil {
		t.Errorf("the same decision again: %v", err)
	}
	other := d
	other.Withhold = nil
	if _, err := approval.Decide(ctx, f.kit.Store, f.client, f.runID, other); steperr.KindOf(err) != steperr.InvalidInput ||
		!errors.Is(err, postgres.ErrDecided) {
		t.Errorf("a different decision: %v", err)
	}
	res, err := f.kit.Pack.Pack(ctx, packer.Request{RunID: f.runID})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payments != 5 || res.HeldBack != 1 { // 5 matched − 1 withheld + 1 accepted mismatch
		t.Errorf("packed %d payments, %d held; want 5 and 1", res.Payments, res.HeldBack)
	}
	if n := pgtest.Count(t, f.kit.Store, `SELECT count(*) FROM payment WHERE run_id = $1 AND order_id = $2`, f.runID, mismatchOrder); n != 1 {
		t.Errorf("the accepted mismatch: %d payments", n)
	}
	if n := pgtest.Count(t, f.kit.Store, `SELECT count(*) FROM recon_row WHERE id = $1 AND hold_reason = 'withheld by admin:alice'`, withheld); n != 1 {
		t.Error("the withheld row is not held with its approver")
	}
	if f.status(t) != contract.RunPacking {
		t.Errorf("run %s", f.status(t))
	}
}

func TestDeclineEndsTheRun(t *testing.T) {
	f := setup(t, postgres.ApprovalAlways)
	ctx := context.Background()
	f.wait(t, "token-2")
	d, err := approval.ParseCSV("approvals/1.csv", strings.NewReader("action,row\ndecline,\n"))
	if err != nil {
		t.Fatal(err)
	}
	d.By, d.Source = "s3:AIDAEXAMPLE", "upload"
	if _, err := approval.Decide(ctx, f.kit.Store, f.client, f.runID, d); err != nil {
		t.Fatal(err)
	}
	if told := f.outcome(t, "token-2"); told["error"] != contract.ApprovalDeclined {
		t.Errorf("told %v", told)
	}
	if f.status(t) != contract.RunApprovalDeclined {
		t.Errorf("run %s", f.status(t))
	}
	res, err := f.kit.Pack.Pack(ctx, packer.Request{RunID: f.runID})
	if err != nil || res.Payments != 0 || pgtest.Count(t, f.kit.Store, `SELECT count(*) FROM payment`) != 0 {
		t.Errorf("a declined run was packed: %+v, %v", res, err)
	}
}

// Past the deadline the run ends approval_expired, nothing loaded, and a
// late decision is refused with a reason.
func TestExpiredApproval(t *testing.T) {
	f := setup(t, postgres.ApprovalAlways)
	ctx := context.Background()
	f.wait(t, "token-3")
	f.tasks.Expire("token-3")
	res, err := f.svc.Handle(ctx, approval.Request{RunID: f.runID, Expired: true})
	if err != nil || res.Status != contract.RunApprovalExpired || f.status(t) != contract.RunApprovalExpired {
		t.Fatalf("%+v, %v, run %s", res, err, f.status(t))
	}
	if len(f.notices.list) != 2 || !strings.Contains(f.notices.list[1], "approval expired") {
		t.Errorf("notices %q", f.notices.list)
	}
	_, err = approval.Decide(ctx, f.kit.Store, f.client, f.runID, postgres.Decision{Approve: true, By: "admin:late", Source: "admin"})
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), "approval_expired, not awaiting approval") {
		t.Errorf("a late decision: %v", err)
	}
}

// A row that is not the run's, or a billing-only row to load, is refused
// by name, and nothing is recorded.
func TestUnknownRowIsRefused(t *testing.T) {
	f := setup(t, postgres.ApprovalAlways)
	ctx := context.Background()
	f.wait(t, "token-4")
	_, err := approval.Decide(ctx, f.kit.Store, f.client, f.runID,
		postgres.Decision{Approve: true, By: "admin:bob", Source: "admin", Load: []string{"NO-SUCH-ORDER"}})
	if steperr.KindOf(err) != steperr.InvalidInput || !strings.Contains(err.Error(), `row "NO-SUCH-ORDER": no row of run`) {
		t.Errorf("unknown row: %v", err)
	}
	if n := pgtest.Count(t, f.kit.Store, `SELECT count(*) FROM run_decision`); n != 0 {
		t.Errorf("%d decisions recorded", n)
	}
}

func TestParseCSVNamesLineAndColumn(t *testing.T) {
	for file, want := range map[string]string{
		"action;row\naprove;\n":              `approvals/7.csv: line 2, column "action": unknown action "aprove"`,
		"action;row\napprove;\nload;\n":      `approvals/7.csv: line 3, column "row": load needs a row`,
		"action;row\nload;O1\n":              `want exactly one line approve or decline, found 0`,
		"action;row\ndecline;\nwithhold;5\n": `a declined run loads nothing`,
		"order;sum\n":                        `approvals/7.csv: line 1: want the header "action;row"`,
	} {
		if _, err := approval.ParseCSV("approvals/7.csv", strings.NewReader(file)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", file, err, want)
		}
	}
	if _, err := approval.RunOfKey("approvals/x.csv"); err == nil {
		t.Error("a key without a run id")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
