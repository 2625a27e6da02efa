package uploadtrigger

import (
	"context"
	"encoding/json"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/gispayments/gis-payments/internal/contract"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// fakeSFN answers StartExecution over the service's real JSON protocol:
// a name starts once; the same name again is ExecutionAlreadyExists.
func fakeSFN(t *testing.T) (*sfn.Client, map[string]string) {
	var mu sync.Mutex
	started := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		var in struct{ StateMachineArn, Name, Input string }
		json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if _, ok := started[in.Name]; ok {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"com.amazonaws.swf.base.model#ExecutionAlreadyExists","message":"Execution Already Exists"}`))
			return
		}
		started[in.Name] = in.Input
		w.Write([]byte(`{"executionArn":"arn:aws:states:eu-central-1:123456789012:execution:sm:` + in.Name + `","startDate":1.7e9}`))
	}))
	t.Cleanup(srv.Close)
	client := sfn.NewFromConfig(aws.Config{Region: "eu-central-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return client, started
}

func TestStartIsIdempotent(t *testing.T) {
	client, started := fakeSFN(t)
	s := &StepFunctions{Client: client, StateMachineARN: "arn:aws:states:eu-central-1:123456789012:stateMachine:sm"}
	ok, err := s.Start(context.Background(), "uk1-acquiring-abc", []byte(`{"org":"uk1"}`))
	if err != nil || !ok {
		t.Fatalf("first start: %v %v", ok, err)
	}
	ok, err = s.Start(context.Background(), "uk1-acquiring-abc", []byte(`{"org":"uk1"}`))
	if err != nil || ok {
		t.Fatalf("second start: started=%v err=%v, want false, nil", ok, err)
	}
	if len(started) != 1 || started["uk1-acquiring-abc"] != `{"org":"uk1"}` {
		t.Errorf("started %v", started)
	}
}

// The sample events in events/upload-trigger decode into what the handler
// takes and carry keys the trigger understands (internal/contract checks
// their round trip).
func TestSampleEvents(t *testing.T) {
	for name, data := range contract.Fixtures(t, "upload-trigger") {
		var ev events.S3Event
		if err := json.Unmarshal(data, &ev); err != nil || len(ev.Records) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := parseKey(mustUnescape(t, ev.Records[0].S3.Object.Key)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func mustUnescape(t *testing.T, key string) string {
	t.Helper()
	k, err := url.QueryUnescape(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
