package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/notify"
)

// endpoint speaks as much of EventBridge's JSON protocol (PutEvents) and
// SNS's query protocol (Publish) as the notices use, and keeps what it was
// sent.
type endpoint struct {
	mu       sync.Mutex
	events   []map[string]any
	publish  []url.Values
	failNext string // an EventBridge entry error code for the next PutEvents
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
		var in map[string]any
		json.Unmarshal(body, &in)
		e.events = append(e.events, in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if e.failNext != "" {
			json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": 1, "Entries": []any{map[string]any{"ErrorCode": e.failNext, "ErrorMessage": "refused"}}})
			e.failNext = ""
			return
		}
		w.Write([]byte(`{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`))
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "Publish" {
		http.Error(w, "unexpected "+string(body), http.StatusBadRequest)
		return
	}
	e.publish = append(e.publish, form)
	w.Header().Set("Content-Type", "text/xml")
	w.Write([]byte(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult>` +
		`<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`))
}

func notifier(t *testing.T) (*notify.Notifier, *endpoint) {
	e := &endpoint{}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	creds := aws.AnonymousCredentials{}
	eb := eventbridge.New(eventbridge.Options{Region: "eu-central-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})
	topic := sns.New(sns.Options{Region: "eu-central-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds})
	return &notify.Notifier{Events: eb, Topic: topic, TopicARN: "arn:aws:sns:eu-central-1:123456789012:notices"}, e
}

// The real EventBridge client puts one entry on the default bus whose
// detail has the run's counts, links and the readable summary.
func TestRunSettledEvent(t *testing.T) {
	n, e := notifier(t)
	s := notify.Settled{Org: "uk-dom", RunID: 17, Status: contract.RunFinishedWithErrors, Payments: 5, Loaded: 4, Rejected: 1,
		Held: 2, Matched: 5, Unmatched: 2, Decision: "approve", DecidedBy: "s3:AIDAEXAMPLE",
		ReportHTML: "s3://exports/reports/17/report.html", Results: "s3://exports/results/17.csv"}
	s.Attention = notify.NeedsAttention(s)
	if err := n.RunSettled(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(e.events) != 1 {
		t.Fatalf("%d PutEvents calls", len(e.events))
	}
	entries := e.events[0]["Entries"].([]any)
	entry := entries[0].(map[string]any)
	if len(entries) != 1 || entry["Source"] != "gis-payments" || entry["DetailType"] != "Run settled" || entry["EventBusName"] != nil {
		t.Errorf("entry %v", entry)
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(entry["Detail"].(string)), &detail); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"org": "uk-dom", "run_id": 17.0, "status": "finished_with_errors", "payments": 5.0, "loaded": 4.0,
		"rejected": 1.0, "errors": 0.0, "held": 2.0, "matched": 5.0, "unmatched": 2.0, "attention": true,
		"decision": "approve", "decided_by": "s3:AIDAEXAMPLE", "report_html": "s3://exports/reports/17/report.html",
		"results": "s3://exports/results/17.csv",
		"summary": "Run 17 of uk-dom ended finished_with_errors: 4 of 5 payments loaded, 1 rejected, 0 in error, 2 held; approved by s3:AIDAEXAMPLE."}
	for k, v := range want {
		if detail[k] != v {
			t.Errorf("detail %s = %v, want %v", k, detail[k], v)
		}
	}
	e.failNext = "ThrottlingException"
	if err := n.RunSettled(context.Background(), s); err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Errorf("a refused entry: %v", err)
	}
}

// A clean run needs nobody.
func TestNeedsAttention(t *testing.T) {
	if notify.NeedsAttention(notify.Settled{Status: contract.RunFinished, Payments: 3, Loaded: 3}) {
		t.Error("a clean run needs attention")
	}
	for _, s := range []notify.Settled{{Status: contract.RunFinishedWithErrors}, {Status: contract.RunFinished, Held: 1},
		{Status: contract.RunFinished, Rejected: 1}, {Status: contract.RunApprovalExpired}} {
		if !notify.NeedsAttention(s) {
			t.Errorf("%+v needs nobody", s)
		}
	}
}

// The real SNS client publishes {"org", "notice"} with a subject, which an
// organisation's contact's filter policy (on the body's org) selects.
func TestNoticeIsPublished(t *testing.T) {
	n, e := notifier(t)
	if err := n.Notice(context.Background(), "uk-dom", "Run 17 of uk-dom waits for approval", "Upload approvals/17.csv."); err != nil {
		t.Fatal(err)
	}
	if len(e.publish) != 1 {
		t.Fatalf("%d Publish calls", len(e.publish))
	}
	p := e.publish[0]
	if p.Get("TopicArn") != n.TopicARN || p.Get("Subject") != "Run 17 of uk-dom waits for approval" ||
		p.Get("Message") != `{"org":"uk-dom","notice":"Upload approvals/17.csv."}` {
		t.Errorf("published %v", p)
	}
	var off notify.Notifier // no topic: nothing to send, no error
	if err := off.Notice(context.Background(), "uk-dom", "s", "t"); err != nil {
		t.Error(err)
	}
}
