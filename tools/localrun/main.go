// Command localrun runs the pipeline locally the way AWS would: it seeds
// the organisations, starts the real function binaries behind a local
// Lambda Invoke API (lambdalocal), synthesizes the CDK stack and turns its
// state machine into plain ASL, uploads the sample exports to the local S3
// server, hands each S3 event (and one duplicate) to upload-trigger, and
// executes every run the trigger asks for with aws-local-stepfunctions,
// showing the states as they pass; then it prints the summary. `make run`
// starts Postgres, the S3 server and the GIS simulator first.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lambdalocal"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/sfnlocal"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

var functions = []string{"upload-trigger", "reconciler", "enricher", "packer", "sender", "poller", "canceller", "approval", "scheduler", "migrate", "admin"}

func main() {
	bin := flag.String("bin", "bin", "folder with the built function binaries")
	orgs := flag.String("orgs", "testdata/organizations.json", "organisations to configure")
	exports := flag.String("exports", "testdata/exports", "exports to upload, named <kind>-<org>-<YYYY-MM-DD>.csv")
	cancellations := flag.String("cancellations", "testdata/cancellations", "cancellations exports to upload after the runs")
	work := flag.String("work", ".local", "folder for the synthesized definition and assets")
	localRoot := flag.String("s3-root", "", "where the local S3 server keeps objects, to print report paths")
	flag.Parse()
	if err := run(context.Background(), *bin, *orgs, *exports, *cancellations, *work, *localRoot); err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, orgsFile, exportsDir, cancellationsDir, work, localRoot string) error {
	bucket := os.Getenv("EXPORTS_BUCKET")
	st, objs, err := prepare(ctx, orgsFile, bucket)
	if err != nil {
		return err
	}
	defer st.Close()

	step("Synthesizing the CDK stack and its state machine")
	definition, err := synthesize(bin, work)
	if err != nil {
		return err
	}
	tasks, err := serveTasks()
	if err != nil {
		return err
	}
	lambdas := lambdalocal.New(localFunctions(bin)...)
	lambdas.Logs = logTail{}
	addr, err := lambdas.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer lambdas.Close()
	invokeURL := "http://" + addr
	fmt.Printf("  %d states; the functions answer on the Lambda Invoke API at %s\n", countStates(definition), invokeURL)

	order, executions, err := uploadFiles(ctx, objs, bucket, exportsDir, invokeURL, true)
	if err != nil {
		return err
	}
	runner := &sfnlocal.Runner{LambdaEndpoint: invokeURL, Progress: &progress{}, TaskEndpoint: tasks.url}
	approver := &approver{tasks: tasks.Tasks, st: st, objs: objs, bucket: bucket, invokeURL: invokeURL}
	if err := execute(ctx, approver, runner, st, definition, order, executions, localRoot, bucket); err != nil {
		return err
	}
	// Then take some of the loaded payments back out of GIS.
	order, executions, err = uploadFiles(ctx, objs, bucket, cancellationsDir, invokeURL, false)
	if err != nil {
		return err
	}
	return execute(ctx, approver, runner, st, definition, order, executions, localRoot, bucket)
}

// execute runs each execution the trigger asked for, deciding those that
// wait for approval, and prints its summary.
func execute(ctx context.Context, approver *approver, runner *sfnlocal.Runner, st *postgres.Store, definition []byte,
	order []string, executions map[string]uploadtrigger.Execution, localRoot, bucket string) error {
	for _, name := range order {
		ex := executions[name]
		step("Execution %s", name)
		out, err := approver.run(ctx, runner, definition, ex.Input)
		var failed *sfnlocal.ExecutionFailed
		if errors.As(err, &failed) {
			fmt.Printf("  FAILED: %s: %s\n", failed.Name, failed.Cause)
			continue
		}
		if err != nil {
			return err
		}
		if ex.Input.Kind == contract.KindCancellation {
			err = cancellationSummary(ctx, st, out, bucket)
		} else {
			err = summary(ctx, st, out, localRoot, bucket)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// prepare migrates the database, seeds the organisations and makes the
// buckets.
func prepare(ctx context.Context, orgsFile, bucket string) (*postgres.Store, *s3store.Store, error) {
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*postgres.Store, *s3store.Store, error) { st.Close(); return nil, nil, err }
	if err := st.Migrate(ctx); err != nil {
		return fail(err)
	}
	if err := seedOrganizations(ctx, st, orgsFile); err != nil {
		return fail(err)
	}
	// uk-dom's sample exports have discrepancies: its runs wait for approval.
	if err := st.SetOrganizationControls(ctx, "uk-dom", postgres.ApprovalOnDiscrepancies, true, ""); err != nil {
		return fail(err)
	}
	objs, err := s3store.New(ctx)
	if err != nil {
		return fail(err)
	}
	for _, b := range []string{bucket, os.Getenv("ARCHIVE_BUCKET")} {
		if err := ensureBucket(ctx, objs, b); err != nil {
			return fail(err)
		}
	}
	return st, objs, nil
}

func step(format string, args ...any) { fmt.Printf("\n== "+format+"\n", args...) }

func localFunctions(bin string) []lambdalocal.Function {
	var fns []lambdalocal.Function
	for _, name := range functions {
		fns = append(fns, lambdalocal.Function{Name: name, Path: filepath.Join(bin, name)})
	}
	return fns
}

// synthesize runs the CDK app on this machine's binaries and returns the
// state machine as plain ASL. Waits are short: the simulator answers in seconds.
func synthesize(bin, work string) ([]byte, error) {
	assets, err := filepath.Abs(filepath.Join(work, "assets"))
	if err != nil {
		return nil, err
	}
	for _, name := range functions {
		dir := filepath.Join(assets, name)
		os.MkdirAll(dir, 0o755)
		target, _ := filepath.Abs(filepath.Join(bin, name))
		os.Remove(filepath.Join(dir, "bootstrap"))
		if err := os.Symlink(target, filepath.Join(dir, "bootstrap")); err != nil {
			return nil, err
		}
	}
	out, _ := filepath.Abs(filepath.Join(work, "definition.asl.json"))
	ctxJSON, _ := json.Marshal(map[string]any{"lambdaAssets": assets, "pollWaitSeconds": 2, "sendConcurrency": 4})
	cmd := exec.Command("go", "run", ".", "-asl", out)
	cmd.Dir = "infra"
	cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+string(ctxJSON), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"CDK_OUTDIR="+filepath.Join(filepath.Dir(out), "cdk.out"))
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("synthesize: %v\n%s", err, b)
	}
	return os.ReadFile(out)
}

func countStates(definition []byte) int {
	var d struct{ States map[string]json.RawMessage }
	json.Unmarshal(definition, &d)
	return len(d.States)
}

// progress prints the execution's events as the states pass.
type progress struct{ buf bytes.Buffer }

func (p *progress) Write(b []byte) (int, error) {
	p.buf.Write(b)
	for {
		line, err := p.buf.ReadBytes('\n')
		if err != nil {
			p.buf.Write(line)
			return len(b), nil
		}
		var ev struct{ Type, State, Error, Cause string }
		if json.Unmarshal(line, &ev) != nil {
			continue
		}
		at := time.Now().Format("15:04:05")
		switch ev.Type {
		case "StateEntered":
			fmt.Printf("  %s  → %s\n", at, ev.State)
		case "StateRetried":
			fmt.Printf("  %s  ↻ %s retried after %s\n", at, ev.State, ev.Error)
		case "StateCaught", "StateFailed":
			fmt.Printf("  %s  ✗ %s: %s %s\n", at, ev.State, ev.Error, ev.Cause)
		case "MapIterationSucceeded":
			fmt.Printf("  %s    package sent\n", at)
		}
	}
}

func seedOrganizations(ctx context.Context, st *postgres.Store, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var orgs []postgres.Organization
	if err := json.Unmarshal(data, &orgs); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i := range orgs {
		if _, err := st.UpsertOrganization(ctx, &orgs[i]); err != nil {
			return err
		}
	}
	return nil
}

// logTail passes the functions' JSON logs through when LOCALRUN_LOGS=1.
type logTail struct{}

func (logTail) Write(p []byte) (int, error) {
	if os.Getenv("LOCALRUN_LOGS") == "1" {
		os.Stderr.Write(p)
	}
	return len(p), nil
}
