package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The cdk-nag (AwsSolutions) findings the stack keeps on purpose, each with
// the reason a reviewer needs. nag_test.go fails on any error not listed
// here and prints it with its construct path; a new resource's findings
// are added below, by construct where they concern one resource, at stack
// level only with appliesTo naming the exact CDK-generated wildcard.

// Stack-wide: the action groups and object-ARN wildcards CDK's grant
// methods write, and the AWS managed policies every VPC Lambda gets.
var stackSuppressions = []*cdknag.NagPackSuppression{
	{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String("Lambda execution roles get AWSLambdaBasicExecutionRole (write their own logs) and, in the VPC, " +
			"AWSLambdaVPCAccessExecutionRole (manage their ENIs): AWS's own minimal policies for exactly that, kept current by AWS."),
		AppliesTo: &[]any{
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
		},
	},
	{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Action groups written by CDK's bucket and key grants (grantRead, grantPut): each statement " +
			"names one bucket prefix or the stack's own key; TestFunctionsReachOnlyTheirPrefixes pins the prefixes."),
		AppliesTo: &[]any{
			"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:Abort*",
			"Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*",
		},
	},
	{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Object ARNs under one prefix of one of the stack's buckets (incoming/, reports/, results/, " +
			"archive/, an organisation's incoming/<kind>/<org>/, the cancellations' incoming/cancellations/): the function or uploader writes or reads objects whose names it chooses at run time."),
		AppliesTo: &[]any{&cdknag.RegexAppliesTo{
			Regex: jsii.String(`/^Resource::<(Exports|Archive)[0-9A-F]{8}\.Arn>\/(incoming|reports|results|archive)\/([a-z]+\/([A-Za-z0-9_-]+\/)?)?\*$/g`),
		}},
	},
	{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("lambda:InvokeFunction on <function ARN>:* as CDK writes it for the state machine, the scheduler " +
			"and the provider framework: the function's own versions and aliases, no other function."),
		AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<[A-Za-z0-9-]+\.Arn>:\*$/g`)}},
	},
}

// suppressNagFindings records the findings the stack keeps (see above).
// Constructs that may be absent (switches) are looked up by id.
func suppressNagFindings(stack awscdk.Stack, cfg Config) {
	cdknag.NagSuppressions_AddStackSuppressions(stack, &stackSuppressions, nil)
	suppress := func(path []string, rule, reason string, appliesTo ...any) {
		var c constructs.IConstruct = stack
		for _, id := range path {
			if c = c.Node().TryFindChild(jsii.String(id)); c == nil {
				return
			}
		}
		s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
		if len(appliesTo) > 0 {
			s.AppliesTo = &appliesTo
		}
		cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
	}

	xray := "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions: Resource * is the only form (active tracing)."
	for _, name := range append(append([]string{}, pipeline...), migrateName, adminName) {
		suppress([]string{name}, "AwsSolutions-IAM5", xray, "Resource::*")
	}
	suppress([]string{"Runs"}, "AwsSolutions-IAM5", xray+" Also the CloudWatch Logs delivery actions "+
		"(logs:CreateLogDelivery, …) the state machine's logging needs, which take no resource either.", "Resource::*")
	suppress([]string{"DailyRuns"}, "AwsSolutions-IAM5", xray, "Resource::*")
	suppress([]string{uploadTriggerName}, "AwsSolutions-IAM5", "upload-trigger reads the approval files its "+
		"S3 notification announces, any object under approvals/ of the exports bucket.", "Resource::<Exports25637AFB.Arn>/approvals/*")
	suppress([]string{"SigningKey"}, "AwsSolutions-SMG4", "The GIS ZhKKh signing key and certificate are issued by an "+
		"accredited CA to the organisation and put in by hand; no function can generate a new one. Renewal is a procedure, not a rotation.")
	suppress([]string{"UploadFailures"}, "AwsSolutions-SQS3", "This queue is itself the failure destination of "+
		"upload-trigger's asynchronous invocations; an operator reads and replays it, nothing consumes it automatically.")
	suppress([]string{"Database"}, "AwsSolutions-RDS11", "The default port 5432: the database is in isolated subnets and its "+
		"security group admits only the proxy and the rotation functions; a different port hides nothing from them.")
	if !cfg.MultiAZ {
		suppress([]string{"Database"}, "AwsSolutions-RDS3", "Multi-AZ is the multiAz context switch, off by default: a "+
			"daily batch tolerates the minutes of a single-AZ recovery, and the standby doubles the instance cost (infra/README.md, Costs).")
	}
	suppress([]string{"MigrationsProvider"}, "AwsSolutions-L1", "The provider framework's Node.js runtime is chosen by "+
		"aws-cdk-lib, which updates it with the library; our own functions run on provided.al2023.")
	suppress([]string{"LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"}, "AwsSolutions-IAM5", "CDK's log retention "+
		"handler sets the retention of the log group RDS creates for the postgresql log export; that group's name exists only "+
		"after the instance does, and the handler's policy (logs:PutRetentionPolicy, DeleteRetentionPolicy) is CDK's.", "Resource::*")
	suppress([]string{"GisBasicAuth"}, "AwsSolutions-SMG4", "The test stand's user and password are issued by GIS's "+
		"operator on registration; no function can change them on GIS's side, so there is nothing to rotate to.")
	suppress([]string{"GatewayCertificate"}, "AwsSolutions-SMG4", "The gateway's GOST client certificate and key are "+
		"issued to the organisation by an accredited CA for GIS ZhKKh and put in by hand; renewal is a procedure, not a rotation.")
	suppress([]string{"GatewayLoadBalancer"}, "AwsSolutions-ELB2", "A Network Load Balancer writes access logs for TLS "+
		"listeners only; the gateway's listener is plain TCP inside the VPC (the TLS to GIS is the gateway's), and stunnel logs "+
		"every connection to CloudWatch Logs.")
	suppress([]string{"GatewayTask"}, "AwsSolutions-ECS2", "The container's environment holds the GIS host, the name to check "+
		"and the cipher list, none secret; the certificate and key come from Secrets Manager through the task's secrets.")
	suppress([]string{"GatewayTask", "ExecutionRole"}, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken, which the "+
		"execution role needs to pull the gateway's image, has no resource-level permissions: Resource * is its only form.",
		"Resource::*")
	for _, signer := range []string{"packer", "enricher"} {
		suppress([]string{signer}, "AwsSolutions-IAM5", "Organisations that sign with their own key keep it in a secret "+
			"named gis-payments/signing/<org>; the packer (packages) and the enricher (lookups) read the one the organisation's "+
			"row names, so they may read that prefix only.",
			"Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:gis-payments/signing/*")
	}
	suppress([]string{"BucketNotificationsHandler050a0587b7544547bf325f094a3db834"}, "AwsSolutions-IAM4",
		"CDK's own S3 notification handler (configures the bucket's notifications at deploy time) comes with "+
			"AWSLambdaBasicExecutionRole; it cannot be replaced from outside the construct.")
}
