package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/gispayments/gis-payments/internal/lambdalocal"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

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
	return lambdalocal.ObjectCreated(lambdalocal.Object{Bucket: bucket, Key: key, Size: size, Principal: "AWS:AIDALOCAL:accountant",
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), VersionID: aws.ToString(out.VersionId),
		Sequencer: fmt.Sprintf("%016X", time.Now().UnixNano()+int64(seq))}), nil
}

// trigger hands an S3 event to upload-trigger through the Invoke API.
func trigger(invokeURL string, ev events.S3Event) (uploadtrigger.FileResult, error) {
	var res uploadtrigger.Result
	if err := lambdalocal.Invoke(invokeURL, "upload-trigger", ev, &res); err != nil {
		return uploadtrigger.FileResult{}, err
	}
	if len(res.Files) != 1 {
		return uploadtrigger.FileResult{}, fmt.Errorf("upload-trigger answered for %d files, want 1", len(res.Files))
	}
	return res.Files[0], nil
}
