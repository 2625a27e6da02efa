package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
)

// jsonNames are the JSON names of a struct type's fields, those of
// embedded structs included, as encoding/json flattens them.
func jsonNames(v any) map[string]bool {
	names := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(v)) {
		if f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names[name] = true
	}
	return names
}

// Every Task's payload and result selector names fields of the contract's
// request and result types of the function it invokes; the error names the
// definition matches and raises are the contract's.
func TestDefinitionSpeaksTheContract(t *testing.T) {
	var m struct {
		States map[string]json.RawMessage
	}
	if err := json.Unmarshal(definition(t), &m); err != nil {
		t.Fatal(err)
	}
	types := map[string][2]any{
		"reconciler": {contract.ReconcilerRequest{}, contract.ReconcilerResult{}},
		"canceller":  {contract.ReconcilerRequest{}, contract.CancellerResult{}},
		"enricher":   {contract.EnricherRequest{}, contract.EnricherResult{}},
		"packer":     {contract.PackerRequest{}, contract.PackerResult{}},
		"sender":     {contract.SenderRequest{}, contract.SenderResult{}},
		"poller":     {contract.PollerRequest{}, contract.PollerResult{}},
		"approval":   {contract.ApprovalRequest{}, contract.ApprovalResult{}},
		"scheduler":  {contract.SchedulerRequest{}, contract.SchedulerResult{}},
	}
	var states []map[string]any
	collect := func(raw map[string]json.RawMessage) {
		for _, r := range raw {
			var s map[string]any
			json.Unmarshal(r, &s)
			states = append(states, s)
		}
	}
	collect(m.States)
	tasks := 0
	for i := 0; i < len(states); i++ {
		s := states[i]
		if ip, ok := s["ItemProcessor"].(map[string]any); ok {
			b, _ := json.Marshal(ip["States"])
			var inner map[string]json.RawMessage
			json.Unmarshal(b, &inner)
			collect(inner)
		}
		if s["Type"] == "Fail" && s["Error"] != nil && s["Error"] != contract.RunTimedOut && s["Error"] != contract.ApprovalExpired {
			t.Errorf("a Fail state raises %v, not a contract error name", s["Error"])
		}
		if s["Type"] != "Task" {
			continue
		}
		res, _ := s["Resource"].(string)
		params, _ := s["Parameters"].(map[string]any)
		if strings.HasSuffix(res, ".waitForTaskToken") { // the function and its payload are parameters
			res, _ = params["FunctionName"].(string)
			params, _ = params["Payload"].(map[string]any)
		}
		fn := res[strings.LastIndex(res, ":")+1:]
		pair, ok := types[fn]
		if !ok {
			t.Errorf("a task invokes %q, which has no contract types here", res)
			continue
		}
		tasks++
		req, result := jsonNames(pair[0]), jsonNames(pair[1])
		if strings.HasSuffix(s["Resource"].(string), ".waitForTaskToken") {
			result = jsonNames(contract.ApprovalOutcome{}) // what the decision sends, not what the function returns
		}
		for k := range params {
			if !req[strings.TrimSuffix(k, ".$")] {
				t.Errorf("%s's payload key %q is not a field of its request", fn, k)
			}
		}
		sel, _ := s["ResultSelector"].(map[string]any)
		for k := range sel {
			if !result[strings.TrimSuffix(k, ".$")] {
				t.Errorf("%s's result selector key %q is not a field of its result", fn, k)
			}
		}
		retry, _ := s["Retry"].([]any)
		for _, r := range retry {
			var names []string
			for _, n := range r.(map[string]any)["ErrorEquals"].([]any) {
				names = append(names, n.(string))
			}
			if !slices.Contains(names, contract.TransientError) || slices.Contains(names, contract.InvalidInput) ||
				slices.Contains(names, contract.InternalError) {
				t.Errorf("%s retries %v: want TransientError, not InvalidInput or InternalError", fn, names)
			}
		}
	}
	if tasks < 6 {
		t.Errorf("checked %d tasks, want the six Lambda tasks", tasks)
	}
}
