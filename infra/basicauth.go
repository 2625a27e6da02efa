package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// newBasicAuth gives the sender and poller the HTTP basic credentials GIS's
// test stand asks for (context key gisBasicAuth): a secret holding
// "user:password", which the functions read at cold start (GIS_BASIC_AUTH
// names it). Production needs only the gateway's client certificate.
func newBasicAuth(stack awscdk.Stack, cfg Config, fns ...awslambda.Function) {
	if !cfg.GISBasicAuth {
		return
	}
	secret := awssecretsmanager.NewSecret(stack, jsii.String("GisBasicAuth"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("user:password GIS ZhKKh's test stand asks of every call: put the value after the first deploy"),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, fn := range fns {
		secret.GrantRead(fn, nil)
		fn.AddEnvironment(jsii.String("GIS_BASIC_AUTH"), secret.SecretArn(), nil)
	}
}
