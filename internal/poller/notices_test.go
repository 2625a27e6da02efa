package poller_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/notify"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/testkit"
)

type settledSink struct {
	mu     sync.Mutex
	events []notify.Settled
	fail   error
}

func (s *settledSink) RunSettled(_ context.Context, ev notify.Settled) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, ev)
	return nil
}

// A settled run is announced once, with its counts and links; an event
// that failed to go out is sent by the next sweep.
func TestSettledRunIsAnnouncedOnce(t *testing.T) {
	e := testkit.New(t, 0)
	sink := &settledSink{fail: context.DeadlineExceeded}
	e.Poll.Notifier = sink
	runID, _ := sent(t, e, "uk_rso", 3)
	e.Clock.Add(2 * time.Minute)
	if r := pollRun(t, e, runID); r.Status != contract.RunFinished {
		t.Fatalf("%+v", r)
	}
	if len(sink.events) != 0 {
		t.Fatal("an event despite the failure")
	}
	sink.fail = nil
	if _, err := e.Poll.Poll(context.Background(), poller.Request{}); err != nil { // the sweep
		t.Fatal(err)
	}
	pollRun(t, e, runID)
	e.Poll.Poll(context.Background(), poller.Request{})
	if len(sink.events) != 1 {
		t.Fatalf("%d events, want 1", len(sink.events))
	}
	ev := sink.events[0]
	if ev.Org != "org1" || ev.RunID != runID || ev.Status != contract.RunFinished || ev.Payments != 3 || ev.Loaded != 3 || ev.Attention ||
		ev.Results != "s3://"+testkit.Exports+"/"+poller.ResultsKey(runID) || !strings.HasPrefix(ev.ReportHTML, "s3://"+testkit.Exports+"/reports/") {
		t.Errorf("event %+v", ev)
	}
	results := string(e.S3.Get(t, testkit.Exports, poller.ResultsKey(runID)))
	if !strings.Contains(results, "error;decision;decided_by;decided_at\r\n") && !strings.Contains(results, "error;decision;decided_by;decided_at\n") {
		t.Errorf("results header:\n%.300s", results)
	}
}

// The sweep counts payments taken longer ago than the limit and not loaded.
func TestUnloadedPaymentsMetric(t *testing.T) {
	e := testkit.New(t, 0)
	var metrics bytes.Buffer
	e.Poll.Metrics, e.Poll.MaxPaymentAge = &metrics, time.Hour
	sent(t, e, "uk_rso", 3)
	e.Clock.Add(2 * time.Hour) // GIS has not answered: the packages are still out
	e.Sim.SetDown(true)
	if _, err := e.Poll.Poll(context.Background(), poller.Request{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics.String(), `"UnloadedPaymentsOlderThan":3`) {
		t.Errorf("metrics %s", metrics.String())
	}
}
