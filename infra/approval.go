package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	tasks "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/gispayments/gis-payments/internal/contract"
)

// approvalGate stands between reconciliation and packing: "Check approval
// policy" asks the approval function whether the organisation's policy
// holds the run for a person; if so, "Wait for approval" invokes it with a
// task token (lambda:invoke.waitForTaskToken: the function stores the
// token on the run and tells the contact; nothing polls) and waits until a
// decision completes the token (SendTaskSuccess: go on to next, packing by
// the decision; SendTaskFailure ApprovalDeclined: the run ends declined)
// or approvalTimeoutHours pass (States.Timeout: the run ends
// approval_expired, nothing loaded). No HeartbeatSeconds: nothing beats
// while a person decides, so the deadline is TimeoutSeconds alone.
func approvalGate(scope constructs.Construct, f *Functions, cfg Config, next, recordFailure sfn.IChainable) sfn.IChainable {
	catchToRecord := &sfn.CatchProps{ResultPath: jsii.String(contract.Path("Failure"))}
	approvalField := func(name string) string { return contract.Field(contract.ApprovalRequest{}, name) }
	check := invoke(scope, "Check approval policy", f.Approval, &tasks.LambdaInvokeProps{
		Payload:        sfn.TaskInput_FromObject(&map[string]any{approvalField("RunID"): runID()}),
		ResultSelector: pick(contract.ApprovalResult{}, "RunID", "Required", "Policy", "Discrepancies"),
		ResultPath:     jsii.String(contract.Path("ApprovalCheck")),
	})
	check.AddCatch(recordFailure, catchToRecord)

	wait := tasks.NewLambdaInvoke(scope, jsii.String("Wait for approval"), &tasks.LambdaInvokeProps{
		LambdaFunction:     f.Approval,
		IntegrationPattern: sfn.IntegrationPattern_WAIT_FOR_TASK_TOKEN,
		Payload: sfn.TaskInput_FromObject(&map[string]any{
			approvalField("RunID"): runID(), approvalField("TaskToken"): sfn.JsonPath_TaskToken(),
		}),
		TaskTimeout: sfn.Timeout_Duration(awscdk.Duration_Hours(jsii.Number(float64(cfg.ApprovalTimeoutHours)))),
		ResultSelector: pick(contract.ApprovalOutcome{}, "RunID", "Decision", "DecidedBy", "DecidedAt", "Load",
			"Withhold"),
		ResultPath:               jsii.String(contract.Path("Approval")),
		RetryOnServiceExceptions: jsii.Bool(false),
	})
	wait.AddRetry(&sfn.RetryProps{
		Errors:   jsii.Strings(retryableErrors...),
		Interval: awscdk.Duration_Seconds(jsii.Number(2)), BackoffRate: jsii.Number(2), MaxAttempts: jsii.Number(5),
		JitterStrategy: sfn.JitterType_FULL, MaxDelay: awscdk.Duration_Seconds(jsii.Number(60)),
	})
	declined := sfn.NewSucceed(scope, jsii.String("Run declined"), &sfn.SucceedProps{
		Comment: jsii.String("The approver declined the run: nothing is loaded (run status approval_declined)"),
	})
	wait.AddCatch(declined, &sfn.CatchProps{Errors: jsii.Strings(contract.ApprovalDeclined), ResultPath: jsii.String(contract.Path("Failure"))})
	markExpired := invoke(scope, "Mark approval expired", f.Approval, &tasks.LambdaInvokeProps{
		Payload:    sfn.TaskInput_FromObject(&map[string]any{approvalField("RunID"): runID(), approvalField("Expired"): true}),
		ResultPath: sfn.JsonPath_DISCARD(),
	})
	markExpired.AddCatch(recordFailure, catchToRecord)
	expired := sfn.NewFail(scope, jsii.String("Approval expired"), &sfn.FailProps{
		Error: jsii.String(contract.ApprovalExpired),
		Cause: jsii.String(fmt.Sprintf("Nobody approved the run within %d hours (approvalTimeoutHours): nothing was loaded; "+
			"the run is approval_expired. Re-run the period to load it.", cfg.ApprovalTimeoutHours)),
	})
	wait.AddCatch(markExpired.Next(expired), &sfn.CatchProps{Errors: jsii.Strings("States.Timeout"), ResultPath: jsii.String(contract.Path("Failure"))})
	wait.AddCatch(recordFailure, catchToRecord)

	return check.Next(sfn.NewChoice(scope, jsii.String("Approval needed?"), nil).
		When(sfn.Condition_BooleanEquals(jsii.String(contract.Path("ApprovalCheck", "Required")), jsii.Bool(true)), wait.Next(next), nil).
		Otherwise(next))
}

// catchNoExports ends a run that found no exports (a daily run of a day
// nobody uploaded for) quietly: the contact is told and the execution
// succeeds, instead of failing and raising RunsFailed. It is the
// reconciler's first catch, before the one that records failures.
func catchNoExports(scope constructs.Construct, f *Functions, reconcile sfn.TaskStateBase) {
	field := func(name string) string { return contract.Field(contract.SchedulerRequest{}, name) }
	done := sfn.NewSucceed(scope, jsii.String("No exports for the day"), &sfn.SucceedProps{
		Comment: jsii.String("No exports arrived for the period: nothing to reconcile or load; the contact was told"),
	})
	notice := invoke(scope, "Tell of no exports", f.Scheduler, &tasks.LambdaInvokeProps{
		Payload: sfn.TaskInput_FromObject(&map[string]any{field("NoExports"): true,
			field("Org"):    sfn.JsonPath_StringAt(jsii.String(contract.Path("Org"))),
			field("Period"): sfn.JsonPath_ObjectAt(jsii.String(contract.Path("Period")))}),
		ResultPath: sfn.JsonPath_DISCARD(),
	})
	// A lost notice must not fail a day that had nothing to do.
	notice.AddCatch(done, &sfn.CatchProps{ResultPath: jsii.String(contract.Path("RecordFailure"))})
	reconcile.AddCatch(notice.Next(done), &sfn.CatchProps{Errors: jsii.Strings(contract.NoExports),
		ResultPath: jsii.String(contract.Path("Failure"))})
}
