package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestFunctions(t *testing.T) {
	s := synth(t)
	goFunction := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"TracingConfig": map[string]any{"Mode": "Active"},
		"LoggingConfig": map[string]any{"LogFormat": "JSON"},
		"VpcConfig":     assertions.Match_ObjectLike(&map[string]any{"SubnetIds": assertions.Match_AnyValue()}),
	}
	check(t, "the pipeline steps, migrate and admin are Go functions on arm64", func() {
		s.template.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Function"), goFunction, jsii.Number(float64(len(pipeline)+2)))
	})

	sizes := map[string][2]float64{ // MB, seconds
		uploadTriggerName: {256, 60}, reconcilerName: {1024, 300},
		packerName: {3584, 300}, // two vCPUs, which Lambda gives from 3538 MB
		// the sender: a batch of 20 packages, 4 calls at once, is 5 rounds of
		// one GIS call (gisTimeoutSeconds), and a minute
		senderName: {256, 5*40 + 60}, pollerName: {1024, 300},
		cancellerName: {256, 60}, enricherName: {256, 300},
	}
	proxy := s.logicalID(t, "Database", "Proxy")
	for name, size := range sizes {
		fn := s.json.Resources[s.logicalID(t, name)]
		if fn.Properties["MemorySize"] != size[0] || fn.Properties["Timeout"] != size[1] {
			t.Errorf("%s: %v MB, %v s; want %v MB, %v s", name, fn.Properties["MemorySize"], fn.Properties["Timeout"], size[0], size[1])
		}
		env := s.json.environment(s.logicalID(t, name))
		for _, key := range []string{"EXPORTS_BUCKET", "ARCHIVE_BUCKET", "DATABASE_SECRET_ARN", "GIS_ENDPOINT", "LOG_LEVEL"} {
			if env[key] == nil {
				t.Errorf("%s: %s is not set", name, key)
			}
		}
		if (name == senderName || name == pollerName || name == enricherName) && (env["GIS_TIMEOUT"] != "40s" || env["GIS_MAX_REPLY_BYTES"] == nil) {
			t.Errorf("%s: GIS_TIMEOUT %v, GIS_MAX_REPLY_BYTES %v", name, env["GIS_TIMEOUT"], env["GIS_MAX_REPLY_BYTES"])
		}
		if name == pollerName && env["RUN_TIMEOUT"] != "90m" {
			t.Errorf("poller: RUN_TIMEOUT %v, want runTimeoutMinutes from the context", env["RUN_TIMEOUT"])
		}
		gateway := name == senderName || name == pollerName || name == enricherName // GIS_ENDPOINT is the gateway: gateway_test.go
		if env["DB_EXEC_MODE"] != "exec" || !gateway && env["GIS_ENDPOINT"] != Defaults.GISEndpoint {
			t.Errorf("%s: DB_EXEC_MODE %v, GIS_ENDPOINT %v", name, env["DB_EXEC_MODE"], env["GIS_ENDPOINT"])
		}
		if url := asJSON(env["DATABASE_URL"]); !strings.Contains(url, `"Endpoint"`) || !strings.Contains(url, proxy) ||
			!strings.Contains(url, "sslmode=require") {
			t.Errorf("%s: DATABASE_URL %s does not name the proxy endpoint", name, url)
		}
	}
}

func TestUploadTriggerStartsRunsOnly(t *testing.T) {
	s := synth(t)
	trigger, sm := s.logicalID(t, uploadTriggerName), s.logicalID(t, "Runs")
	if got := refID(s.json.environment(trigger)["STATE_MACHINE_ARN"]); got != sm {
		t.Errorf("STATE_MACHINE_ARN refers to %q, want the state machine %q", got, sm)
	}
	var starts []statement
	for _, st := range s.json.statementsOfRole(s.json.roleOf(trigger)) {
		if slices.Contains(st.Actions, "states:StartExecution") {
			starts = append(starts, st)
		}
	}
	if len(starts) != 1 || len(starts[0].Resources) != 1 || refID(starts[0].Resources[0]) != sm {
		t.Errorf("upload-trigger's states:StartExecution statements: %s, want one on the state machine only", asJSON(starts))
	}
	check(t, "S3 notifies upload-trigger of incoming/*.csv", func() {
		s.template.HasResourceProperties(jsii.String("Custom::S3BucketNotifications"), map[string]any{
			"NotificationConfiguration": map[string]any{"LambdaFunctionConfigurations": []any{map[string]any{
				"Events": []any{"s3:ObjectCreated:*"},
				"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{
					map[string]any{"Name": "suffix", "Value": ".csv"},
					map[string]any{"Name": "prefix", "Value": "incoming/"},
				}}},
				"LambdaFunctionArn": map[string]any{"Fn::GetAtt": []any{trigger, "Arn"}},
			}, map[string]any{
				"Events": []any{"s3:ObjectCreated:*"},
				"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{
					map[string]any{"Name": "suffix", "Value": ".csv"},
					map[string]any{"Name": "prefix", "Value": "approvals/"},
				}}},
				"LambdaFunctionArn": map[string]any{"Fn::GetAtt": []any{trigger, "Arn"}},
			}}},
		})
	})
}

func TestFunctionsReachOnlyTheirPrefixes(t *testing.T) {
	s := synth(t)
	exports, archive := s.logicalID(t, "Exports"), s.logicalID(t, "Archive")
	want := map[string][]string{
		uploadTriggerName: {exports + "/approvals/*", exports + "/incoming/*"},
		reconcilerName:    {exports + "/incoming/*", exports + "/reports/*"},
		packerName:        {archive + "/archive/*"},
		senderName:        {archive + "/archive/*"},
		pollerName:        {archive + "/archive/*", exports + "/reports/*", exports + "/results/*"},
		cancellerName:     {exports + "/incoming/cancellations/*"},
	}
	for _, name := range pipeline {
		var got []string
		for _, st := range s.json.statementsOfRole(s.json.roleOf(s.logicalID(t, name))) {
			for _, action := range st.Actions {
				if action == "*" || strings.HasSuffix(action, ":*") {
					t.Errorf("%s may do %s", name, action)
				}
			}
			for _, r := range st.Resources {
				if r == "*" && !onlyXRay(st.Actions) {
					t.Errorf("%s: %v on every resource", name, st.Actions)
				}
				if p := objectPattern(r); p != "" && strings.HasPrefix(st.Actions[0], "s3:") {
					got = append(got, p)
				}
			}
		}
		if got = slices.Compact(sorted(got)); !slices.Equal(got, want[name]) {
			t.Errorf("%s reaches objects %v, want %v", name, got, want[name])
		}
	}
}

func onlyXRay(actions []string) bool {
	for _, a := range actions {
		if !strings.HasPrefix(a, "xray:") {
			return false
		}
	}
	return true
}

// Only the signers, the packer (packages) and the enricher (lookups), may
// read the operator's signing key.
func TestSigningKeyOnlyForSigners(t *testing.T) {
	s := synth(t)
	secret := s.logicalID(t, "SigningKey")
	var readers []string
	for _, st := range s.json.statements() {
		for _, r := range st.Resources {
			if refID(r) == secret {
				readers = append(readers, st.Roles...)
			}
		}
	}
	if want := []string{s.json.roleOf(s.logicalID(t, packerName)), s.json.roleOf(s.logicalID(t, enricherName))}; !sameMembers(readers, want) {
		t.Errorf("roles that may read the signing key: %v, want the packer's and the enricher's %v", readers, want)
	}
	for _, name := range pipeline {
		key, set := s.json.environment(s.logicalID(t, name))["GIS_SIGNING_KEY"]
		if set != (name == packerName || name == enricherName) || set && refID(key) != secret {
			t.Errorf("%s: GIS_SIGNING_KEY = %s", name, asJSON(key))
		}
	}
}

func TestBuckets(t *testing.T) {
	s := synth(t)
	check(t, "two data buckets and their access log bucket", func() {
		s.template.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(3))
	})
	logs := s.logicalID(t, "AccessLogs")
	check(t, "the data buckets are versioned, KMS-encrypted with the stack's key, private, and log their requests", func() {
		s.template.ResourcePropertiesCountIs(jsii.String("AWS::S3::Bucket"), map[string]any{
			"LoggingConfiguration": map[string]any{"DestinationBucketName": map[string]any{"Ref": logs},
				"LogFilePrefix": assertions.Match_StringLikeRegexp(jsii.String("^(exports|archive)/$"))},
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
				"BucketKeyEnabled": true,
				"ServerSideEncryptionByDefault": map[string]any{
					"SSEAlgorithm":   "aws:kms",
					"KMSMasterKeyID": map[string]any{"Fn::GetAtt": []any{s.logicalID(t, "DataKey"), "Arn"}},
				},
			}}},
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
		}, jsii.Number(2))
	})
	check(t, "buckets are retained", func() {
		s.template.AllResources(jsii.String("AWS::S3::Bucket"), map[string]any{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
	})
	check(t, "every bucket policy denies plain HTTP", func() {
		s.template.ResourcePropertiesCountIs(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Action":    "s3:*",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})},
		}, jsii.Number(3))
	})
	check(t, "the key rotates and is retained", func() {
		s.template.HasResource(jsii.String("AWS::KMS::Key"), map[string]any{
			"Properties":     map[string]any{"EnableKeyRotation": true},
			"DeletionPolicy": "Retain",
		})
	})
	lifecycle := map[string][]string{ // prefix and storage class per bucket
		"Exports": {"incoming/ STANDARD_IA 30", "reports/ STANDARD_IA 30", "results/ STANDARD_IA 30"},
		"Archive": {"archive/ GLACIER_IR 90"},
	}
	for bucket, want := range lifecycle {
		var got []string
		config := s.json.Resources[s.logicalID(t, bucket)].Properties["LifecycleConfiguration"].(map[string]any)
		for _, r := range config["Rules"].([]any) {
			rule := r.(map[string]any)
			tr := rule["Transitions"].([]any)[0].(map[string]any)
			got = append(got, strings.Join([]string{rule["Prefix"].(string), tr["StorageClass"].(string), asJSON(tr["TransitionInDays"])}, " "))
			if rule["NoncurrentVersionExpiration"].(map[string]any)["NoncurrentDays"] != 90.0 {
				t.Errorf("%s %s: noncurrent versions kept %v", bucket, rule["Prefix"], asJSON(rule["NoncurrentVersionExpiration"]))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s lifecycle %v, want %v", bucket, got, want)
		}
	}
}

func TestDatabase(t *testing.T) {
	s := synth(t)
	check(t, "PostgreSQL 15, encrypted, protected, backed up for 7 days, private", func() {
		s.template.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{
			"Engine": "postgres", "EngineVersion": "15", "StorageEncrypted": true, "DeletionProtection": true,
			"BackupRetentionPeriod": 7, "PubliclyAccessible": false,
		})
	})
	check(t, "the proxy requires TLS", func() {
		s.template.HasResourceProperties(jsii.String("AWS::RDS::DBProxy"), map[string]any{"RequireTLS": true, "EngineFamily": "POSTGRESQL"})
	})
	check(t, "one NAT gateway", func() { s.template.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(1)) })
	var endpoints []string
	for _, e := range s.json.ofType("AWS::EC2::VPCEndpoint") {
		service := asJSON(e.Properties["ServiceName"])
		endpoints = append(endpoints, e.Properties["VpcEndpointType"].(string)+" "+service[strings.LastIndex(service, ".")+1:strings.Index(service, `"]]}`)])
	}
	if want := []string{"Gateway s3", "Interface secretsmanager", "Interface states"}; !sameMembers(endpoints, want) {
		t.Errorf("VPC endpoints %v, want %v", endpoints, want)
	}
}

func TestStateMachine(t *testing.T) {
	s := synth(t)
	check(t, "a standard state machine, logged and traced", func() {
		s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"StateMachineType": "STANDARD",
			"LoggingConfiguration": map[string]any{
				"Level": "ALL", "IncludeExecutionData": true,
				"Destinations": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"CloudWatchLogsLogGroup": assertions.Match_AnyValue(),
				})}),
			},
			"TracingConfiguration": map[string]any{"Enabled": true},
		})
	})
}

func TestSchedules(t *testing.T) {
	s := synth(t)
	daily, poller := s.logicalID(t, "DailyRuns"), s.logicalID(t, pollerName)
	check(t, "one daily schedule starts the daily fan-out with the scheduled time", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
			"ScheduleExpression":         "cron(0 6 * * ? *)",
			"ScheduleExpressionTimezone": "Europe/Moscow",
			"Target": assertions.Match_ObjectLike(&map[string]any{
				"Arn":   map[string]any{"Ref": daily},
				"Input": `{"list_orgs":true,"scheduled_time":"<aws.scheduler.scheduled-time>"}`,
			}),
		})
	})
	check(t, "the poller's sweep every 5 minutes", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
			"ScheduleExpression": "rate(5 minutes)",
			"Target": assertions.Match_ObjectLike(&map[string]any{
				"Arn":   map[string]any{"Fn::GetAtt": []any{poller, "Arn"}},
				"Input": "{}",
			}),
		})
	})
	schedules := s.json.ofType("AWS::Scheduler::Schedule")
	if len(schedules) != 2 {
		t.Errorf("%d schedules, want the daily one and the sweep (organisations come from Postgres)", len(schedules))
	}
	for id, schedule := range schedules {
		target := schedule.Properties["Target"].(map[string]any)
		statements := s.json.statementsOfRole(getAttID(target["RoleArn"]))
		var want string
		if refID(target["Arn"]) == daily {
			want = `[{"Roles":null,"Actions":["states:StartExecution"],"Resources":[{"Ref":"` + daily + `"}]}]`
		} else {
			want = `[{"Roles":null,"Actions":["lambda:InvokeFunction"],"Resources":[{"Fn::GetAtt":["` + poller + `","Arn"]},` +
				`{"Fn::Join":["",[{"Fn::GetAtt":["` + poller + `","Arn"]},":*"]]}]}]`
		}
		for i := range statements {
			statements[i].Roles = nil
		}
		if got := asJSON(statements); got != want {
			t.Errorf("%s: its role may %s, want %s", id, got, want)
		}
	}
}

func TestAlarms(t *testing.T) {
	s := synth(t)
	topic := s.logicalID(t, "Alarms")
	alarms := s.json.ofType("AWS::CloudWatch::Alarm")
	var got []string
	for id, alarm := range alarms {
		if strings.HasPrefix(id, "Gateway") {
			continue // the GOST-TLS gateway's alarms: gateway_test.go
		}
		if id == s.logicalID(t, "SigningCertificateExpiry") {
			continue // a threshold of its own: keys_test.go
		}
		if id == s.logicalID(t, "DailyRunNotStarted") || id == s.logicalID(t, "UnloadedPayments") {
			continue // thresholds of their own: notices_test.go
		}
		p := alarm.Properties
		got = append(got, p["Namespace"].(string)+"/"+p["MetricName"].(string))
		if p["Threshold"] != 1.0 || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["Period"] != 300.0 {
			t.Errorf("%s: %v %v over %v s", id, p["ComparisonOperator"], p["Threshold"], p["Period"])
		}
		if actions := asJSON(p["AlarmActions"]); actions != `[{"Ref":"`+topic+`"}]` {
			t.Errorf("%s notifies %s", id, actions)
		}
	}
	var want []string
	for range pipeline { // an Errors alarm per pipeline function
		want = append(want, "AWS/Lambda/Errors")
	}
	want = append(want, "AWS/SQS/ApproximateNumberOfMessagesVisible", "AWS/States/ExecutionsFailed", "AWS/States/ExecutionsTimedOut",
		"GisPayments/StuckRuns")
	if !sameMembers(got, want) {
		t.Errorf("alarms on %v, want %v", sorted(got), want)
	}
	check(t, "alarms are mailed to the AlarmEmail parameter, whose default is the alarmEmail context", func() {
		s.template.HasParameter(jsii.String("AlarmEmail"), map[string]any{"Type": "String", "Default": testContext["alarmEmail"]})
		s.template.HasResource(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Condition": "HasAlarmEmail",
			"Properties": map[string]any{
				"Protocol": "email", "Endpoint": map[string]any{"Ref": "AlarmEmail"}, "TopicArn": map[string]any{"Ref": topic},
			},
		})
		s.template.HasCondition(jsii.String("HasAlarmEmail"), map[string]any{
			"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AlarmEmail"}, ""}}},
		})
	})
	body := asJSON(s.json.Resources[s.logicalID(t, "Dashboard")].Properties["DashboardBody"])
	for _, metric := range []string{"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "Errors", "Duration",
		"Throttles", "StuckRuns", "CPUUtilization", "DatabaseConnections"} {
		if !strings.Contains(body, `\"`+metric+`\"`) {
			t.Errorf("the dashboard has no %s", metric)
		}
	}
}

func TestMigrationsRerunWhenTheyChange(t *testing.T) {
	s := synth(t)
	hash, err := hashDir(Defaults.MigrationsDir)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "the migration step carries the migrations' hash", func() {
		s.template.HasResourceProperties(jsii.String("Custom::Migrations"), map[string]any{
			"MigrationsHash": hash,
			"ServiceToken":   assertions.Match_AnyValue(),
		})
	})
	migrate := s.json.Resources[s.logicalID(t, migrateName)].Properties
	if migrate["Runtime"] != "provided.al2023" || s.json.environment(s.logicalID(t, migrateName))["DATABASE_SECRET_ARN"] == nil {
		t.Errorf("migrate: %s", asJSON(migrate))
	}
}

func TestOutputs(t *testing.T) {
	s := synth(t)
	for _, name := range []string{"ExportsBucketName", "ArchiveBucketName", "StateMachineArn", "DashboardUrl"} {
		if s.json.Outputs[name] == nil {
			t.Errorf("no output %s", name)
		}
	}
}
