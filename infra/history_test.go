package main

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
)

// historyLimit is Step Functions' limit of events in one execution's
// history (a Standard workflow; an inline Map's iterations count in it).
const historyLimit = 25_000

// taskEvents is what a Task state adds to the history when it is tried
// attempts times: entered and exited, then per attempt TaskScheduled,
// TaskStarted and TaskSucceeded or TaskFailed.
func taskEvents(attempts int) int { return 2 + 3*attempts }

// stateEvents is what one pass through a state adds: a Task tried
// attempts times, any other state its entered and exited events.
func stateEvents(st aslState, attempts int) int {
	if st.Type == "Task" {
		return taskEvents(attempts)
	}
	return 2
}

// retryAttempts is the most attempts a task's Retry allows for an error it
// names (its first retrier's MaxAttempts, plus the first try).
func retryAttempts(t *testing.T, st aslState) int {
	t.Helper()
	if len(st.Retry) == 0 {
		return 1
	}
	n, ok := st.Retry[0]["MaxAttempts"].(float64)
	if !ok {
		t.Fatalf("a retrier without MaxAttempts: %v", st.Retry[0])
	}
	return 1 + int(n)
}

// estimateHistory counts the events of a run whose Send Map has items
// items, each retried retries times (at most what its Retry allows)
// and whose poll loop goes on until the run times out: the worst case.
func estimateHistory(t *testing.T, m aslMachine, items, retries int, runTimeout time.Duration) int {
	t.Helper()
	s := m.States
	events := 2 // ExecutionStarted, ExecutionSucceeded/Failed
	for _, name := range []string{"Reconcile billing and acquiring", "Pack and sign payments", "Any packages?"} {
		events += stateEvents(s[name], 1)
	}
	send := s["Send packages"]
	events += 4  // MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited
	perItem := 2 // MapIterationStarted, MapIterationSucceeded
	for _, st := range send.ItemProcessor.States {
		if st.Type == "Task" {
			attempts := min(1+retries, retryAttempts(t, st))
			perItem += stateEvents(st, attempts)
			if attempts < 1+retries { // retries exhausted: the item's Catch runs its Pass
				perItem += 2
			}
		}
	}
	events += items * perItem
	// Wait, poll, choose, until the poller times the run out, then mark it.
	wait := time.Duration(s["Wait for GIS"].Seconds) * time.Second
	rounds := int(math.Ceil(float64(runTimeout)/float64(wait))) + 1
	loop := stateEvents(s["Wait for GIS"], 1) + stateEvents(s["Poll package states"], 1) + stateEvents(s["All packages done?"], 1)
	events += rounds * loop
	events += stateEvents(s["Mark run timed out"], 1) + 1 // and the Fail state's entered event
	return events
}

// A run of 3 000 000 payments (12 000 supplier packages of 250) whose every
// send item is retried four times, polled to the run's time-out at
// pollWaitSeconds, stays within the history limit; one package per item, as
// the Map was before, would not.
func TestHistoryOfTheLargestRun(t *testing.T) {
	m := parseDefinition(t)
	s := synth(t)
	var runTimeout time.Duration
	for id, name := range functionLogicalIDs(s.stack) {
		if name == pollerName {
			d, err := time.ParseDuration(s.json.environment(id)["RUN_TIMEOUT"].(string))
			if err != nil {
				t.Fatal(err)
			}
			runTimeout = d
		}
	}
	if runTimeout != 90*time.Minute {
		t.Fatalf("RUN_TIMEOUT %v, want runTimeoutMinutes from the context", runTimeout)
	}
	const packages = 12_000
	events := estimateHistory(t, m, (packages+contract.SendBatchSize-1)/contract.SendBatchSize, 4, runTimeout)
	t.Logf("12 000 packages, 4 retries each, polled for %v every %v s: about %d events", runTimeout, m.States["Wait for GIS"].Seconds, events)
	if events >= historyLimit {
		t.Errorf("about %d history events, over Step Functions' %d", events, historyLimit)
	}
	if one := estimateHistory(t, m, packages, 4, runTimeout); one < historyLimit {
		t.Errorf("one package per item would be %d events: the estimate misses what batching is for", one)
	}
	// The output of "Pack and sign payments" carries the batches; with
	// package ids of seven digits they stay well under the 256 KiB a
	// state's data may hold.
	ids := make([]int64, packages)
	for i := range ids {
		ids[i] = 9_000_000 + int64(i)
	}
	out, err := json.Marshal(contract.PackerResult{SendBatches: contract.Batches(ids, contract.SendBatchSize)})
	if err != nil || len(out) > 160<<10 {
		t.Errorf("the packer's output for %d packages takes %d bytes (%v)", packages, len(out), err)
	}
}
