package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/beevik/etree"

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
	ev := lambdalocal.ObjectCreated(lambdalocal.Object{Bucket: testkit.Exports, Key: key, ETag: etag, Sequencer: seq,
		Size: int64(len(data)), Principal: "AWS:AIDAEXAMPLE:billing-upload"})
	var res uploadtrigger.Result
	if err := lambdalocal.Invoke(e.invokeURL, "upload-trigger", ev, &res); err != nil || len(res.Files) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	return res.Files[0]
}

// execute runs input through the state machine to its end and decodes
// the execution's output into out (a contract.State, or a cancellation's).
func (e *env) execute(t *testing.T, input, out any) []byte {
	t.Helper()
	raw, err := e.runner.Run(context.Background(), e.definition, input)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return raw
}

func testdata(t *testing.T, name string) []byte {
	b, err := os.ReadFile("../../testdata/exports/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
