package uploadtrigger_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/s3store/s3test"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

// recorder is a Starter that behaves like Step Functions' name rule: a name
// starts once.
type recorder struct {
	mu     sync.Mutex
	starts map[string]string
}

func (r *recorder) Start(_ context.Context, name string, input []byte) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.starts[name]; ok {
		return false, nil
	}
	r.starts[name] = string(input)
	return true, nil
}

const bucket = "exports"

func setup(t *testing.T) (*uploadtrigger.Service, *s3test.Server, *recorder) {
	s, _ := pgtest.New(t)
	pgtest.Organization(t, s, "uk1", "uk_rso")
	s3 := s3test.New(t, bucket)
	rec := &recorder{starts: map[string]string{}}
	return &uploadtrigger.Service{Store: s, Objects: s3.Store, Starter: rec, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}, s3, rec
}

func event(key, etag, sequencer string) events.S3Event {
	var e events.S3EventRecord
	e.EventName = "ObjectCreated:Put"
	e.S3.Bucket.Name = bucket
	e.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/") // as S3 sends it
	e.S3.Object.ETag = etag
	e.S3.Object.Sequencer = sequencer
	return events.S3Event{Records: []events.S3EventRecord{e}}
}

const (
	billing   = exportcsv.BillingHeader + "2026-11-21;B1;S1;SV1;LS1;10;0\n"
	acquiring = exportcsv.AcquiringHeader + "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;10;0\n"
)

func upload(t *testing.T, svc *uploadtrigger.Service, s3 *s3test.Server, key, body, seq string) uploadtrigger.FileResult {
	t.Helper()
	etag := s3.Put(t, bucket, key, []byte(body))
	res, err := svc.Handle(context.Background(), event(key, etag, seq))
	if err != nil {
		t.Fatal(err)
	}
	return res.Files[0]
}

func TestPairStartsOneRun(t *testing.T) {
	svc, s3, rec := setup(t)
	b := upload(t, svc, s3, "incoming/billing/uk1/счета 21.11.csv", billing, "01")
	if b.Status != "registered" || b.Execution != nil || !strings.Contains(b.Waiting, "acquiring") || b.Key != "incoming/billing/uk1/счета 21.11.csv" {
		t.Fatalf("billing upload: %+v", b)
	}
	a := upload(t, svc, s3, "incoming/acquiring/uk1/реестр.csv", acquiring, "02")
	if a.Execution == nil || !a.Execution.Started || len(a.Execution.Input.Files) != 2 ||
		a.Execution.Input.Files[0].Key != b.Key || a.Execution.Input.Files[1].Key != a.Key || a.Execution.Input.Org != "uk1" {
		t.Fatalf("acquiring upload: %+v", a.Execution)
	}
	// The same event again: the file is known, the execution is the same.
	etag := a.Execution.Input.Files[1].ETag
	res, err := svc.Handle(context.Background(), event("incoming/acquiring/uk1/реестр.csv", etag, "02"))
	if err != nil {
		t.Fatal(err)
	}
	again := res.Files[0]
	if !again.Duplicate || again.FileID != a.FileID || again.Execution == nil || again.Execution.Name != a.Execution.Name || again.Execution.Started {
		t.Fatalf("duplicate event: %+v", again)
	}
	if len(rec.starts) != 1 {
		t.Fatalf("%d executions started, want 1", len(rec.starts))
	}
	if n := len(uploadtrigger.ExecutionName(strings.Repeat("o", 63), &postgres.SourceFile{Kind: exportcsv.Acquiring})); n > 80 {
		t.Errorf("execution name is %d characters", n)
	}
}

func TestBadUploadsAreRegisteredFailed(t *testing.T) {
	tests := []struct {
		name, key, body, want string
	}{
		{"empty file", "incoming/billing/uk1/empty.csv", "", "file is empty: a header row is required"},
		{"missing column", "incoming/billing/uk1/short.csv", "date;bill_number\n", "missing column supplier_id"},
		{"wrong kind", "incoming/billing/uk1/registry.csv", acquiring, "wrong kind of file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, s3, rec := setup(t)
			upload(t, svc, s3, "incoming/acquiring/uk1/a.csv", acquiring, "01")
			got := upload(t, svc, s3, tt.key, tt.body, "02")
			if got.Status != "failed" || len(got.Errors) == 0 || !strings.Contains(got.Errors[0].Error(), tt.want) ||
				got.Errors[0].File != tt.key || got.Execution != nil || len(rec.starts) != 0 {
				t.Fatalf("got %+v (errors %v), want failed with %q", got, got.Errors, tt.want)
			}
		})
	}
}

func TestIgnoredUploads(t *testing.T) {
	svc, s3, _ := setup(t)
	for key, want := range map[string]string{
		"reports/1/report.html":         "not an export",
		"incoming/other/uk1/a.csv":      "unknown kind",
		"incoming/billing/nobody/a.csv": "unknown organisation",
	} {
		got := upload(t, svc, s3, key, billing, "01")
		if got.Status != "ignored" || !strings.Contains(got.Errors[0].Msg, want) {
			t.Errorf("%s: %+v", key, got)
		}
	}
}

func TestFileTooLarge(t *testing.T) {
	svc, s3, _ := setup(t)
	svc.Limits = exportcsv.Limits{MaxBytes: 20}
	got := upload(t, svc, s3, "incoming/billing/uk1/big.csv", billing, "01")
	if got.Status != "failed" || !strings.Contains(got.Errors[0].Msg, "file too large") {
		t.Fatalf("%+v", got)
	}
}
