package asl

import (
	"encoding/json"
	"strings"
	"testing"
)

// A DefinitionString as CDK synthesizes it for two Lambda tasks.
const template = `{"Resources": {
  "Fn1": {"Type": "AWS::Lambda::Function"},
  "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionString": {"Fn::Join": ["", [
    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"",
    {"Fn::GetAtt": ["reconciler7D7BE2A7", "Arn"]},
    "\",\"Next\":\"B\"},\"B\":{\"Type\":\"Task\",\"Resource\":\"",
    {"Fn::GetAtt": ["packerC538F8DD", "Arn"]},
    "\",\"End\":true}}}"
  ]]}}}
}}`

func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFromTemplate(t *testing.T) {
	arn := ARNPattern("arn:aws:lambda:us-east-1:123456789012:function:<name>", map[string]string{"reconciler7D7BE2A7": "reconciler"})
	def, err := FromTemplate(parse(t, template), arn)
	if err != nil {
		t.Fatal(err)
	}
	states := parse(t, string(def))["States"].(map[string]any)
	if got := states["A"].(map[string]any)["Resource"]; got != "arn:aws:lambda:us-east-1:123456789012:function:reconciler" {
		t.Errorf("A invokes %v", got)
	}
	// An ID without a name stands for itself.
	if got := states["B"].(map[string]any)["Resource"]; got != "arn:aws:lambda:us-east-1:123456789012:function:packerC538F8DD" {
		t.Errorf("B invokes %v", got)
	}
}

func TestResolvePlainString(t *testing.T) {
	def, err := Resolve(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, nil)
	if err != nil || !strings.Contains(string(def), `"Type": "Succeed"`) {
		t.Errorf("%s %v", def, err)
	}
}

func TestResolveRefusesWhatItCannotResolve(t *testing.T) {
	for name, def := range map[string]string{
		"a Ref":          `{"Fn::Join": ["", ["{", {"Ref": "AWS::Region"}, "}"]]}`,
		"another attr":   `{"Fn::Join": ["", ["{", {"Fn::GetAtt": ["Fn1", "Name"]}, "}"]]}`,
		"a bad join":     `{"Fn::Join": [""]}`,
		"not JSON after": `{"Fn::Join": ["", ["{\"Resource\":", {"Fn::GetAtt": ["Fn1", "Arn"]}, "}"]]}`,
	} {
		if _, err := Resolve(parse(t, `{"d":`+def+`}`)["d"], ARNPattern("<name>", nil)); err == nil {
			t.Errorf("%s: resolved", name)
		}
	}
}

func TestFromTemplateWantsOneStateMachine(t *testing.T) {
	if _, err := FromTemplate(parse(t, `{"Resources": {}}`), nil); err == nil {
		t.Error("a template without a state machine was accepted")
	}
}

// With two state machines the caller names one; a service integration's
// ARN gets the partition.
func TestFromStateMachine(t *testing.T) {
	two := parse(t, template)
	two["Resources"].(map[string]any)["Daily"] = map[string]any{"Type": "AWS::StepFunctions::StateMachine",
		"Properties": map[string]any{"DefinitionString": map[string]any{"Fn::Join": []any{"", []any{
			`{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:`, map[string]any{"Ref": "AWS::Partition"},
			`:states:::lambda:invoke.waitForTaskToken","End":true}}}`}}}}}
	if _, err := FromTemplate(two, nil); err == nil {
		t.Error("two state machines, one taken")
	}
	def, err := FromStateMachine(two, "Daily", nil)
	if err != nil || !strings.Contains(string(def), `"arn:aws:states:::lambda:invoke.waitForTaskToken"`) {
		t.Errorf("%s %v", def, err)
	}
}
