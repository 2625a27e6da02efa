// Package e2e runs the synthesized state machine definition end to end on
// this machine: the CDK app's definition (turned into plain ASL) executed by
// aws-local-stepfunctions, every Task invoking the real function binaries
// through lambdalocal, against Postgres, an S3 API (gofakes3) and the GIS
// simulator.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/lambdalocal"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/s3store/s3test"
	"github.com/gispayments/gis-payments/internal/sfnlocal"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
	"github.com/gispayments/gis-payments/internal/xades"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

var functions = []string{"upload-trigger", "reconciler", "enricher", "packer", "sender", "poller", "canceller", "approval", "scheduler"}

// build compiles the functions once and synthesizes the definition.
var build = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "e2e-")
	if err != nil {
		return "", err
	}
	for _, fn := range append(functions, "migrate", "admin") {
		out := filepath.Join(dir, "assets", fn, "bootstrap")
		cmd := exec.Command("go", "build", "-o", out, "./functions/"+fn)
		cmd.Dir = "../.."
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("build %s: %v\n%s", fn, err, b)
		}
	}
	ctxJSON, _ := json.Marshal(map[string]any{"lambdaAssets": filepath.Join(dir, "assets")})
	cmd := exec.Command("go", "run", ".", "-asl", filepath.Join(dir, "definition.json"))
	cmd.Dir = "../../infra"
	cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+string(ctxJSON), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("synthesize: %v\n%s", err, b)
	}
	return dir, nil
})

type env struct {
	st         *postgres.Store
	s3         *s3test.Server
	sim        *gissim.Sim
	invokeURL  string
	definition []byte
	runner     *sfnlocal.Runner
	lambdas    *lambdalocal.Server
	logs       *bytes.Buffer
	tasks      *sfnlocal.Tasks // the task-token API (approval waits)
	tasksURL   string
}

func setup(t *testing.T) *env {
	if _, err := os.Stat(filepath.Join(sfnlocal.Dir(), "node_modules", ".bin", "node")); err != nil {
		t.Skip(sfnlocal.ErrNotInstalled)
	}
	dir, err := build()
	if err != nil {
		t.Fatal(err)
	}
	definition, err := os.ReadFile(filepath.Join(dir, "definition.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, dbURL := pgtest.New(t)
	pgtest.Organization(t, st, "uk-dom", "uk_rso")
	s3 := s3test.New(t, testkit.Exports, testkit.Archive)
	cfg := gissim.Config{Verify: func(el *etree.Element) error { _, err := xades.Verify(el); return err }}
	if v, err := xsdcheck.New(xsdcheck.PaymentTypes); err == nil {
		cfg.Validate = v.Element
	}
	sim := gissim.New(cfg) // states move at once: the Wait state is overridden to 0 ms too
	gis := httptest.NewServer(sim)
	t.Cleanup(gis.Close)
	keyPEM, certPEM, err := testkit.Key(t).PEM()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "signing.pem")
	os.WriteFile(keyFile, append(keyPEM, certPEM...), 0o600)
	tasks := &sfnlocal.Tasks{}
	tasksSrv := httptest.NewServer(tasks)
	t.Cleanup(tasksSrv.Close)
	fnEnv := []string{"AWS_ENDPOINT_URL_SFN=" + tasksSrv.URL, "DATABASE_URL=" + dbURL, "AWS_ENDPOINT_URL=" + s3.URL, "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=ru-central-1", "EXPORTS_BUCKET=" + testkit.Exports,
		"ARCHIVE_BUCKET=" + testkit.Archive, "GIS_ENDPOINT=" + gis.URL, "GIS_SIGNING_KEY=" + keyFile,
		"GIS_TIMEOUT=10s", "STATE_MACHINE_ARN=", "POLL_GRACE=1ms", "GIS_DOUBT_LIMIT=2"}
	var fns []lambdalocal.Function
	for _, fn := range functions {
		fns = append(fns, lambdalocal.Function{Name: fn, Path: filepath.Join(dir, "assets", fn, "bootstrap"), Env: fnEnv})
	}
	logs := &bytes.Buffer{}
	lambdas := lambdalocal.New(fns...)
	lambdas.Logs = &syncWriter{w: logs}
	addr, err := lambdas.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lambdas.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function logs:\n%s", logs)
		}
	})
	zero := 0
	return &env{st: st, s3: s3, sim: sim, invokeURL: "http://" + addr, definition: definition, logs: logs, lambdas: lambdas,
		tasks: tasks, tasksURL: tasksSrv.URL,
		runner: &sfnlocal.Runner{LambdaEndpoint: "http://" + addr, WaitMillis: &zero, RetryMillis: &zero, TaskEndpoint: tasksSrv.URL}}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// upload puts a file in the exports bucket and hands the S3 event to the
// real upload-trigger, as S3 would; it returns what the trigger asked for.
func (e *env) upload(t *testing.T, key string, data []byte, seq string) uploadtrigger.FileResult {
	etag := e.s3.Put(t, testkit.Exports, key, data)
	var rec events.S3EventRecord
	rec.EventName, rec.EventSource = "ObjectCreated:Put", "aws:s3"
	rec.S3.Bucket.Name = testkit.Exports
	rec.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	rec.S3.Object.ETag, rec.S3.Object.Sequencer, rec.S3.Object.Size = etag, seq, int64(len(data))
	rec.PrincipalID.PrincipalID = "AWS:AIDAEXAMPLE:billing-upload"
	payload, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{rec}})
	resp, err := http.Post(e.invokeURL+"/2015-03-31/functions/upload-trigger/invocations", "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var res uploadtrigger.Result
	if resp.Header.Get("X-Amz-Function-Error") != "" || json.Unmarshal(body, &res) != nil || len(res.Files) != 1 {
		t.Fatalf("upload-trigger: %s", body)
	}
	return res.Files[0]
}

func testdata(t *testing.T, name string) []byte {
	b, err := os.ReadFile("../../testdata/exports/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The happy path through every step, with a duplicate upload event (one
// execution) and a transient send failure the state machine retries.
func TestPipeline(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	executions := map[string]uploadtrigger.Execution{} // Step Functions starts a name once
	for i, f := range []struct{ key, file string }{
		{"incoming/billing/uk-dom/billing.csv", "billing-uk-dom-2026-11-21.csv"},
		{"incoming/acquiring/uk-dom/реестр 21.11.csv", "acquiring-uk-dom-2026-11-21.csv"},
	} {
		res := e.upload(t, f.key, testdata(t, f.file), fmt.Sprintf("%02d", i))
		if res.Execution != nil {
			executions[res.Execution.Name] = *res.Execution
		}
	}
	again := e.upload(t, "incoming/acquiring/uk-dom/реестр 21.11.csv", testdata(t, "acquiring-uk-dom-2026-11-21.csv"), "01")
	if !again.Duplicate || again.Execution == nil {
		t.Fatalf("duplicate event: %+v", again)
	}
	executions[again.Execution.Name] = *again.Execution
	if len(executions) != 1 {
		t.Fatalf("%d executions asked for, want 1", len(executions))
	}
	e.sim.Inject(gismessage.SupplierNotifications.SOAPAction(), gissim.HTTP503)
	for _, ex := range executions {
		out, err := e.runner.Run(ctx, e.definition, ex.Input)
		if err != nil {
			t.Fatal(err)
		}
		var result struct {
			Reconcile struct{ Matched, Mismatched int } `json:"reconcile"`
			Pack      struct{ Packages, Payments int }  `json:"pack"`
			Poll      struct {
				Status string `json:"status"`
				Done   bool   `json:"done"`
			} `json:"poll"`
		}
		if err := json.Unmarshal(out, &result); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if result.Reconcile.Matched != 5 || result.Pack.Payments != 5 || result.Poll.Status != "finished" || !result.Poll.Done {
			t.Fatalf("execution output %s", out)
		}
	}
	if calls := e.sim.Calls(gismessage.SupplierNotifications.SOAPAction()); calls != 2 || e.sim.Accepted() != 1 {
		t.Errorf("GIS saw %d sends and accepted %d packages; want 2 (one refused with 503) and 1", calls, e.sim.Accepted())
	}
	if imported := pgtest.Count(t, e.st, `SELECT count(*) FROM payment WHERE status = 'imported'`); imported != 5 {
		t.Errorf("%d payments imported", imported)
	}
}

// A step that fails for good ends the execution in "Run failed" whose
// Cause an administrator can read, and the run records it.
func TestFailedStepHasReadableCause(t *testing.T) {
	e := setup(t)
	e.upload(t, "incoming/billing/uk-dom/b.csv", testdata(t, "billing-uk-dom-2026-11-21.csv"), "01")
	// Two rows of three bad: more than the default share of bad rows, so the file fails.
	bad := exportcsv.AcquiringHeader + "2026-11-21;O0;2026-11-21;B0;S1;SV1;LS1;1;0\n" +
		"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1O;0\n2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;ten;0\n"
	res := e.upload(t, "incoming/acquiring/uk-dom/bad.csv", []byte(bad), "02")
	if res.Execution == nil {
		t.Fatalf("no execution asked for: %+v", res)
	}
	_, err := e.runner.Run(context.Background(), e.definition, res.Execution.Input)
	var failed *sfnlocal.ExecutionFailed
	if !errors.As(err, &failed) || failed.Name != "InvalidInput" ||
		!strings.Contains(failed.Cause, `incoming/acquiring/uk-dom/bad.csv: line 4, column "main_sum": bad number "ten"`) {
		t.Fatalf("execution error: %v", err)
	}
	var status string
	e.st.Pool.QueryRow(context.Background(), `SELECT status FROM run`).Scan(&status)
	if status != "failed" {
		t.Errorf("run %s", status)
	}
}
