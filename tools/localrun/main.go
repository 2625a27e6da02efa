// Command localrun drives one local run of the pipeline, the way S3 and the
// state machine would in AWS: it seeds the organisations, uploads the
// sample exports to the local S3 server, invokes the real upload-trigger
// binary with each S3 event (and one duplicate), invokes the reconciler
// with every execution input the trigger asked for, and prints the per-day
// summary and where the reports are. `make run` starts the servers first.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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

	"github.com/gispayments/gis-payments/internal/ingest"
	"github.com/gispayments/gis-payments/internal/objstore"
	"github.com/gispayments/gis-payments/internal/pack"
	"github.com/gispayments/gis-payments/internal/poll"
	"github.com/gispayments/gis-payments/internal/recon"
	"github.com/gispayments/gis-payments/internal/send"
	"github.com/gispayments/gis-payments/internal/store"
)

func main() {
	bin := flag.String("bin", "bin", "folder with the built function binaries")
	orgs := flag.String("orgs", "testdata/organizations.json", "organisations to configure")
	exports := flag.String("exports", "testdata/exports", "exports to upload, named <kind>-<org>-<anything>.csv")
	localRoot := flag.String("s3-root", "", "where the local S3 server keeps objects, to print report paths")
	flag.Parse()
	if err := run(context.Background(), *bin, *orgs, *exports, *localRoot); err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, orgsFile, exportsDir, localRoot string) error {
	bucket := os.Getenv("EXPORTS_BUCKET")
	st, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := seedOrganizations(ctx, st, orgsFile); err != nil {
		return err
	}
	objs, err := objstore.New(ctx)
	if err != nil {
		return err
	}
	for _, b := range []string{bucket, os.Getenv("ARCHIVE_BUCKET")} {
		if err := ensureBucket(ctx, objs, b); err != nil {
			return err
		}
	}
	files, err := filepath.Glob(filepath.Join(exportsDir, "*.csv"))
	if err != nil {
		return err
	}
	step("Uploading %d exports to s3://%s/incoming/ and invoking upload-trigger for each event", len(files), bucket)
	var runs []recon.Request
	var last events.S3Event
	for i, path := range files {
		ev, err := upload(ctx, objs, bucket, path, i)
		if err != nil {
			return err
		}
		last = ev
		var res ingest.Result
		if err := invoke(filepath.Join(bin, "upload-trigger"), ev, &res); err != nil {
			return err
		}
		for _, f := range res.Files {
			fmt.Printf("  %-52s %-10s %s\n", f.Key, f.Status, describe(f))
			if f.Execution != nil {
				runs = append(runs, f.Execution.Input)
			}
		}
	}
	if len(files) > 0 {
		step("Sending the last event again (S3 delivers at least once)")
		var res ingest.Result
		if err := invoke(filepath.Join(bin, "upload-trigger"), last, &res); err != nil {
			return err
		}
		f := res.Files[0]
		fmt.Printf("  %-52s duplicate=%v, execution %s (the same name: Step Functions starts it once)\n", f.Key, f.Duplicate, execName(f))
	}
	for _, req := range runs {
		step("Reconciling %s (execution %s)", req.Org, req.ExecutionName)
		var res recon.Result
		if err := invoke(filepath.Join(bin, "reconciler"), req, &res); err != nil {
			return err
		}
		if err := printRun(ctx, st, &res, localRoot, bucket); err != nil {
			return err
		}
		if err := load(ctx, st, bin, res.RunID); err != nil {
			return err
		}
	}
	return nil
}

// load takes a reconciled run through the packer, the sender (each
// package) and the poller until GIS has answered, as the state machine does.
func load(ctx context.Context, st *store.Store, bin string, runID int64) error {
	step("Packing and signing run %d", runID)
	var packed pack.Result
	if err := invoke(filepath.Join(bin, "packer"), pack.Request{RunID: runID}, &packed); err != nil {
		return err
	}
	fmt.Printf("  %d payments in %d packages, %d held back, %d already loaded by an earlier run\n",
		packed.Payments, packed.Packages, packed.HeldBack, packed.AlreadyLoaded)
	if packed.Packages == 0 {
		return nil
	}
	step("Sending %d packages to GIS", packed.Packages)
	for _, id := range packed.PackageIDs {
		var sent send.Result
		if err := invoke(filepath.Join(bin, "sender"), send.Request{PackageID: id}, &sent); err != nil {
			return err
		}
		fmt.Printf("  package %d: %s\n", id, sent.Packages[0].Status)
	}
	step("Polling GIS until every package is processed")
	for {
		var polled poll.Result
		if err := invoke(filepath.Join(bin, "poller"), poll.Request{RunID: runID}, &polled); err != nil {
			return err
		}
		fmt.Printf("  run %d: %s, %d packages pending\n", runID, polled.Status, polled.Pending)
		if polled.Done {
			return printOutcome(ctx, st, runID)
		}
		time.Sleep(pollInterval) // the state machine's Wait state
	}
}

const pollInterval = 2 * time.Second

func printOutcome(ctx context.Context, st *store.Store, runID int64) error {
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
	run, err := st.RunByID(ctx, runID)
	if err != nil {
		return err
	}
	fmt.Printf("  run %d ended %s; results: s3://%s/results/%d.csv\n", runID, run.Status, os.Getenv("EXPORTS_BUCKET"), runID)
	return rows.Err()
}

func step(format string, args ...any) {
	fmt.Printf("\n== "+format+"\n", args...)
}

func describe(f ingest.FileResult) string {
	switch {
	case len(f.Errors) > 0:
		return f.Errors[0].Error()
	case f.Execution != nil:
		return "run requested: " + f.Execution.Name
	}
	return f.Waiting
}

func execName(f ingest.FileResult) string {
	if f.Execution == nil {
		return "none"
	}
	return f.Execution.Name
}

func seedOrganizations(ctx context.Context, st *store.Store, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var orgs []store.Organization
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

func ensureBucket(ctx context.Context, objs *objstore.Store, bucket string) error {
	_, err := objs.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

var exportName = regexp.MustCompile(`^(billing|acquiring)-(.+)-\d{4}-\d{2}-\d{2}\.csv$`)

// upload puts one export under incoming/<kind>/<org>/ and returns the S3
// event AWS would deliver for it (URL-encoded key, ETag, sequencer).
func upload(ctx context.Context, objs *objstore.Store, bucket, path string, seq int) (events.S3Event, error) {
	name := filepath.Base(path)
	m := exportName.FindStringSubmatch(name)
	if m == nil {
		return events.S3Event{}, fmt.Errorf("%s: name exports <billing|acquiring>-<org>-<YYYY-MM-DD>.csv", path)
	}
	key := fmt.Sprintf("incoming/%s/%s/%s", m[1], m[2], name)
	f, err := os.Open(path)
	if err != nil {
		return events.S3Event{}, err
	}
	defer f.Close()
	out, err := objs.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: f,
		ContentType: aws.String("text/csv")})
	if err != nil {
		return events.S3Event{}, fmt.Errorf("upload %s: %w", key, err)
	}
	fi, _ := f.Stat()
	var rec events.S3EventRecord
	rec.EventSource, rec.EventName, rec.AWSRegion = "aws:s3", "ObjectCreated:Put", "ru-central-1"
	rec.EventTime = time.Now().UTC()
	rec.S3.Bucket.Name = bucket
	rec.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	rec.S3.Object.Size = fi.Size()
	rec.S3.Object.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
	rec.S3.Object.VersionID = aws.ToString(out.VersionId)
	rec.S3.Object.Sequencer = fmt.Sprintf("%016X", time.Now().UnixNano()+int64(seq))
	return events.S3Event{Records: []events.S3EventRecord{rec}}, nil
}

// invoke runs a function binary with an event on stdin, as `sam local
// invoke` would, and decodes its result.
func invoke(bin string, event, result any) error {
	payload, err := json.Marshal(event)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "-")
	cmd.Stdin = bytes.NewReader(payload)
	cmd.Stderr = logTail{}
	out, err := cmd.Output()
	if err != nil {
		var failure struct{ ErrorType, ErrorMessage string }
		if json.Unmarshal(out, &failure) == nil && failure.ErrorType != "" {
			return fmt.Errorf("%s: %s: %s", filepath.Base(bin), failure.ErrorType, failure.ErrorMessage)
		}
		return fmt.Errorf("%s: %w", filepath.Base(bin), err)
	}
	return json.Unmarshal(out, result)
}

// logTail passes the functions' JSON logs through when LOCALRUN_LOGS=1.
type logTail struct{}

func (logTail) Write(p []byte) (int, error) {
	if os.Getenv("LOCALRUN_LOGS") == "1" {
		os.Stderr.Write(p)
	}
	return len(p), nil
}

func printRun(ctx context.Context, st *store.Store, res *recon.Result, localRoot, bucket string) error {
	days, err := st.ReconDays(ctx, res.RunID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tbilling\tbilling sum\tbank\tbank sum\tmatched\tmismatched\tbilling only\tbank only\tdifference\t")
	for _, d := range days {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", d.Day, d.BillingCount, d.BillingSum,
			d.AcquiringCount, d.AcquiringSum, d.Matched, d.Mismatched, d.BillingOnly, d.AcquiringOnly, d.Difference())
	}
	fmt.Fprintf(tw, "total\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", res.BillingRows, res.BillingSum, res.AcquiringRows,
		res.AcquiringSum, res.Matched, res.Mismatched, res.BillingOnly, res.AcquiringOnly, res.Difference)
	tw.Flush()
	fmt.Printf("  run %d (%s, %d ms); reports:\n    %s\n    %s\n", res.RunID, res.Status, res.DurationMillis, res.ReportCSV, res.ReportHTML)
	if localRoot != "" {
		fmt.Printf("    open in a browser: file://%s\n", filepath.Join(localRoot, bucket, strings.TrimPrefix(res.ReportHTML, "s3://"+bucket+"/")))
	}
	return nil
}
