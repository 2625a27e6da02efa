package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The custom metric the poller's scheduled sweep emits (embedded metric
// format, no dimensions).
const (
	metricNamespace = "GisPayments"
	stuckRunsMetric = "StuckRuns"
)

func fiveMinutes() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(5)) }

// newMonitoring raises alarms to an SNS topic (mailed to cfg.AlarmEmail)
// and draws the administrators' dashboard.
func newMonitoring(scope constructs.Construct, cfg Config, sm sfn.StateMachine, f *Functions, db *Database,
	uploadFailures awssqs.IQueue) cw.Dashboard {
	topic := awssns.NewTopic(scope, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("gis-payments alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	subscribeAlarmEmail(scope, topic, cfg.AlarmEmail)
	alarm := func(id, description string, metric cw.IMetric) {
		a := cw.NewAlarm(scope, jsii.String(id), &cw.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(description),
		})
		a.AddAlarmAction(cwactions.NewSnsAction(topic))
	}

	fns := f.InOrder()
	alarm("RunsFailed", "A run failed: open the execution in Step Functions; \"Run failed\" shows the cause", sm.MetricFailed(sum()))
	alarm("RunsTimedOut", "A run hit the state machine's time limit", sm.MetricTimedOut(sum()))
	for i, fn := range fns {
		alarm(pipeline[i]+"-errors", "The "+pipeline[i]+" function returned errors", fn.MetricErrors(sum()))
	}
	stuck := stuckRuns()
	alarm("StuckRuns", "The poller's sweep found runs that stopped moving", stuck)
	alarm("UploadEventsFailed", "upload-trigger gave up on an S3 event: see the UploadFailures queue (the daily run registers the file)",
		uploadFailures.MetricApproximateNumberOfMessagesVisible(&cw.MetricOptions{Statistic: jsii.String("Maximum"), Period: fiveMinutes()}))

	return newDashboard(scope, sm, fns, stuck, db)
}

// subscribeAlarmEmail mails the topic to the address given at deploy time:
// the CloudFormation parameter AlarmEmail (`cdk deploy --parameters
// AlarmEmail=ops@example.org`), whose default is the alarmEmail context.
// Left empty, there is no subscription. SNS mails a confirmation link
// first: nothing arrives until someone clicks it.
func subscribeAlarmEmail(scope constructs.Construct, topic awssns.ITopic, def string) {
	email := awscdk.NewCfnParameter(scope, jsii.String("AlarmEmail"), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		Default:               jsii.String(def),
		AllowedPattern:        jsii.String(`^$|^[^@\s]+@[^@\s]+\.[^@\s]+$`),
		ConstraintDescription: jsii.String("an e-mail address, or empty for none"),
		Description:           jsii.String("Where the alarms are mailed (SNS asks the address to confirm); empty: nobody"),
	})
	hasEmail := awscdk.NewCfnCondition(scope, jsii.String("HasAlarmEmail"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(email.ValueAsString(), jsii.String(""))),
	})
	sub := awssns.NewSubscription(scope, jsii.String("AlarmMail"), &awssns.SubscriptionProps{
		Topic:    topic,
		Protocol: awssns.SubscriptionProtocol_EMAIL,
		Endpoint: email.ValueAsString(),
	})
	sub.Node().DefaultChild().(awscdk.CfnResource).CfnOptions().SetCondition(hasEmail)
}

func newDashboard(scope constructs.Construct, sm sfn.StateMachine, fns []awslambda.Function, stuck cw.IMetric, db *Database) cw.Dashboard {
	perFunction := func(metric func(awslambda.Function) cw.Metric) *[]cw.IMetric {
		out := make([]cw.IMetric, len(fns))
		for i, fn := range fns {
			out[i] = metric(fn).With(&cw.MetricOptions{Label: jsii.String(pipeline[i])})
		}
		return &out
	}
	graph := func(title string, metrics *[]cw.IMetric) cw.IWidget {
		return cw.NewGraphWidget(&cw.GraphWidgetProps{Title: jsii.String(title), Left: metrics, Width: jsii.Number(8)})
	}
	dashboard := cw.NewDashboard(scope, jsii.String("Dashboard"), &cw.DashboardProps{DefaultInterval: awscdk.Duration_Days(jsii.Number(7))})
	top := []cw.IWidget{
		graph("Runs", &[]cw.IMetric{sm.MetricStarted(sum()), sm.MetricSucceeded(sum()), sm.MetricFailed(sum()), sm.MetricTimedOut(sum())}),
		graph("Stuck runs", &[]cw.IMetric{stuck}),
	}
	if db.Instance != nil { // not with an external database
		top = append(top, graph("Database", &[]cw.IMetric{db.Instance.MetricCPUUtilization(nil), db.Instance.MetricDatabaseConnections(nil)}))
	}
	dashboard.AddWidgets(top...)
	dashboard.AddWidgets(
		graph("Function errors", perFunction(func(fn awslambda.Function) cw.Metric { return fn.MetricErrors(sum()) })),
		graph("Function duration (p95)", perFunction(func(fn awslambda.Function) cw.Metric {
			return fn.MetricDuration(&cw.MetricOptions{Statistic: jsii.String("p95"), Period: fiveMinutes()})
		})),
		graph("Function throttles", perFunction(func(fn awslambda.Function) cw.Metric { return fn.MetricThrottles(sum()) })),
	)
	return dashboard
}

func stuckRuns() cw.Metric {
	return cw.NewMetric(&cw.MetricProps{
		Namespace:  jsii.String(metricNamespace),
		MetricName: jsii.String(stuckRunsMetric),
		Statistic:  jsii.String("Maximum"),
		Period:     fiveMinutes(),
	})
}

func sum() *cw.MetricOptions {
	return &cw.MetricOptions{Statistic: jsii.String("Sum"), Period: fiveMinutes()}
}
