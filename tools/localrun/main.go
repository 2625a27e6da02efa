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
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

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

// uploadFiles uploads each export, hands upload-trigger its S3 event (the
// last one twice, as S3 may, when again is set) and returns the executions
// the trigger asked for, in order.
func uploadFiles(ctx context.Context, objs *s3store.Store, bucket, exportsDir, invokeURL string, again bool) ([]string, map[string]uploadtrigger.Execution, error) {
	files, err := filepath.Glob(filepath.Join(exportsDir, "*.csv"))
	if err != nil {
		return nil, nil, err
	}
	step("Uploading %d exports to s3://%s/incoming/; upload-trigger gets each S3 event", len(files), bucket)
	var order []string
	executions := map[string]uploadtrigger.Execution{} // Step Functions starts a name once
	var last events.S3Event
	for i, path := range files {
		ev, err := upload(ctx, objs, bucket, path, i)
		if err != nil {
			return nil, nil, err
		}
		last = ev
		f, err := trigger(invokeURL, ev)
		if err != nil {
			return nil, nil, err
		}
		fmt.Printf("  %-52s %-10s %s\n", f.Key, f.Status, describe(f))
		if f.Execution != nil {
			if _, seen := executions[f.Execution.Name]; !seen {
				order = append(order, f.Execution.Name)
			}
			executions[f.Execution.Name] = *f.Execution
		}
	}
	if again && len(files) > 0 {
		step("Sending the last event again (S3 delivers at least once)")
		f, err := trigger(invokeURL, last)
		if err != nil {
			return nil, nil, err
		}
		_, seen := executions[execName(f)]
		fmt.Printf("  %s: duplicate=%v, execution %s, already started: %v\n", f.Key, f.Duplicate, execName(f), seen)
	}
	return order, executions, nil
}

func step(format string, args ...any) { fmt.Printf("\n== "+format+"\n", args...) }

func describe(f uploadtrigger.FileResult) string {
	switch {
	case len(f.Errors) > 0:
		return f.Errors[0].Error()
	case f.Execution != nil:
		return "run requested: " + f.Execution.Name
	}
	return f.Waiting
}

func execName(f uploadtrigger.FileResult) string {
	if f.Execution == nil {
		return "none"
	}
	return f.Execution.Name
}

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

func summary(ctx context.Context, st *postgres.Store, output []byte, localRoot, bucket string) error {
	runID, err := runOf(output)
	if err != nil {
		return err
	}
	run, err := st.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	days, err := st.ReconDays(ctx, runID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tbilling\tbilling sum\tbank\tbank sum\tmatched\tmismatched\tbilling only\tbank only\tdifference\t")
	for _, d := range days {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", d.Day, d.BillingCount, d.BillingSum,
			d.AcquiringCount, d.AcquiringSum, d.Matched, d.Mismatched, d.BillingOnly, d.AcquiringOnly, d.Difference())
	}
	tw.Flush()
	rows, err := st.Pool.Query(ctx, `SELECT status, count(*), sum(amount)::text FROM payment WHERE run_id = $1
		GROUP BY status ORDER BY status`, runID)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Println("  payments by status:")
	for rows.Next() {
		var status, sum string
		var n int
		if err := rows.Scan(&status, &n, &sum); err != nil {
			return err
		}
		fmt.Printf("    %-18s %6d  %15s\n", status, n, sum)
	}
	fmt.Printf("  run %d ended %s\n  report:  s3://%s/%s\n  results: s3://%s/results/%d.csv\n", runID, run.Status,
		bucket, run.ReportHTMLKey, bucket, runID)
	if d, err := st.RunDecision(ctx, runID); err == nil {
		fmt.Printf("  %sd by %s at %s: %d extra rows loaded, %d withheld\n", d.Decision(), d.By,
			d.At.Format(time.RFC3339), len(d.Load), len(d.Withhold))
	}
	if pkgs, err := st.PackagesOfRun(ctx, runID); err == nil && len(pkgs) > 0 {
		fmt.Printf("  archive: s3://%s/%s (signed requests and GIS's responses)\n", os.Getenv("ARCHIVE_BUCKET"),
			pkgs[0].RequestKey[:strings.LastIndex(pkgs[0].RequestKey, "/")+1])
	}
	if localRoot != "" {
		fmt.Printf("  open the report: file://%s\n", filepath.Join(localRoot, bucket, run.ReportHTMLKey))
	}
	return rows.Err()
}

// runOf is the run an execution's first step started.
func runOf(output []byte) (int64, error) {
	var out struct {
		Reconcile struct {
			RunID int64 `json:"run_id"`
		} `json:"reconcile"`
	}
	if err := json.Unmarshal(output, &out); err != nil {
		return 0, fmt.Errorf("execution output %s: %w", output, err)
	}
	return out.Reconcile.RunID, nil
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

func ensureBucket(ctx context.Context, objs *s3store.Store, bucket string) error {
	_, err := objs.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

var exportName = regexp.MustCompile(`^(billing|acquiring|cancellations)-(.+)-\d{4}-\d{2}-\d{2}\.csv$`)

// upload puts one export under incoming/<kind>/<org>/ and returns the S3
// event AWS would deliver for it (URL-encoded key, ETag, sequencer).
func upload(ctx context.Context, objs *s3store.Store, bucket, path string, seq int) (events.S3Event, error) {
	name := filepath.Base(path)
	m := exportName.FindStringSubmatch(name)
	if m == nil {
		return events.S3Event{}, fmt.Errorf("%s: name exports <billing|acquiring|cancellations>-<org>-<YYYY-MM-DD>.csv", path)
	}
	key := fmt.Sprintf("incoming/%s/%s/%s", m[1], m[2], name)
	f, err := os.Open(path)
	if err != nil {
		return events.S3Event{}, err
	}
	defer f.Close()
	fi, _ := f.Stat()
	return put(ctx, objs, bucket, key, f, fi.Size(), seq)
}

// put uploads an object and returns the S3 event AWS would deliver for it.
func put(ctx context.Context, objs *s3store.Store, bucket, key string, body io.Reader, size int64, seq int) (events.S3Event, error) {
	out, err := objs.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: body,
		ContentType: aws.String("text/csv")})
	if err != nil {
		return events.S3Event{}, fmt.Errorf("upload %s: %w", key, err)
	}
	var rec events.S3EventRecord
	rec.EventSource, rec.EventName, rec.AWSRegion = "aws:s3", "ObjectCreated:Put", "ru-central-1"
	rec.EventTime = time.Now().UTC()
	rec.S3.Bucket.Name = bucket
	rec.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	rec.S3.Object.Size = size
	rec.PrincipalID.PrincipalID = "AWS:AIDALOCAL:accountant"
	rec.S3.Object.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
	rec.S3.Object.VersionID = aws.ToString(out.VersionId)
	rec.S3.Object.Sequencer = fmt.Sprintf("%016X", time.Now().UnixNano()+int64(seq))
	return events.S3Event{Records: []events.S3EventRecord{rec}}, nil
}

// trigger hands an S3 event to upload-trigger through the Invoke API.
func trigger(invokeURL string, ev events.S3Event) (uploadtrigger.FileResult, error) {
	payload, _ := json.Marshal(ev)
	resp, err := http.Post(invokeURL+"/2015-03-31/functions/upload-trigger/invocations", "application/json", bytes.NewReader(payload))
	if err != nil {
		return uploadtrigger.FileResult{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var res uploadtrigger.Result
	if resp.Header.Get("X-Amz-Function-Error") != "" || json.Unmarshal(body, &res) != nil || len(res.Files) != 1 {
		return uploadtrigger.FileResult{}, fmt.Errorf("upload-trigger: %s", body)
	}
	return res.Files[0], nil
}

// logTail passes the functions' JSON logs through when LOCALRUN_LOGS=1.
type logTail struct{}

func (logTail) Write(p []byte) (int, error) {
	if os.Getenv("LOCALRUN_LOGS") == "1" {
		os.Stderr.Write(p)
	}
	return len(p), nil
}
