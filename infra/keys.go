package main

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// Organisations that sign with their own keys keep them in Secrets Manager
// under this prefix (organization.signing_key holds the secret's ARN); the
// operator's key is the stack's SigningKey secret.
const (
	orgSigningKeyPrefix  = "gis-payments/signing/"
	daysLeftMetric       = "SigningCertificateDaysLeft"
	daysLeftAlarmAtLeast = 30
)

// newSigningKeys lets the signers (the packer, the enricher) read the
// organisations' own signing keys and raises an alarm, on the stack's
// alarm topic, when a signing certificate (any organisation's or the
// operator's) has fewer than 30 days left: the packer emits SigningCertificateDaysLeft per key on each run,
// and under no dimension too, whose minimum the alarm watches.
func newSigningKeys(stack awscdk.Stack, signers ...awslambda.Function) error {
	topic, ok := stack.Node().TryFindChild(jsii.String("Alarms")).(awssns.ITopic)
	if !ok {
		return errors.New("keys: the stack has no Alarms topic")
	}
	for _, fn := range signers {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("secretsmanager"),
				Resource: jsii.String("secret"), ResourceName: jsii.String(orgSigningKeyPrefix + "*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})),
		}))
	}
	alarm := cw.NewAlarm(stack, jsii.String("SigningCertificateExpiry"), &cw.AlarmProps{
		Metric: cw.NewMetric(&cw.MetricProps{Namespace: jsii.String(metricNamespace), MetricName: jsii.String(daysLeftMetric),
			Statistic: jsii.String("Minimum"), Period: awscdk.Duration_Days(jsii.Number(1))}),
		Threshold:          jsii.Number(daysLeftAlarmAtLeast),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: cw.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		AlarmDescription: jsii.String("A signing certificate expires within 30 days: renew it, import it with gostkey " +
			"and replace the secret (the packer's log names the key: an organisation's code or \"operator\")"),
	})
	alarm.AddAlarmAction(cwactions.NewSnsAction(topic))
	return nil
}
