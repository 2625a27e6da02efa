package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	targets "github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/gispayments/gis-payments/internal/contract"
)

// newSchedules adds the one daily schedule, which starts the daily fan-out
// (newDailyRuns) at 06:00 Moscow time with {"list_orgs": true,
// "scheduled_time": <the schedule's time>}: the runs are named after the
// scheduled day, so a retried or late event names the same runs. The
// organisations come from Postgres (organization.active), not from
// context. And the five-minute sweep that invokes the poller with {} for
// stragglers. Each target gets its own role, assumable by EventBridge
// Scheduler from this account's schedules only, allowed to start that
// state machine or to invoke the poller, nothing else.
func newSchedules(scope constructs.Construct, daily sfn.IStateMachine, poller awslambda.IFunction) {
	field := func(name string) string { return contract.Field(contract.SchedulerRequest{}, name) }
	awsscheduler.NewSchedule(scope, jsii.String("DailySchedule"), &awsscheduler.ScheduleProps{
		Description: jsii.String("The previous day's run of every active organisation"),
		Schedule: awsscheduler.ScheduleExpression_Cron(&awsscheduler.CronOptionsWithTimezone{
			Minute: jsii.String("0"), Hour: jsii.String("6"), TimeZone: awscdk.TimeZone_EUROPE_MOSCOW(),
		}),
		Target: targets.NewStepFunctionsStartExecution(daily, &targets.ScheduleTargetBaseProps{
			Input: awsscheduler.ScheduleTargetInput_FromObject(map[string]any{
				field("ListOrgs"): true, field("ScheduledTime"): awsscheduler.ContextAttribute_ScheduledTime()}),
			RetryAttempts: jsii.Number(3),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(2)),
		}),
	})
	awsscheduler.NewSchedule(scope, jsii.String("StragglerSweep"), &awsscheduler.ScheduleProps{
		Description: jsii.String("Polls GIS for packages no running execution follows and flags stuck runs"),
		Schedule:    awsscheduler.ScheduleExpression_Rate(fiveMinutes()),
		Target: targets.NewLambdaInvoke(poller, &targets.ScheduleTargetBaseProps{
			Input:         awsscheduler.ScheduleTargetInput_FromObject(map[string]string{}),
			RetryAttempts: jsii.Number(0), // the next sweep is five minutes away
			MaxEventAge:   fiveMinutes(),
		}),
	})
}
