package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const (
	dbName       = "gis_payments"
	dbMasterUser = "gis_admin" // owns the schema; only the migrate function holds its secret
	dbUser       = "gis_app"   // the functions' role, created by migrate: DML only
	postgresPort = 5432
	rotationDays = 30
)

// newNetwork builds the VPC: public subnets only hold the NAT gateway; functions
// run in private subnets with egress (GIS ZhKKh is on the internet); the
// database sits in isolated subnets. Rejected traffic is logged.
func newNetwork(scope constructs.Construct, cfg Config) awsec2.Vpc {
	vpc := awsec2.NewVpc(scope, jsii.String("Network"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1), // one is enough for a daily batch; a second AZ's would double the cost
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("functions"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(22)},
			{Name: jsii.String("database"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
	})
	// Rejected connections only: what a security review asks for, at a
	// fraction of the cost of logging every flow.
	vpc.AddFlowLog(jsii.String("RejectedTraffic"), &awsec2.FlowLogOptions{
		TrafficType: awsec2.FlowLogTrafficType_REJECT,
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(awslogs.NewLogGroup(scope, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
			Retention:     awslogs.RetentionDays_THREE_MONTHS,
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		}), nil),
	})
	// Exports and archives stay off the NAT gateway (a gateway endpoint is
	// free), and so do the calls that carry credentials. KMS is called by S3
	// itself, and Lambda ships logs and traces outside the VPC: no endpoints
	// for those.
	vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
	})
	if cfg.InterfaceEndpoints {
		// About $7.3 a month each per AZ; without them these calls go
		// through the NAT gateway (see infra/README.md, Costs).
		vpc.AddInterfaceEndpoint(jsii.String("SecretsManager"), &awsec2.InterfaceVpcEndpointOptions{
			Service: awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER(),
		})
		vpc.AddInterfaceEndpoint(jsii.String("StepFunctions"), &awsec2.InterfaceVpcEndpointOptions{
			Service: awsec2.InterfaceVpcEndpointAwsService_STEP_FUNCTIONS(),
		})
	}
	return vpc
}

// Database is PostgreSQL, the RDS Proxy the functions connect through (when
// the rdsProxy switch is on) and the two users' secrets; or, with the
// externalDatabaseUrl switch, only that URL (no RDS at all).
type Database struct {
	Instance     awsrds.DatabaseInstance // nil with an external database
	Proxy        awsrds.DatabaseProxy    // nil without the proxy
	MasterSecret awssecretsmanager.ISecret
	AppSecret    awssecretsmanager.ISecret // the functions' role; migrate creates it
	AppRotation  awssecretsmanager.RotationSchedule
	Host         *string // what the functions connect to: the proxy, else the instance
	ExternalURL  string
}

func newDatabase(scope constructs.Construct, vpc awsec2.IVpc, cfg Config) *Database {
	if cfg.ExternalDatabaseURL != "" {
		return &Database{ExternalURL: cfg.ExternalDatabaseURL}
	}
	instance := awsrds.NewDatabaseInstance(scope, jsii.String("Database"), &awsrds.DatabaseInstanceProps{
		Engine: awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{
			Version: awsrds.PostgresEngineVersion_VER_15(),
		}),
		InstanceType:            awsec2.InstanceType_Of(awsec2.InstanceClass_BURSTABLE4_GRAVITON, awsec2.InstanceSize_SMALL),
		Vpc:                     vpc,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		MultiAz:                 jsii.Bool(cfg.MultiAZ),
		DatabaseName:            jsii.String(dbName),
		Credentials:             awsrds.Credentials_FromGeneratedSecret(jsii.String(dbMasterUser), nil),
		StorageType:             awsrds.StorageType_GP3,
		StorageEncrypted:        jsii.Bool(true),
		AllocatedStorage:        jsii.Number(20),
		MaxAllocatedStorage:     jsii.Number(200),
		BackupRetention:         awscdk.Duration_Days(jsii.Number(7)),
		DeletionProtection:      jsii.Bool(true),
		RemovalPolicy:           awscdk.RemovalPolicy_SNAPSHOT,
		CloudwatchLogsExports:   jsii.Strings("postgresql"),
		CloudwatchLogsRetention: awslogs.RetentionDays_THREE_MONTHS,
		AutoMinorVersionUpgrade: jsii.Bool(true),
	})
	// The application's secret: generated here, its role created by the
	// migrate function; host, port and dbname come with the attachment.
	app := awsrds.NewDatabaseSecret(scope, jsii.String("AppDatabaseSecret"), &awsrds.DatabaseSecretProps{
		Username: jsii.String(dbUser),
		Dbname:   jsii.String(dbName),
	}).Attach(instance)
	db := &Database{Instance: instance, MasterSecret: instance.Secret(), AppSecret: app, Host: instance.DbInstanceEndpointAddress()}

	// Both secrets rotate every 30 days with Secrets Manager's hosted
	// rotation functions (single user: each logs in with its own current
	// password and sets a new one), run in the functions' subnets.
	rotation := awsec2.NewSecurityGroup(scope, jsii.String("SecretRotation"), &awsec2.SecurityGroupProps{
		Vpc: vpc, Description: jsii.String("Secrets Manager's rotation functions for the database secrets"),
	})
	instance.Connections().AllowDefaultPortFrom(rotation, jsii.String("secret rotation"))
	rotate := func(secret awssecretsmanager.ISecret, id string) awssecretsmanager.RotationSchedule {
		return secret.AddRotationSchedule(jsii.String(id), &awssecretsmanager.RotationScheduleOptions{
			HostedRotation: awssecretsmanager.HostedRotation_PostgreSqlSingleUser(&awssecretsmanager.SingleUserHostedRotationOptions{
				Vpc:            vpc,
				VpcSubnets:     &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
				SecurityGroups: &[]awsec2.ISecurityGroup{rotation},
			}),
			AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(rotationDays)),
		})
	}
	rotate(db.MasterSecret, "MasterRotation")
	db.AppRotation = rotate(app, "AppRotation") // after migrate has created the role: see newMigrations

	if cfg.RDSProxy {
		db.Proxy = instance.AddProxy(jsii.String("Proxy"), &awsrds.DatabaseProxyOptions{
			DbProxyName: jsii.String(*awscdk.Aws_STACK_NAME() + "-db"), // proxy names are unique per account and region
			Vpc:         vpc,
			VpcSubnets:  &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
			// The proxy logs users in with the secret of their name: the
			// functions as gis_app, migrate as the master user.
			Secrets:    &[]awssecretsmanager.ISecret{db.MasterSecret, app},
			RequireTLS: jsii.Bool(true),
		})
		db.Host = db.Proxy.Endpoint()
	}
	return db
}

// allowFrom lets c reach the database (through the proxy when there is one).
func (db *Database) allowFrom(c awsec2.IConnectable, description string) {
	port := awsec2.Port_Tcp(jsii.Number(postgresPort))
	switch {
	case db.Proxy != nil:
		db.Proxy.Connections().AllowFrom(c, port, jsii.String(description))
	case db.Instance != nil:
		db.Instance.Connections().AllowFrom(c, port, jsii.String(description))
	}
}

// url is a password-less DATABASE_URL for user: the functions add the
// password from the secret DATABASE_SECRET_ARN names. With an external
// database it is that URL, whatever user.
func (db *Database) url(user string) *string {
	if db.ExternalURL != "" {
		return jsii.String(db.ExternalURL)
	}
	return jsii.String(fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=require", user, *db.Host, postgresPort, dbName))
}
