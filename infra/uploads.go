package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newUploadFailures keeps the S3 events upload-trigger could not handle.
// S3 invokes it asynchronously; without a destination an event that fails
// its retries is dropped and the file is never registered. The queue is
// where an operator sees (and can replay) them, alarmed in newMonitoring;
// the daily run registers such files anyway by listing incoming/.
func newUploadFailures(scope constructs.Construct, trigger awslambda.Function) awssqs.Queue {
	queue := awssqs.NewQueue(scope, jsii.String("UploadFailures"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // SQS's longest: time to notice and replay
	})
	trigger.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		OnFailure: awslambdadestinations.NewSqsDestination(queue),
		// Lambda's defaults, stated: a failed event is retried twice within
		// six hours, then parked on the queue.
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
	})
	return queue
}
