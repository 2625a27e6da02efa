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

// newSchedules adds one daily schedule per organisation, which starts a run
// of the state machine with {"org": code, "period": "previous-day"} (the
// reconciler resolves contract.PreviousDay to yesterday in Europe/Moscow) at
// 06:00 Moscow time, and the five-minute sweep that invokes the poller
// with {} for stragglers. Each target gets its own role, assumable by
// EventBridge Scheduler from this account's schedules only, allowed to
// start this state machine or to invoke the poller, nothing else.
func newSchedules(scope constructs.Construct, cfg Config, sm sfn.IStateMachine, poller awslambda.IFunction) {
	for _, org := range cfg.Organizations {
		awsscheduler.NewSchedule(scope, jsii.String("DailyRun-"+org), &awsscheduler.ScheduleProps{
			Description: jsii.String("Daily run of " + org + " for the previous day"),
			Schedule: awsscheduler.ScheduleExpression_Cron(&awsscheduler.CronOptionsWithTimezone{
				Minute: jsii.String("0"), Hour: jsii.String("6"), TimeZone: awscdk.TimeZone_EUROPE_MOSCOW(),
			}),
			Target: targets.NewStepFunctionsStartExecution(sm, &targets.ScheduleTargetBaseProps{
				Input: awsscheduler.ScheduleTargetInput_FromObject(map[string]string{
					contract.Field(contract.ReconcilerRequest{}, "Org"): org, contract.Field(contract.ReconcilerRequest{}, "Period"): contract.PreviousDay}),
				RetryAttempts: jsii.Number(3),
				MaxEventAge:   awscdk.Duration_Hours(jsii.Number(2)),
			}),
		})
	}
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
