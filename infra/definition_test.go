package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/infra/asl"
)

// definition is the state machine as plain ASL, Lambda ARNs naming the
// functions (…:function:reconciler).
func definition(t *testing.T) []byte {
	t.Helper()
	s := synth(t)
	def, err := asl.FromStateMachine(*s.template.ToJSON(), runsLogicalID(s.stack), asl.ARNPattern(exampleARN, functionLogicalIDs(s.stack)))
	if err != nil {
		t.Fatal(err)
	}
	return def
}

type aslState struct {
	Type          string
	Next, Default string
	Resource      string
	Choices       []struct{ Next string }
	Catch         []struct {
		ErrorEquals      []string
		ResultPath, Next string
	}
	Retry          []map[string]any
	Seconds        float64
	MaxConcurrency float64
	ItemsPath      string
	ItemProcessor  *aslMachine
	ErrorPath      string
	CausePath      string
	Parameters     map[string]any
	TimeoutSeconds float64
}

type aslMachine struct {
	StartAt        string
	TimeoutSeconds float64
	States         map[string]aslState
}

func parseDefinition(t *testing.T) aslMachine {
	t.Helper()
	var m aslMachine
	if err := json.Unmarshal(definition(t), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDefinitionFollowsTheDesign(t *testing.T) {
	m := parseDefinition(t)
	want := map[string][]string{ // where each state may go; "!" marks a Catch
		"Cancellation or reconciliation?":   {"Reconcile billing and acquiring", "Register cancellations"},
		"Register cancellations":            {"!Run failed", "Pack and sign payments"},
		"Reconcile billing and acquiring":   {"!Run failed", "!Tell of no exports", "Check approval policy"},
		"Tell of no exports":                {"!No exports for the day", "No exports for the day"},
		"No exports for the day":            nil,
		"Check approval policy":             {"!Record failure", "Approval needed?"},
		"Approval needed?":                  {"Look up payment documents", "Wait for approval"},
		"Wait for approval":                 {"!Mark approval expired", "!Record failure", "!Run declined", "Look up payment documents"},
		"Look up payment documents":         {"!Record failure", "Payment documents answered?"},
		"Payment documents answered?":       {"Pack and sign payments", "Wait for payment documents"},
		"Wait for payment documents":        {"Look up payment documents"},
		"Mark approval expired":             {"!Record failure", "Approval expired"},
		"Approval expired":                  nil,
		"Run declined":                      nil,
		"Pack and sign payments":            {"!Record failure", "Any packages?"},
		"Any packages?":                     {"Finish", "Send packages"},
		"Send packages":                     {"!Record failure", "Wait for GIS"},
		"Wait for GIS":                      {"Poll package states"},
		"Poll package states":               {"!Record failure", "All packages done?"},
		"All packages done?":                {"Finish", "Mark run timed out", "Unsent packages left to the sweep", "Wait for GIS"},
		"Mark run timed out":                {"!Record failure", "Run timed out"},
		"Record failure":                    {"!Run failed", "Run failed"},
		"Run timed out":                     nil,
		"Run failed":                        nil,
		"Finish":                            nil,
		"Unsent packages left to the sweep": nil,
	}
	got := map[string][]string{}
	for name, st := range m.States {
		got[name] = transitions(st)
	}
	if m.StartAt != "Cancellation or reconciliation?" || !reflect.DeepEqual(got, want) {
		t.Errorf("start %q, transitions\n%v\nwant\n%v", m.StartAt, got, want)
	}

	if m.TimeoutSeconds != (30+48)*3600 {
		t.Errorf("TimeoutSeconds %v, want executionTimeoutHours from the context plus approvalTimeoutHours", m.TimeoutSeconds)
	}
	// A package whose sends fail past their retries is left to the sweep:
	// the iteration ends well, and the Map goes on to poll the others.
	item := m.States["Send packages"].ItemProcessor.States
	if c := item["Send packages of the batch"].Catch; len(c) != 1 || c[0].Next != "Package left to the sweep" || item[c[0].Next].Type != "Pass" {
		t.Errorf("Send package catches %+v", c)
	}
	if wait := m.States["Wait for GIS"]; wait.Seconds != 45 {
		t.Errorf("Wait for GIS waits %v s, want pollWaitSeconds from the context", wait.Seconds)
	}
	send := m.States["Send packages"]
	if send.Type != "Map" || send.MaxConcurrency != 7 || send.ItemsPath != "$.pack.send_batches" {
		t.Errorf("Send packages: %s over %s at most %v at once", send.Type, send.ItemsPath, send.MaxConcurrency)
	}
	if failed := m.States["Run failed"]; failed.ErrorPath != "$.failure.Error" || failed.CausePath != "$.failure.Cause" {
		t.Errorf("Run failed shows %q / %q, want the caught error and cause", failed.ErrorPath, failed.CausePath)
	}
}

func TestEveryTaskRetriesAndCatches(t *testing.T) {
	m := parseDefinition(t)
	tasks := map[string]aslState{}
	for name, st := range m.States {
		if st.Type == "Task" {
			tasks[name] = st
		}
	}
	for name, st := range m.States["Send packages"].ItemProcessor.States {
		if st.Type == "Task" {
			tasks[name] = st
		}
	}
	function := map[string]string{
		"Reconcile billing and acquiring": reconcilerName, "Pack and sign payments": packerName, "Send packages of the batch": senderName,
		"Poll package states": pollerName, "Mark run timed out": pollerName, "Record failure": pollerName,
		"Register cancellations": cancellerName,
		"Check approval policy":  approvalName, "Wait for approval": approvalName, "Mark approval expired": approvalName,
		"Tell of no exports": schedulerName, "Look up payment documents": enricherName,
	}
	// Catches before the last, States.ALL.
	specific := map[string][]string{
		"Reconcile billing and acquiring": {"NoExports"},
		"Wait for approval":               {"ApprovalDeclined", "States.Timeout"},
	}
	wantRetry := []map[string]any{{
		"ErrorEquals": []any{"TransientError", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
			"Lambda.TooManyRequestsException", "Lambda.Unknown", "Lambda.ClientExecutionTimeoutException", "Sandbox.Timedout",
			"Runtime.ExitError", "Runtime.OutOfMemory"},
		"IntervalSeconds": 2.0, "BackoffRate": 2.0, "MaxAttempts": 5.0, "JitterStrategy": "FULL", "MaxDelaySeconds": 60.0,
	}}
	if len(tasks) != len(function) {
		t.Errorf("tasks %v", keys(tasks))
	}
	for name, st := range tasks {
		resource := st.Resource
		if resource == "arn:aws:states:::lambda:invoke.waitForTaskToken" {
			resource = st.Parameters["FunctionName"].(string)
		}
		if want := strings.Replace(exampleARN, "<name>", function[name], 1); resource != want {
			t.Errorf("%s invokes %s, want %s", name, resource, want)
		}
		if !reflect.DeepEqual(st.Retry, wantRetry) {
			t.Errorf("%s retries %v", name, st.Retry)
		}
		var caught []string
		for _, c := range st.Catch[:max(len(st.Catch)-1, 0)] {
			caught = append(caught, c.ErrorEquals...)
		}
		if len(st.Catch) == 0 || !reflect.DeepEqual(st.Catch[len(st.Catch)-1].ErrorEquals, []string{"States.ALL"}) ||
			!reflect.DeepEqual(caught, specific[name]) {
			t.Errorf("%s catches %+v", name, st.Catch)
		}
	}
}

// TestDefinitionIsValidASL runs the npm package asl-validator (pinned in
// package.json) over the resolved definition.
func TestDefinitionIsValidASL(t *testing.T) {
	validator, err := filepath.Abs(filepath.Join("node_modules", ".bin", "asl-validator"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(validator); err != nil {
		t.Skip("asl-validator is not installed: run `npm ci` in infra/")
	}
	validate := func(def []byte) (string, error) {
		file := filepath.Join(t.TempDir(), "definition.asl.json")
		if err := os.WriteFile(file, def, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(validator, "--json-path", file).CombinedOutput()
		return string(out), err
	}
	def := definition(t)
	if out, err := validate(def); err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, out)
	}
	// The validator must be able to fail here: a definition missing a
	// state that others go to is refused.
	broken := strings.Replace(string(def), `"Finish": {`, `"Finished": {`, 1)
	if out, err := validate([]byte(broken)); err == nil {
		t.Errorf("asl-validator accepted a definition without its Finish state:\n%s", out)
	}
}

// transitions lists where a state may go, catches marked "!", sorted.
func transitions(st aslState) []string {
	var out []string
	for _, next := range []string{st.Next, st.Default} {
		if next != "" {
			out = append(out, next)
		}
	}
	for _, c := range st.Choices {
		out = append(out, c.Next)
	}
	for _, c := range st.Catch {
		out = append(out, "!"+c.Next)
	}
	sort.Strings(out)
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
