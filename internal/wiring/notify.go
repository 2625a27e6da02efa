package wiring

import (
	"context"
	"os"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/gispayments/gis-payments/internal/notify"
)

// Notifier sends the "Run settled" events (EVENTS_ENABLED=1; the stack
// sets it, a local run may leave it out) and the notices to NOTICES_TOPIC_ARN
// (empty: none).
func (a *App) Notifier() *notify.Notifier {
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		Fail(a.Log, "aws config", err)
	}
	n := &notify.Notifier{TopicARN: os.Getenv("NOTICES_TOPIC_ARN"), Topic: sns.NewFromConfig(awsCfg)}
	if os.Getenv("EVENTS_ENABLED") == "1" {
		n.Events = eventbridge.NewFromConfig(awsCfg)
	}
	return n
}
