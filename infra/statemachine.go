package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	tasks "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/gispayments/gis-payments/internal/contract"
)

// The state machine's JSON contract is internal/contract: each step's
// result lands under its own key of contract.State and keeps ids and counts
// only, so the execution input (org, files or period, execution_name)
// travels unchanged to the end. Every JsonPath and payload key below is
// built from the contract's types, so renaming a field fails synthesis in
// the tests, not a run. The poller reports done for any final run status,
// timed_out included, so "All packages done?" asks about the time-out first.

// retryableErrors are the functions' own TransientError and the Lambda
// service's throttling and transport failures.
//
// A function that timed out, ran out of memory or died is retried too:
// every step is safe to run again (the reconciler finds its run, the
// packer finishes what is left with the stored GUIDs, the sender posts the
// same bytes, the poller holds leases).
var retryableErrors = []string{
	contract.TransientError,
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
	"Lambda.Unknown",
	"Lambda.ClientExecutionTimeoutException",
	"Sandbox.Timedout",
	"Runtime.ExitError",
	"Runtime.OutOfMemory",
}

// newStateMachine chains the steps: reconcile, wait for approval when the
// policy says so, look up payment documents, pack, send every package,
// then wait and poll until GIS has settled the run.
func newStateMachine(scope constructs.Construct, f *Functions, cfg Config) sfn.StateMachine {
	finish := sfn.NewSucceed(scope, jsii.String("Finish"), nil)
	runFailed := sfn.NewFail(scope, jsii.String("Run failed"), &sfn.FailProps{
		ErrorPath: jsii.String(contract.Path("Failure", "Error")),
		CausePath: jsii.String(contract.Path("Failure", "Cause")),
	})
	recordFailure := invoke(scope, "Record failure", f.Poller, &tasks.LambdaInvokeProps{
		Payload: sfn.TaskInput_FromObject(&map[string]any{
			pollerField("RunID"): runID(), pollerField("Failed"): true,
			pollerField("Error"): sfn.JsonPath_StringAt(jsii.String(contract.Path("Failure", "Error"))),
			pollerField("Cause"): sfn.JsonPath_StringAt(jsii.String(contract.Path("Failure", "Cause"))),
		}),
		ResultPath: sfn.JsonPath_DISCARD(),
	})
	recordFailure.Next(runFailed)
	// Failing to record the failure must not hide it: $.failure stays.
	recordFailure.AddCatch(runFailed, &sfn.CatchProps{ResultPath: jsii.String(contract.Path("RecordFailure"))})
	catchToRecord := &sfn.CatchProps{ResultPath: jsii.String(contract.Path("Failure"))}

	reconcile := invoke(scope, "Reconcile billing and acquiring", f.Reconciler, &tasks.LambdaInvokeProps{
		ResultSelector: pick(contract.ReconcilerResult{}, "RunID", "Status", "Days", "Matched", "Mismatched", "BillingOnly",
			"AcquiringOnly", "Difference"),
		ResultPath: jsii.String(contract.Path("Reconcile")),
	})
	// Before the reconciler returns there is no run id to record on; the
	// reconciler marks a run it rejects itself.
	catchNoExports(scope, f, reconcile)
	reconcile.AddCatch(runFailed, catchToRecord)

	// A cancellation run (input kind "cancellation") starts with the
	// canceller instead; its result takes the reconciler's place, so the
	// rest of the chain is the same.
	registerCancellations := invoke(scope, "Register cancellations", f.Canceller, &tasks.LambdaInvokeProps{
		ResultSelector: pick(contract.CancellerResult{}, "RunID", "Status", "Requested", "Refused", "Duplicate"),
		ResultPath:     jsii.String(contract.Path("Reconcile")),
	})
	registerCancellations.AddCatch(runFailed, catchToRecord)
	kindPath := jsii.String(contract.Path("Kind"))
	firstStep := sfn.NewChoice(scope, jsii.String("Cancellation or reconciliation?"), nil).
		When(sfn.Condition_And(sfn.Condition_IsPresent(kindPath), sfn.Condition_StringEquals(kindPath, jsii.String(contract.KindCancellation))),
			registerCancellations, nil).
		Otherwise(reconcile)

	pack := invoke(scope, "Pack and sign payments", f.Packer, &tasks.LambdaInvokeProps{
		Payload: sfn.TaskInput_FromObject(&map[string]any{contract.Field(contract.PackerRequest{}, "RunID"): runID()}),
		ResultSelector: pick(contract.PackerResult{}, "RunID", "SendBatches", "Packages", "Payments", "HeldBack",
			"AlreadyLoaded"),
		ResultPath: jsii.String(contract.Path("Pack")),
	})
	pack.AddCatch(recordFailure, catchToRecord)

	// Each item is a batch of package ids (contract.SendBatchSize), not one
	// package: an inline Map shares the execution's 25 000-event history,
	// which one package per item fills at about 3 500 packages.
	// TestHistoryOfTheLargestRun estimates the events of a 12 000-package
	// run from this definition.
	sendAll := sfn.NewMap(scope, jsii.String("Send packages"), &sfn.MapProps{
		ItemsPath: jsii.String(contract.Path("Pack", "SendBatches")),
		ItemSelector: &map[string]any{
			contract.Field(contract.SenderRequest{}, "PackageIDs"): sfn.JsonPath_ListAt(jsii.String(contract.MapItem)),
		},
		MaxConcurrency: jsii.Number(float64(cfg.SendConcurrency)),
		ResultSelector: &map[string]any{
			contract.Field(contract.SendSummary{}, "Packages"): sfn.JsonPath_ArrayLength(sfn.JsonPath_ListAt(jsii.String("$"))),
		},
		ResultPath: jsii.String(contract.Path("Send")),
	})
	// A package whose sends outlive their retries (GIS down for longer)
	// stays signed; the run goes on to poll what was sent and leaves the
	// rest to the sweep, so one failed item does not fail the Map.
	sendOne := invoke(scope, "Send packages of the batch", f.Sender, &tasks.LambdaInvokeProps{
		ResultSelector: pick(contract.SenderResult{}, "Sent", "AlreadySent", "Failed"),
	})
	sendOne.AddCatch(sfn.NewPass(scope, jsii.String("Package left to the sweep"), &sfn.PassProps{
		Result: sfn.Result_FromObject(&map[string]any{"left_to_sweep": true}),
	}), &sfn.CatchProps{ResultPath: jsii.String(contract.Path("Failure"))})
	sendAll.ItemProcessor(sendOne, nil)
	sendAll.AddCatch(recordFailure, catchToRecord)

	waitForGIS := sfn.NewWait(scope, jsii.String("Wait for GIS"), &sfn.WaitProps{
		Time: sfn.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(float64(cfg.PollWaitSeconds)))),
	})
	poll := invoke(scope, "Poll package states", f.Poller, &tasks.LambdaInvokeProps{
		Payload: sfn.TaskInput_FromObject(&map[string]any{pollerField("RunID"): runID()}),
		ResultSelector: pick(contract.PollerResult{}, "RunID", "Status", "Done", "TimedOut", "LeftToSweep", "Pending",
			"Unsent"),
		ResultPath: jsii.String(contract.Path("Poll")),
	})
	poll.AddCatch(recordFailure, catchToRecord)

	markTimedOut := invoke(scope, "Mark run timed out", f.Poller, &tasks.LambdaInvokeProps{
		Payload:        sfn.TaskInput_FromObject(&map[string]any{pollerField("RunID"): runID(), pollerField("MarkTimedOut"): true}),
		ResultSelector: pick(contract.PollerResult{}, "RunID", "Status"),
		ResultPath:     jsii.String(contract.Path("Poll")),
	})
	markTimedOut.AddCatch(recordFailure, catchToRecord)
	timedOut := sfn.NewFail(scope, jsii.String("Run timed out"), &sfn.FailProps{
		Error: jsii.String(contract.RunTimedOut),
		Cause: jsii.String("GIS ZhKKh did not settle every package in time; the poller's schedule still applies late answers"),
	})

	// Packages GIS would not take even after the retries are all that is
	// left: the 5-minute sweep posts them when GIS is back and settles the
	// run; the run's status shows it meanwhile, and StuckRuns once it
	// times out.
	leftToSweep := sfn.NewSucceed(scope, jsii.String("Unsent packages left to the sweep"), &sfn.SucceedProps{
		Comment: jsii.String("GIS refused the remaining packages past every retry; the poller's schedule sends them with the same bytes"),
	})
	allDone := sfn.NewChoice(scope, jsii.String("All packages done?"), nil).
		When(sfn.Condition_BooleanEquals(jsii.String(contract.Path("Poll", "TimedOut")), jsii.Bool(true)), markTimedOut.Next(timedOut), nil).
		When(sfn.Condition_BooleanEquals(jsii.String(contract.Path("Poll", "Done")), jsii.Bool(true)), finish, nil).
		When(sfn.Condition_BooleanEquals(jsii.String(contract.Path("Poll", "LeftToSweep")), jsii.Bool(true)), leftToSweep, nil).
		Otherwise(waitForGIS)
	anyPackages := sfn.NewChoice(scope, jsii.String("Any packages?"), nil).
		When(sfn.Condition_NumberGreaterThan(jsii.String(contract.Path("Pack", "Packages")), jsii.Number(0)),
			sendAll.Next(waitForGIS).Next(poll).Next(allDone), nil).
		Otherwise(finish)
	// A reconciled (and approved) run's supplier rows without a payment
	// document are looked up in GIS before packing; cancellations need
	// neither approval nor lookups.
	reconcile.Next(approvalGate(scope, f, cfg, lookupGate(scope, f, cfg, pack, recordFailure), recordFailure))
	registerCancellations.Next(pack)
	pack.Next(anyPackages)

	return sfn.NewStateMachine(scope, jsii.String("Runs"), &sfn.StateMachineProps{
		Comment:          jsii.String("gis-payments: reconcile, pack and sign, send to GIS ZhKKh, poll until settled"),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(firstStep),
		StateMachineType: sfn.StateMachineType_STANDARD,
		// A backstop: the poller times a run out after runTimeoutMinutes;
		// should this fire anyway, the sweep still sends, polls and
		// settles what the run left. The approval wait comes on top.
		Timeout:        awscdk.Duration_Hours(jsii.Number(float64(cfg.ExecutionHours + cfg.ApprovalTimeoutHours))),
		TracingEnabled: jsii.Bool(true),
		Logs: &sfn.LogOptions{
			Destination:          runLogGroup(scope),
			Level:                sfn.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true), // ids and counts only, by the contract above
		},
	})
}

// lookupGate is "Look up payment documents" (the enricher), called again
// after "Wait for payment documents" while its queries are out with GIS
// (Pending); the enricher's own deadline on each query ends the loop.
func lookupGate(scope constructs.Construct, f *Functions, cfg Config, next, recordFailure sfn.IChainable) sfn.IChainable {
	enrich := invoke(scope, "Look up payment documents", f.Enricher, &tasks.LambdaInvokeProps{
		Payload: sfn.TaskInput_FromObject(&map[string]any{contract.Field(contract.EnricherRequest{}, "RunID"): runID()}),
		ResultSelector: pick(contract.EnricherResult{}, "RunID", "Pending", "Rows", "Resolved", "Held", "CacheHits", "Asked",
			"Doubtful"),
		ResultPath: jsii.String(contract.Path("Enrich")),
	})
	enrich.AddCatch(recordFailure, &sfn.CatchProps{ResultPath: jsii.String(contract.Path("Failure"))})
	wait := sfn.NewWait(scope, jsii.String("Wait for payment documents"), &sfn.WaitProps{
		Time: sfn.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(float64(cfg.PollWaitSeconds)))),
	})
	return enrich.Next(sfn.NewChoice(scope, jsii.String("Payment documents answered?"), nil).
		When(sfn.Condition_BooleanEquals(jsii.String(contract.Path("Enrich", "Pending")), jsii.Bool(true)), wait.Next(enrich), nil).
		Otherwise(next))
}

// runID is the run the reconciler created, as later steps' input.
func runID() *float64 { return sfn.JsonPath_NumberAt(jsii.String(contract.Path("Reconcile", "RunID"))) }

// pollerField is the JSON name of a field of the poller's request.
func pollerField(name string) string { return contract.Field(contract.PollerRequest{}, name) }

// invoke is a Lambda task that passes the function's own result (not the
// Invoke API envelope) and retries transient failures with full jitter.
func invoke(scope constructs.Construct, name string, fn awslambda.IFunction, props *tasks.LambdaInvokeProps) tasks.LambdaInvoke {
	props.LambdaFunction = fn
	props.PayloadResponseOnly = jsii.Bool(true)
	props.RetryOnServiceExceptions = jsii.Bool(false) // replaced by the one retrier below
	task := tasks.NewLambdaInvoke(scope, jsii.String(name), props)
	task.AddRetry(&sfn.RetryProps{
		Errors:         jsii.Strings(retryableErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(5),
		JitterStrategy: sfn.JitterType_FULL,
		MaxDelay:       awscdk.Duration_Seconds(jsii.Number(60)),
	})
	return task
}

// pick is a ResultSelector keeping the named fields of a result of
// result's type.
func pick(result any, fields ...string) *map[string]any {
	m := map[string]any{}
	for _, f := range contract.Fields(result, fields...) {
		m[f] = sfn.JsonPath_StringAt(jsii.String("$." + f))
	}
	return &m
}

// runLogGroup takes the execution history. The /aws/vendedlogs/ prefix
// keeps CloudWatch Logs' resource policy from growing with every log group.
func runLogGroup(scope constructs.Construct) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String("RunLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/vendedlogs/states/" + *awscdk.Aws_STACK_NAME() + "-runs"),
		Retention:     awslogs.RetentionDays_THREE_MONTHS,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}
