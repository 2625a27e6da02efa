package main

import (
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// S3 invokes upload-trigger asynchronously: an event that fails its
// retries goes to an encrypted queue kept 14 days, and the queue alarms.
// Before, the event was dropped and the file never registered.
func TestUploadEventsThatFailAreKept(t *testing.T) {
	s := synth(t)
	trigger, queue, topic := s.logicalID(t, uploadTriggerName), s.logicalID(t, "UploadFailures"), s.logicalID(t, "Alarms")
	check(t, "the queue is encrypted and keeps messages 14 days", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
		})
	})
	check(t, "the queue refuses requests without TLS", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"Queues": []any{map[string]any{"Ref": queue}},
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Effect":    "Deny",
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				}),
			})}),
		})
	})
	check(t, "failed async invocations of upload-trigger go to the queue, with explicit retries and age", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
			"FunctionName":             map[string]any{"Ref": trigger},
			"MaximumRetryAttempts":     2,
			"MaximumEventAgeInSeconds": 6 * 3600,
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{
				"Destination": map[string]any{"Fn::GetAtt": []any{queue, "Arn"}}}},
		})
	})
	sends := false
	for _, st := range s.json.statementsOfRole(s.json.roleOf(trigger)) {
		if slices.Contains(st.Actions, "sqs:SendMessage") && len(st.Resources) == 1 && getAttID(st.Resources[0]) == queue {
			sends = true
		}
	}
	if !sends {
		t.Error("upload-trigger may not send to the failure queue")
	}
	check(t, "a message on the queue raises an alarm to the alarm topic", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace":          "AWS/SQS",
			"MetricName":         "ApproximateNumberOfMessagesVisible",
			"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{queue, "QueueName"}}}},
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"Threshold":          1,
			"AlarmActions":       []any{map[string]any{"Ref": topic}},
		})
	})
}
