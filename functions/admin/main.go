// Command admin is the admin Lambda: gispay invokes it with IAM to run an
// operator's action (organisations, runs, payments, resend, rerun,
// approve, cancel) against the database in the private subnets.
package main

import (
	"context"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gispayments/gis-payments/internal/admin"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("admin")
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		wiring.Fail(a.Log, "aws config", err)
	}
	steps := sfn.NewFromConfig(awsCfg)
	svc := &admin.Service{Store: a.Store, Log: a.Log, Approver: admin.DecisionApprover{Store: a.Store, Tasks: steps}}
	// rerun and cancel start the state machine; unset (local runs), rerun
	// says so and a cancellation waits for the next cancellation run.
	if arn := a.Config.StateMachineARN; arn != "" {
		svc.Starter = &uploadtrigger.StepFunctions{Client: steps, StateMachineARN: arn}
	}
	svc.Canceller = admin.StoreCanceller{Store: a.Store, Starter: svc.Starter}
	lambdaedge.Main("admin", svc.Handle)
}
