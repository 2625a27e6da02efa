package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/gispayments/gis-payments/internal/contract"
)

// Function names: the folder under functions/, the asset folder under
// Config.LambdaAssets and the construct id.
const (
	uploadTriggerName = "upload-trigger"
	reconcilerName    = "reconciler"
	enricherName      = "enricher"
	packerName        = "packer"
	senderName        = "sender"
	pollerName        = "poller"
	cancellerName     = "canceller"
	approvalName      = "approval"
	schedulerName     = "scheduler"
	migrateName       = "migrate"
)

// pipeline is the steps in the order a run meets them.
var pipeline = []string{uploadTriggerName, reconcilerName, packerName, senderName, pollerName, cancellerName,
	approvalName, schedulerName, enricherName}

// Functions are the pipeline's steps: the five of a run, the canceller,
// the approval wait, the daily schedule's organisation list and the
// payment document lookup.
type Functions struct {
	UploadTrigger, Reconciler, Packer, Sender, Poller awslambda.Function
	Canceller, Approval, Scheduler, Enricher          awslambda.Function
}

// namedFunction is a function with its name.
type namedFunction struct {
	name string
	fn   awslambda.Function
}

// gisCallers are the functions that call GIS ZhKKh.
func (f *Functions) gisCallers() []namedFunction {
	return []namedFunction{{senderName, f.Sender}, {pollerName, f.Poller}, {enricherName, f.Enricher}}
}

// noticeSenders are the functions that publish notices.
func (f *Functions) noticeSenders() []awslambda.Function {
	return []awslambda.Function{f.Approval, f.Scheduler}
}

// InOrder lists the functions in the order of pipeline.
func (f *Functions) InOrder() []awslambda.Function {
	return []awslambda.Function{f.UploadTrigger, f.Reconciler, f.Packer, f.Sender, f.Poller, f.Canceller, f.Approval, f.Scheduler,
		f.Enricher}
}

// functionSpec is how one function is sized.
type functionSpec struct {
	name        string
	description string
	memoryMB    float64
	timeout     awscdk.Duration
}

// deps is what every function is built against.
type deps struct {
	cfg       Config
	vpc       awsec2.IVpc
	storage   *Storage
	db        *Database
	signing   awssecretsmanager.ISecret
	commonEnv map[string]*string
}

// packerMemoryMB gives the packer two vCPUs: Lambda allots CPU in
// proportion to memory, one vCPU per 1769 MB.
const packerMemoryMB = 3584

// newFunctions defines the five steps with the grants each one needs and
// nothing more. upload-trigger gets the state machine only later (see
// connectUploadTrigger), so it can be defined before the state machine.
func newFunctions(scope constructs.Construct, d *deps) (*Functions, error) {
	// The sender posts a batch of at most contract.SendBatchSize packages
	// per invocation, gisclient.DefaultConcurrency at once: that many rounds
	// of one GIS call, with a minute for S3 and the database around them
	// (it starts no call it could not finish; the item's retry does the rest). The poller and its sweep
	// start no call they could not finish before the deadline, so its
	// timeout only bounds how much one invocation does.
	specs := []functionSpec{
		{uploadTriggerName, "Checks an uploaded export's header, registers it and starts a run", 256, minutes(1)},
		{reconcilerName, "Reconciles billing against acquiring and writes the discrepancy report", 1024, minutes(5)},
		// The packer signs on two cores while its storing transaction runs
		// and holds up to packer.DefaultHoldBytes of signed requests until
		// it commits: Lambda gives two vCPUs from 3538 MB (0.6 at 1024).
		{packerName, "Packs a run's payments into GIS packages, signs and archives them", packerMemoryMB, minutes(5)},
		{senderName, "Sends signed packages to GIS ZhKKh and stores each Ack", 256, sendTimeout(d.cfg)},
		{pollerName, "Polls GIS ZhKKh for package results, settles runs, sweeps stragglers", 1024, minutes(5)},
		{cancellerName, "Registers cancellations of loaded payments and opens their run", 256, minutes(1)},
		{approvalName, "Holds a run for approval by its organisation's policy: stores the task token, tells the contact", 256, minutes(1)},
		{schedulerName, "Lists the active organisations for the daily runs; tells of a day without exports", 256, minutes(1)},
		{enricherName, "Looks up the payment documents of a supplier run's rows in GIS ZhKKh before packing", 256, minutes(5)},
	}
	fns := map[string]awslambda.Function{}
	memoryMB := map[string]float64{}
	for _, spec := range specs {
		memoryMB[spec.name] = spec.memoryMB
		fn, err := newGoFunction(scope, d, spec)
		if err != nil {
			return nil, err
		}
		fns[spec.name] = fn
	}
	f := &Functions{UploadTrigger: fns[uploadTriggerName], Reconciler: fns[reconcilerName],
		Packer: fns[packerName], Sender: fns[senderName], Poller: fns[pollerName], Canceller: fns[cancellerName],
		Approval: fns[approvalName], Scheduler: fns[schedulerName], Enricher: fns[enricherName]}

	exports, archive := d.storage.Exports, d.storage.Archive
	exports.GrantRead(f.UploadTrigger, jsii.String(incomingPrefix+"*"))
	exports.GrantRead(f.Reconciler, jsii.String(incomingPrefix+"*"))
	exports.GrantRead(f.Canceller, jsii.String(incomingPrefix+string(contract.Cancellations)+"/*"))
	exports.GrantPut(f.Reconciler, jsii.String(reportsPrefix+"*"))
	archive.GrantPut(f.Packer, jsii.String(archivePrefix+"*"))
	archive.GrantRead(f.Sender, jsii.String(archivePrefix+"*"))
	archive.GrantPut(f.Poller, jsii.String(archivePrefix+"*"))
	exports.GrantPut(f.Poller, jsii.String(resultsPrefix+"*"))
	// A run that waited for a decision gets its report again, with it.
	exports.GrantPut(f.Poller, jsii.String(reportsPrefix+"*"))

	for _, c := range f.gisCallers() {
		c.fn.AddEnvironment(jsii.String("GIS_TIMEOUT"), jsii.String(fmt.Sprintf("%ds", d.cfg.GISTimeoutSeconds)), nil)
		c.fn.AddEnvironment(jsii.String("GIS_MAX_REPLY_BYTES"), jsii.String(fmt.Sprint(maxReplyBytes(memoryMB[c.name]))), nil)
	}
	f.Poller.AddEnvironment(jsii.String("RUN_TIMEOUT"), jsii.String(fmt.Sprintf("%dm", d.cfg.RunTimeoutMinutes)), nil)
	// The packer signs packages, the enricher its lookups.
	for _, fn := range []awslambda.Function{f.Packer, f.Enricher} {
		fn.AddEnvironment(jsii.String("GIS_SIGNING_KEY"), d.signing.SecretArn(), nil)
		d.signing.GrantRead(fn, nil)
	}
	return f, nil
}

// newGoFunction defines a Go function built by `make build-lambda`, in the
// VPC's private subnets, traced, logging JSON to its own log group, able to
// reach the database (through the proxy) as the application's role.
func newGoFunction(scope constructs.Construct, d *deps, spec functionSpec) (awslambda.Function, error) {
	code, err := assetCode(d.cfg.LambdaAssets, spec.name)
	if err != nil {
		return nil, err
	}
	logs := awslogs.NewLogGroup(scope, jsii.String(spec.name+"-logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_THREE_MONTHS,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	fn := awslambda.NewFunction(scope, jsii.String(spec.name), &awslambda.FunctionProps{
		Description:           jsii.String(spec.description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  code,
		MemorySize:            jsii.Number(spec.memoryMB),
		Timeout:               spec.timeout,
		Tracing:               awslambda.Tracing_ACTIVE,
		LogGroup:              logs,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(d.cfg.LogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
		Vpc:                   d.vpc,
		VpcSubnets:            &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		Environment:           &d.commonEnv,
	})
	if d.db.AppSecret != nil {
		d.db.AppSecret.GrantRead(fn, nil)
	}
	d.db.allowFrom(fn, spec.name+" to the database")
	return fn, nil
}

// maxReplyBytes bounds a GIS reply so that GIS_CONCURRENCY (4) replies,
// parsed at several times their size, fit in half the function's memory.
func maxReplyBytes(memoryMB float64) int {
	const concurrency, parseFactor = 4, 8
	return int(memoryMB) << 20 / 2 / concurrency / parseFactor
}

func minutes(n float64) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }

// assetCode is the folder holding name's bootstrap binary; synth stops
// early with a hint when it has not been built.
func assetCode(root, name string) (awslambda.Code, error) {
	dir := filepath.Join(root, name)
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		return nil, fmt.Errorf("function %s: %w (run `make build-lambda`, or set the context key lambdaAssets)", name, err)
	}
	return awslambda.Code_FromAsset(jsii.String(dir), nil), nil
}

// commonEnvironment is what every function reads. DATABASE_URL carries no
// password: the functions take it from the secret DATABASE_SECRET_ARN
// names. S3_SSE is empty so that writes take the bucket's default
// encryption, the stack's own KMS key ("aws:kms" without a key id would
// pick the AWS managed aws/s3 key).
func commonEnvironment(cfg Config, storage *Storage, db *Database) map[string]*string {
	env := map[string]*string{
		"DATABASE_URL":   db.url(dbUser),
		"DB_EXEC_MODE":   jsii.String("exec"), // pgx's statement cache would pin proxy connections
		"EXPORTS_BUCKET": storage.Exports.BucketName(),
		"ARCHIVE_BUCKET": storage.Archive.BucketName(),
		"GIS_ENDPOINT":   jsii.String(cfg.GISEndpoint),
		"LOG_LEVEL":      jsii.String(cfg.LogLevel), // for runs outside Lambda; inside, ApplicationLogLevel sets the level
		"S3_SSE":         jsii.String(""),
	}
	if db.AppSecret != nil {
		env["DATABASE_SECRET_ARN"] = db.AppSecret.SecretArn()
	}
	return env
}

// sendRounds is how many GIS calls one after another a sender invocation
// makes at most: a batch, sendCallsAtOnce at a time (the sender's default
// concurrency, gisclient.DefaultConcurrency).
const (
	sendCallsAtOnce = 4
	sendRounds      = (contract.SendBatchSize + sendCallsAtOnce - 1) / sendCallsAtOnce
)

// sendTimeout fits a batch's rounds of GIS calls and a minute besides,
// within Lambda's 15 minutes.
func sendTimeout(cfg Config) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(float64(min(sendRounds*cfg.GISTimeoutSeconds+60, 900))))
}
