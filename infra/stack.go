package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GisPaymentsStackProps configures the stack.
type GisPaymentsStackProps struct {
	awscdk.StackProps
	Config Config
}

// NewGisPaymentsStack describes the whole system: buckets, network and
// database, the five functions, the state machine that chains them, the
// schedules, alarms and dashboard, and the migration step.
func NewGisPaymentsStack(scope constructs.Construct, id string, props *GisPaymentsStackProps) (awscdk.Stack, error) {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	cfg := props.Config

	storage := newStorage(stack)
	vpc := newNetwork(stack, cfg)
	db := newDatabase(stack, vpc, cfg)
	signing := awssecretsmanager.NewSecret(stack, jsii.String("SigningKey"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("GIS ZhKKh signing key and certificate as one PEM bundle: put the real value after the first deploy"),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	d := &deps{cfg: cfg, vpc: vpc, storage: storage, db: db, signing: signing,
		commonEnv: commonEnvironment(cfg, storage, db)}

	f, err := newFunctions(stack, d)
	if err != nil {
		return nil, err
	}
	sm := newStateMachine(stack, f, cfg)
	connectUploadTrigger(storage.Exports, f.UploadTrigger, sm)
	uploadFailures := newUploadFailures(stack, f.UploadTrigger)
	daily := newDailyRuns(stack, cfg, f, sm)
	newSchedules(stack, daily, f.Poller)
	admin, err := newAdmin(stack, d, sm)
	if err != nil {
		return nil, err
	}
	dashboard := newMonitoring(stack, cfg, sm, f, db, uploadFailures)
	newNotices(stack, cfg, storage.Exports, f, sm, daily)
	if _, err := newGateway(stack, d, f); err != nil { // after the alarm topic: its alarms go there
		return nil, err
	}
	newBasicAuth(stack, cfg, f.Sender, f.Poller, f.Enricher)
	if err := newSigningKeys(stack, f.Packer, f.Enricher); err != nil {
		return nil, err
	}
	migrations, err := newMigrations(stack, d)
	if err != nil {
		return nil, err
	}
	// No function is updated before the schema it expects is in place.
	// (The function resource only: its security group must come first, as
	// the database admits it.)
	for _, fn := range append(f.InOrder(), admin) {
		fn.Node().DefaultChild().Node().AddDependency(migrations)
	}
	newUploaders(stack, cfg, storage)
	logEveryFunction(stack)
	suppressNagFindings(stack, cfg)

	output(stack, "ExportsBucketName", storage.Exports.BucketName())
	output(stack, "ArchiveBucketName", storage.Archive.BucketName())
	output(stack, "StateMachineArn", sm.StateMachineArn())
	output(stack, "DashboardUrl", jsii.String("https://console.aws.amazon.com/cloudwatch/home?region="+
		*awscdk.Aws_REGION()+"#dashboards:name="+*dashboard.DashboardName()))
	return stack, nil
}

// connectUploadTrigger feeds new exports to upload-trigger and lets it start
// runs. The state machine invokes the other four functions, so it is
// defined after them and handed to upload-trigger here.
func connectUploadTrigger(exports awss3.Bucket, trigger awslambda.Function, sm sfn.StateMachine) {
	trigger.AddEnvironment(jsii.String("STATE_MACHINE_ARN"), sm.StateMachineArn(), nil)
	sm.GrantStartExecution(trigger)
	exports.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewLambdaDestination(trigger),
		&awss3.NotificationKeyFilter{Prefix: jsii.String(incomingPrefix), Suffix: jsii.String(".csv")})
}

func output(stack awscdk.Stack, name string, value *string) {
	awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Value: value})
}
