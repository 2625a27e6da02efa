package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	tasks "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/gispayments/gis-payments/internal/contract"
)

// newDailyRuns is the daily fan-out the one schedule starts: "List active
// organisations" (the scheduler function reads Postgres, so adding an
// organisation needs no deploy) names each organisation's run for the
// previous day (org-date), and a Map with bounded concurrency starts one
// execution of the runs state machine per organisation under that name.
// A repeated schedule event asks for the same names: Step Functions starts
// a name once, and ExecutionAlreadyExists is a run already started.
func newDailyRuns(scope constructs.Construct, cfg Config, f *Functions, runs sfn.IStateMachine) sfn.StateMachine {
	field := func(name string) string { return contract.Field(contract.SchedulerRequest{}, name) }
	list := invoke(scope, "List active organisations", f.Scheduler, &tasks.LambdaInvokeProps{
		Payload: sfn.TaskInput_FromObject(&map[string]any{field("ListOrgs"): true,
			field("ScheduledTime"): sfn.JsonPath_StringAt(jsii.String("$." + field("ScheduledTime")))}),
		ResultSelector: pick(contract.SchedulerResult{}, "Day", "Runs"),
	})
	run := func(name string) *string {
		return jsii.String("$." + contract.Field(contract.DailyRun{}, name))
	}
	start := tasks.NewStepFunctionsStartExecution(scope, jsii.String("Start the organisation's run"), &tasks.StepFunctionsStartExecutionProps{
		StateMachine:       runs,
		IntegrationPattern: sfn.IntegrationPattern_REQUEST_RESPONSE,
		Name:               sfn.JsonPath_StringAt(run("Name")),
		Input:              sfn.TaskInput_FromJsonPathAt(run("Input")),
		ResultSelector:     &map[string]any{"execution_arn": sfn.JsonPath_StringAt(jsii.String("$.ExecutionArn"))},
	})
	start.AddRetry(&sfn.RetryProps{
		Errors:   jsii.Strings("StepFunctions.SdkClientException", "StepFunctions.AWSStepFunctionsException", "StepFunctions.ThrottlingException"),
		Interval: awscdk.Duration_Seconds(jsii.Number(2)), BackoffRate: jsii.Number(2), MaxAttempts: jsii.Number(5),
		JitterStrategy: sfn.JitterType_FULL,
	})
	start.AddCatch(sfn.NewPass(scope, jsii.String("Run already started"), &sfn.PassProps{
		Comment: jsii.String("An execution of this name exists: the schedule's event came again"),
	}), &sfn.CatchProps{Errors: jsii.Strings("StepFunctions.ExecutionAlreadyExistsException"), ResultPath: jsii.String("$.already_started")})
	each := sfn.NewMap(scope, jsii.String("Start a run per organisation"), &sfn.MapProps{
		ItemsPath:      jsii.String("$." + contract.Field(contract.SchedulerResult{}, "Runs")),
		MaxConcurrency: jsii.Number(float64(cfg.DailyRunConcurrency)),
		ResultPath:     sfn.JsonPath_DISCARD(),
	})
	each.ItemProcessor(start, nil)
	return sfn.NewStateMachine(scope, jsii.String("DailyRuns"), &sfn.StateMachineProps{
		Comment:          jsii.String("gis-payments: start the previous day's run of every active organisation"),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(list.Next(each)),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Hours(jsii.Number(1)),
		TracingEnabled:   jsii.Bool(true),
		Logs: &sfn.LogOptions{
			Destination: awslogs.NewLogGroup(scope, jsii.String("DailyRunLogs"), &awslogs.LogGroupProps{
				LogGroupName:  jsii.String("/aws/vendedlogs/states/" + *awscdk.Aws_STACK_NAME() + "-daily"),
				Retention:     awslogs.RetentionDays_THREE_MONTHS,
				RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
			}),
			Level:                sfn.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true), // organisation codes and dates only
		},
	})
}
