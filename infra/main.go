// Command infra is the AWS CDK app of gis-payments: `cdk synth`/`cdk deploy`
// run it through cdk.json, and `go run .` synthesizes into cdk.out without
// the CDK CLI (context then comes from CDK_CONTEXT_JSON, e.g.
// CDK_CONTEXT_JSON='{"lambdaAssets":"/tmp/assets"}'). With -asl FILE it
// also writes the state machine as plain ASL JSON, each Lambda ARN naming
// its function: arn:aws:lambda:us-east-1:123456789012:function:<name>.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/gispayments/gis-payments/infra/asl"
)

const (
	stackName       = "GisPayments"
	exampleARN      = "arn:aws:lambda:us-east-1:123456789012:function:<name>"
	defaultOutdir   = "cdk.out"
	cdkOutdirEnvVar = "CDK_OUTDIR" // set by the CDK CLI
)

func main() {
	aslOut := flag.String("asl", "", "also write the state machine definition as plain ASL JSON to this `file`")
	flag.Parse()
	// No jsii.Close: the Node process ends with ours, and Close races the
	// runtime's own wait on it, printing a spurious "exited abnormally".
	if err := run(*aslOut); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run(aslOut string) error {
	ctx, err := FileContext(cdkJSON)
	if err != nil {
		return err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir()), Context: &ctx})
	cfg, err := LoadConfig(app.Node())
	if err != nil {
		return err
	}
	stack, err := NewGisPaymentsStack(app, stackName, &GisPaymentsStackProps{
		StackProps: awscdk.StackProps{Env: env()},
		Config:     cfg,
	})
	if err != nil {
		return err
	}
	assembly := app.Synth(nil)
	if aslOut == "" {
		return nil
	}
	template, _ := assembly.GetStackArtifact(stack.ArtifactId()).Template().(map[string]any)
	definition, err := asl.FromStateMachine(template, runsLogicalID(stack), asl.ARNPattern(exampleARN, functionLogicalIDs(stack)))
	if err != nil {
		return err
	}
	return os.WriteFile(aslOut, definition, 0o644)
}

// outdir is where the cloud assembly goes. cdk.json runs the app in infra/
// while the CDK CLI, in the repository root, names its output directory
// relative to the root.
func outdir() string {
	dir := os.Getenv(cdkOutdirEnvVar)
	switch {
	case dir == "":
		return defaultOutdir
	case filepath.IsAbs(dir):
		return dir
	}
	return filepath.Join("..", dir)
}

// env is the account and region the CDK CLI resolved; without them the
// stack is environment-agnostic.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}

// runsLogicalID is the template's logical ID of the runs state machine
// (the daily fan-out is the other).
func runsLogicalID(stack awscdk.Stack) string {
	sm := stack.Node().FindChild(jsii.String("Runs")).Node().DefaultChild().(awscdk.CfnElement)
	return *stack.GetLogicalId(sm)
}

// functionLogicalIDs maps the template's logical ID of each pipeline
// function to its name (upload-trigger, reconciler, …).
func functionLogicalIDs(stack awscdk.Stack) map[string]string {
	ids := map[string]string{}
	for _, name := range pipeline {
		fn := stack.Node().FindChild(jsii.String(name)).(awslambda.Function)
		ids[*stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))] = name
	}
	return ids
}
