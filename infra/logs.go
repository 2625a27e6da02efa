package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const logRetention = awslogs.RetentionDays_THREE_MONTHS

// logEveryFunction gives the Lambda functions CDK adds on its own (the S3
// notifications handler, custom resource providers) a log group with
// retention, as ours have: without one Lambda creates /aws/lambda/<name>
// on first use, kept forever. Each is pointed at its group through
// LoggingConfig, so the group exists before the function first runs.
// Call it last, when every construct is in the stack.
func logEveryFunction(stack awscdk.Stack) {
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		res, ok := c.(awscdk.CfnResource)
		if !ok || *res.CfnResourceType() != "AWS::Lambda::Function" {
			continue
		}
		if fn, ok := c.(awslambda.CfnFunction); ok && fn.LoggingConfig() != nil {
			continue // ours, and the provider framework's: they name their group
		}
		owner := c.Node().Scope().Node().Id() // the L2 or provider the function belongs to
		group := awslogs.NewLogGroup(stack, jsii.String(*owner+"Logs"), &awslogs.LogGroupProps{
			Retention:     logRetention,
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		res.AddPropertyOverride(jsii.String("LoggingConfig.LogGroup"), group.LogGroupName())
	}
}
