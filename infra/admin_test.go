package main

import (
	"slices"
	"strings"
	"testing"
)

// The admin function may start executions and answer task tokens of this
// state machine, read the database's secret, and nothing of the buckets;
// the GisPaymentsAdmin policy lets its holder invoke that function only.
func TestAdminFunctionIsLeastPrivilege(t *testing.T) {
	s := synth(t)
	fn, sm := s.logicalID(t, adminName), s.logicalID(t, "Runs")
	if refID(s.json.environment(fn)["STATE_MACHINE_ARN"]) != sm {
		t.Errorf("STATE_MACHINE_ARN: %v", s.json.environment(fn)["STATE_MACHINE_ARN"])
	}
	var actions []string
	for _, st := range s.json.statementsOfRole(s.json.roleOf(fn)) {
		for _, a := range st.Actions {
			actions = append(actions, a)
			switch {
			case strings.HasPrefix(a, "states:"):
				if len(st.Resources) != 1 || refID(st.Resources[0]) != sm {
					t.Errorf("%s on %v, want the state machine only", a, asJSON(st.Resources))
				}
			case strings.HasPrefix(a, "s3:"), strings.HasPrefix(a, "lambda:"), a == "*":
				t.Errorf("the admin function may %s on %v", a, asJSON(st.Resources))
			}
		}
	}
	for _, want := range []string{"states:StartExecution", "states:SendTaskSuccess", "secretsmanager:GetSecretValue"} {
		if !slices.Contains(actions, want) {
			t.Errorf("the admin function may not %s: %v", want, actions)
		}
	}
	policies := s.json.ofType("AWS::IAM::ManagedPolicy")
	var found bool
	for _, p := range policies {
		if p.Properties["ManagedPolicyName"] != "GisPaymentsAdmin" {
			continue
		}
		found = true
		doc := p.Properties["PolicyDocument"].(map[string]any)
		sts := doc["Statement"].([]any)
		st := sts[0].(map[string]any)
		if len(sts) != 1 || asJSON(st["Action"]) != `"lambda:InvokeFunction"` ||
			len(list(st["Resource"])) != 1 || getAttID(list(st["Resource"])[0]) != fn {
			t.Errorf("GisPaymentsAdmin: %s", asJSON(doc))
		}
	}
	if !found {
		t.Error("no managed policy GisPaymentsAdmin")
	}
}
