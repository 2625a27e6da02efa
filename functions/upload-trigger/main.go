// Command upload-trigger handles S3 ObjectCreated events on incoming/:
// it validates and registers each export and starts a run when an
// organisation's billing and bank exports are both there. Uploads of
// approvals/<run>.csv decide a run waiting for approval.
package main

import (
	"context"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gispayments/gis-payments/internal/approval"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("upload-trigger")
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		wiring.Fail(a.Log, "aws config", err)
	}
	client := sfn.NewFromConfig(awsCfg)
	var starter uploadtrigger.Starter = uploadtrigger.NoStarter{}
	if arn := a.Config.StateMachineARN; arn != "" {
		starter = &uploadtrigger.StepFunctions{Client: client, StateMachineARN: arn}
	} else {
		a.Log.Info("STATE_MACHINE_ARN is not set: runs are reported in the result, not started")
	}
	svc := &uploadtrigger.Service{Store: a.Store, Objects: a.Objects, Starter: starter, Limits: a.Config.Limits, Log: a.Log,
		Approvals: &approval.Uploads{Store: a.Store, Objects: a.Objects, Tasks: client}}
	lambdaedge.Main("upload-trigger", svc.Handle)
}
