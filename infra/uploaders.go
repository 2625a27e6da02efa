package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The kinds of upload, as upload-trigger reads them from the key.
var uploadKinds = []string{"billing", "acquiring", "cancellations"}

// newUploaders gives each organisation's billing team a role its upload job
// assumes: it may put objects under incoming/billing/<org>/,
// incoming/acquiring/<org>/ and incoming/cancellations/<org>/ of the exports bucket, and have S3 encrypt them
// with the stack's key, nothing else (no reading, listing or deleting, no
// other organisation's prefix). The principal that may assume it is
// uploaderPrincipals[org] (a role or user ARN, possibly in another
// account), else this account (whose administrators then grant
// sts:AssumeRole on it to whom they choose).
func newUploaders(scope constructs.Construct, cfg Config, storage *Storage) map[string]awsiam.Role {
	roles := map[string]awsiam.Role{}
	for _, org := range cfg.Organizations {
		var principal awsiam.IPrincipal = awsiam.NewAccountRootPrincipal()
		if arn := cfg.UploaderPrincipals[org]; arn != "" {
			principal = awsiam.NewArnPrincipal(jsii.String(arn))
		}
		role := awsiam.NewRole(scope, jsii.String("Uploader-"+org), &awsiam.RoleProps{
			AssumedBy:          principal,
			Description:        jsii.String("Uploads " + org + "'s billing exports, bank registries and cancellations to the exports bucket"),
			MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		})
		var objects []*string
		for _, kind := range uploadKinds {
			objects = append(objects, storage.Exports.ArnForObjects(jsii.String(incomingPrefix+kind+"/"+org+"/*")))
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutOwnExports"),
			Actions:   jsii.Strings("s3:PutObject"),
			Resources: &objects,
		}))
		// SSE-KMS (with a bucket key): S3 asks KMS for a data key on the
		// uploader's behalf, and only through S3. A multipart upload (the
		// AWS CLI's above 8 MiB) also needs kms:Decrypt to complete; the
		// role cannot read objects, so it decrypts nothing it could see.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EncryptThroughS3"),
			Actions:   jsii.Strings("kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"),
			Resources: jsii.Strings(*storage.Key.KeyArn()),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": "s3." + *awscdk.Aws_REGION() + ".amazonaws.com"},
			},
		}))
		roles[org] = role
		awscdk.NewCfnOutput(scope, jsii.String("UploaderRole-"+org), &awscdk.CfnOutputProps{
			Value:       role.RoleArn(),
			Description: jsii.String("The role " + org + "'s upload job assumes"),
		})
	}
	return roles
}
