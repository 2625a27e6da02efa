package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	eventtargets "github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The poller's "Run settled" events, and its sweep's metric of payments
// left unloaded.
const (
	eventSource            = "gis-payments"
	runSettledDetailType   = "Run settled"
	unloadedPaymentsMetric = "UnloadedPaymentsOlderThan"
	approvalsPrefix        = "approvals/"
)

// newNotices wires what tells people about runs:
//   - approvals/<run>.csv uploads reach upload-trigger, which may complete
//     the runs' task tokens;
//   - the poller puts a "Run settled" event on the default bus for every
//     settled run; a rule sends those that need a person (detail.attention)
//     to the Notices topic as JSON {"org", "notice"} with a readable
//     sentence, where the approval and scheduler functions publish their
//     notices too. An organisation's contact subscribes with a filter
//     policy on the body's org; operators subscribe to all;
//   - alarms, on the stack's alarm topic: no daily run started, and
//     payments left unloaded past paymentMaxAgeHours.
func newNotices(scope constructs.Construct, cfg Config, exports awss3.Bucket, f *Functions, runs, daily sfn.StateMachine) {
	exports.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewLambdaDestination(f.UploadTrigger),
		&awss3.NotificationKeyFilter{Prefix: jsii.String(approvalsPrefix), Suffix: jsii.String(".csv")})
	exports.GrantRead(f.UploadTrigger, jsii.String(approvalsPrefix+"*"))
	runs.GrantTaskResponse(f.UploadTrigger)

	topic := awssns.NewTopic(scope, jsii.String("Notices"), &awssns.TopicProps{
		DisplayName: jsii.String("gis-payments notices"),
		EnforceSSL:  jsii.Bool(true),
	})
	for _, fn := range f.noticeSenders() {
		fn.AddEnvironment(jsii.String("NOTICES_TOPIC_ARN"), topic.TopicArn(), nil)
		topic.GrantPublish(fn)
	}
	awsevents.EventBus_FromEventBusName(scope, jsii.String("DefaultBus"), jsii.String("default")).GrantPutEventsTo(f.Poller, nil)
	f.Poller.AddEnvironment(jsii.String("EVENTS_ENABLED"), jsii.String("1"), nil)
	f.Poller.AddEnvironment(jsii.String("PAYMENT_MAX_AGE_HOURS"), jsii.String(fmt.Sprint(cfg.PaymentMaxAgeHours)), nil)

	detail := func(field string) string { return *awsevents.EventField_FromPath(jsii.String("$.detail." + field)) }
	awsevents.NewRule(scope, jsii.String("RunsNeedingAttention"), &awsevents.RuleProps{
		Description: jsii.String("Settled runs a person should look at (errors, held or rejected payments) to the Notices topic"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(eventSource),
			DetailType: jsii.Strings(runSettledDetailType),
			Detail:     &map[string]any{"attention": []any{true}},
		},
		Targets: &[]awsevents.IRuleTarget{eventtargets.NewSnsTopic(topic, &eventtargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromObject(map[string]any{
				"org":    detail("org"),
				"notice": detail("summary") + " Report: " + detail("report_html") + " Results: " + detail("results"),
			}),
		})},
	})

	alarmTopic := scope.Node().FindChild(jsii.String("Alarms")).(awssns.ITopic) // newMonitoring's
	// CloudWatch caps an alarm's window at a day (Period × EvaluationPeriods
	// ≤ 86 400 s): 24 hourly periods, every one without a start, missing
	// data counting as none.
	notStarted := cw.NewAlarm(scope, jsii.String("DailyRunNotStarted"), &cw.AlarmProps{
		Metric:             daily.MetricStarted(&cw.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Hours(jsii.Number(1))}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(24),
		DatapointsToAlarm:  jsii.Number(24),
		ComparisonOperator: cw.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   cw.TreatMissingData_BREACHING,
		AlarmDescription:   jsii.String("No daily fan-out started in the last 24 hours: check the DailyRuns schedule and state machine"),
	})
	unloaded := cw.NewAlarm(scope, jsii.String("UnloadedPayments"), &cw.AlarmProps{
		Metric: cw.NewMetric(&cw.MetricProps{Namespace: jsii.String(metricNamespace), MetricName: jsii.String(unloadedPaymentsMetric),
			Statistic: jsii.String("Maximum"), Period: fiveMinutes()}),
		Threshold:          jsii.Number(0),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		AlarmDescription: jsii.String(fmt.Sprintf("Payments not loaded %d hours after they were taken (queued, sent, unknown or "+
			"in a retryable error): see `gispay runs` and the runs' results files", cfg.PaymentMaxAgeHours)),
	})
	for _, a := range []cw.Alarm{notStarted, unloaded} {
		a.AddAlarmAction(cwactions.NewSnsAction(alarmTopic))
	}
}
