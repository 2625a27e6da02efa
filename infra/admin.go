package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

const adminName = "admin"

// newAdmin defines the admin function gispay invokes with IAM (no database
// or other endpoint is exposed: the function is in the private subnets like
// the steps) and the managed policy GisPaymentsAdmin that allows invoking
// it and nothing else; attach it to the operators' roles. The function
// reads the database as the application role, starts executions (rerun)
// and answers the approval wait's task token (approve), on this state
// machine only.
func newAdmin(stack awscdk.Stack, d *deps, sm sfn.StateMachine) (awslambda.Function, error) {
	fn, err := newGoFunction(stack, d, functionSpec{adminName,
		"Operators' actions (gispay): organisations, runs, payments, resend, rerun, approve, cancel", 256, minutes(1)})
	if err != nil {
		return nil, err
	}
	fn.AddEnvironment(jsii.String("STATE_MACHINE_ARN"), sm.StateMachineArn(), nil)
	sm.GrantStartExecution(fn)
	sm.GrantTaskResponse(fn)
	awsiam.NewManagedPolicy(stack, jsii.String("GisPaymentsAdmin"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String("GisPaymentsAdmin"),
		Description:       jsii.String("Run gispay against this stack: invoke its admin function, nothing else"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(*fn.FunctionArn()),
		})},
	})
	output(stack, "AdminFunctionName", fn.FunctionName())
	return fn, nil
}
