package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The approval wait is a waitForTaskToken Task with the deadline from the
// context; the token reaches the function in its payload.
func TestApprovalWait(t *testing.T) {
	wait := parseDefinition(t).States["Wait for approval"]
	payload, _ := wait.Parameters["Payload"].(map[string]any)
	if wait.Resource != "arn:aws:states:::lambda:invoke.waitForTaskToken" || wait.TimeoutSeconds != 48*3600 ||
		payload["task_token.$"] != "$$.Task.Token" || payload["run_id.$"] != "$.reconcile.run_id" {
		t.Errorf("Wait for approval: %s, %v s, payload %v", wait.Resource, wait.TimeoutSeconds, payload)
	}
}

// flatDefinition is a DefinitionString with every token written as <ref>.
func flatDefinition(t *testing.T, v any) map[string]any {
	t.Helper()
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case map[string]any:
			if join, ok := v["Fn::Join"].([]any); ok {
				for _, p := range join[1].([]any) {
					walk(p)
				}
				return
			}
			b.WriteString("<ref>")
		}
	}
	walk(v)
	var def map[string]any
	if err := json.Unmarshal([]byte(b.String()), &def); err != nil {
		t.Fatalf("%s: %v", b.String(), err)
	}
	return def
}

// One daily schedule (TestSchedules) starts the fan-out: the organisations
// from the scheduler function, then a bounded Map that starts one run per
// organisation under the name it was given, a repeated name counting as
// started.
func TestDailyFanOut(t *testing.T) {
	s := synth(t)
	daily := s.json.Resources[s.logicalID(t, "DailyRuns")]
	def := flatDefinition(t, daily.Properties["DefinitionString"])
	states := def["States"].(map[string]any)
	list := states["List active organisations"].(map[string]any)
	if def["StartAt"] != "List active organisations" || !strings.HasSuffix(fmt.Sprint(list["Resource"]), "<ref>") ||
		fmt.Sprint(list["Parameters"]) != "map[list_orgs:true scheduled_time.$:$.scheduled_time]" {
		t.Errorf("first state %v: %v", def["StartAt"], list)
	}
	each := states["Start a run per organisation"].(map[string]any)
	if each["Type"] != "Map" || each["ItemsPath"] != "$.runs" || each["MaxConcurrency"] != 3.0 {
		t.Errorf("fan-out %v", each)
	}
	inner := each["ItemProcessor"].(map[string]any)["States"].(map[string]any)
	start := inner["Start the organisation's run"].(map[string]any)
	params := start["Parameters"].(map[string]any)
	if start["Resource"] != "arn:<ref>:states:::states:startExecution" || params["Name.$"] != "$.name" || params["Input.$"] != "$.input" ||
		params["StateMachineArn"] != "<ref>" {
		t.Errorf("start %v", start)
	}
	catch, _ := json.Marshal(start["Catch"])
	if !strings.Contains(string(catch), `"ErrorEquals":["StepFunctions.ExecutionAlreadyExistsException"],"Next":"Run already started"`) ||
		inner["Run already started"].(map[string]any)["Type"] != "Pass" {
		t.Errorf("catch %s", catch)
	}
	starts := s.json.statementsOfRole(getAttID(daily.Properties["RoleArn"]))
	var startsRuns bool
	for _, st := range starts {
		startsRuns = startsRuns || slices.Contains(st.Actions, "states:StartExecution") && refID(st.Resources[0]) == s.logicalID(t, "Runs")
	}
	if !startsRuns {
		t.Errorf("the fan-out's role may not start runs: %s", asJSON(starts))
	}
}

func TestNoticesAndAlarms(t *testing.T) {
	s := synth(t)
	topic, daily, alarms := s.logicalID(t, "Notices"), s.logicalID(t, "DailyRuns"), s.logicalID(t, "Alarms")
	check(t, "settled runs needing a person go to the Notices topic as {org, notice}", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventPattern": map[string]any{"source": []any{"gis-payments"}, "detail-type": []any{"Run settled"},
				"detail": map[string]any{"attention": []any{true}}},
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn": map[string]any{"Ref": topic},
				"InputTransformer": map[string]any{
					"InputPathsMap": map[string]any{"detail-org": "$.detail.org", "detail-summary": "$.detail.summary",
						"detail-report_html": "$.detail.report_html", "detail-results": "$.detail.results"},
					"InputTemplate": `{"notice":"<detail-summary> Report: <detail-report_html> Results: <detail-results>","org":<detail-org>}`,
				},
			})},
		})
	})
	check(t, "no daily run started in 24 hours", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace": "AWS/States", "MetricName": "ExecutionsStarted",
			"Dimensions": []any{map[string]any{"Name": "StateMachineArn", "Value": map[string]any{"Ref": daily}}},
			"Period":     3600, "EvaluationPeriods": 24, "DatapointsToAlarm": 24, "Statistic": "Sum",
			"ComparisonOperator": "LessThanThreshold", "Threshold": 1, "TreatMissingData": "breaching",
			"AlarmActions": []any{map[string]any{"Ref": alarms}},
		})
	})
	check(t, "payments unloaded past paymentMaxAgeHours", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace": "GisPayments", "MetricName": "UnloadedPaymentsOlderThan", "Statistic": "Maximum",
			"ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
			"AlarmActions": []any{map[string]any{"Ref": alarms}},
		})
	})
	poller := s.logicalID(t, pollerName)
	if env := s.json.environment(poller); env["PAYMENT_MAX_AGE_HOURS"] != "36" || env["EVENTS_ENABLED"] != "1" {
		t.Errorf("poller environment %v", env)
	}
	mayDo := func(fn, action string) bool {
		for _, st := range s.json.statementsOfRole(s.json.roleOf(s.logicalID(t, fn))) {
			if slices.Contains(st.Actions, action) {
				return true
			}
		}
		return false
	}
	for fn, action := range map[string]string{pollerName: "events:PutEvents", approvalName: "sns:Publish",
		schedulerName: "sns:Publish", uploadTriggerName: "states:SendTaskSuccess"} {
		if !mayDo(fn, action) {
			t.Errorf("%s may not %s", fn, action)
		}
	}
	for _, fn := range []string{approvalName, schedulerName} {
		if refID(s.json.environment(s.logicalID(t, fn))["NOTICES_TOPIC_ARN"]) != topic {
			t.Errorf("%s does not publish to the Notices topic", fn)
		}
	}
}
