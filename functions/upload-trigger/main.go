// Command upload-trigger handles S3 ObjectCreated events on incoming/:
// it validates and registers each export and starts a run when an
// organisation's billing and bank exports are both there.
package main

import (
	"context"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gispayments/gis-payments/internal/app"
	"github.com/gispayments/gis-payments/internal/ingest"
	"github.com/gispayments/gis-payments/internal/lambdaio"
	"github.com/gispayments/gis-payments/internal/sfnstart"
)

func main() {
	a := app.MustOpen("upload")
	var starter ingest.Starter = sfnstart.None{}
	if arn := a.Config.StateMachineARN; arn != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
		if err != nil {
			app.Fail(a.Log, "aws config", err)
		}
		starter = &sfnstart.Starter{Client: sfn.NewFromConfig(awsCfg), StateMachineARN: arn}
	} else {
		a.Log.Info("STATE_MACHINE_ARN is not set: runs are reported in the result, not started")
	}
	svc := &ingest.Service{Store: a.Store, Objects: a.Objects, Starter: starter, Limits: a.Config.Limits, Log: a.Log}
	lambdaio.Main(svc.Handle)
}
