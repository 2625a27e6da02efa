package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const (
	dbName       = "gis_payments"
	dbUser       = "gis_app"
	postgresPort = 5432
)

// newNetwork builds the VPC: public subnets only hold the NAT gateway; functions
// run in private subnets with egress (GIS ZhKKh is on the internet); the
// database sits in isolated subnets.
func newNetwork(scope constructs.Construct) awsec2.Vpc {
	vpc := awsec2.NewVpc(scope, jsii.String("Network"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(1), // one is enough for a daily batch; a second AZ's would double the cost
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("functions"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(22)},
			{Name: jsii.String("database"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
	})
	// Exports and archives stay off the NAT gateway (a gateway endpoint is
	// free), and so do the calls that carry credentials. KMS is called by S3
	// itself, and Lambda ships logs and traces outside the VPC: no endpoints
	// for those.
	vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
	})
	vpc.AddInterfaceEndpoint(jsii.String("SecretsManager"), &awsec2.InterfaceVpcEndpointOptions{
		Service: awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER(),
	})
	vpc.AddInterfaceEndpoint(jsii.String("StepFunctions"), &awsec2.InterfaceVpcEndpointOptions{
		Service: awsec2.InterfaceVpcEndpointAwsService_STEP_FUNCTIONS(),
	})
	return vpc
}

// Database is PostgreSQL and the RDS Proxy the functions connect through.
type Database struct {
	Instance awsrds.DatabaseInstance
	Proxy    awsrds.DatabaseProxy
}

func newDatabase(scope constructs.Construct, vpc awsec2.IVpc) *Database {
	instance := awsrds.NewDatabaseInstance(scope, jsii.String("Database"), &awsrds.DatabaseInstanceProps{
		Engine: awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{
			Version: awsrds.PostgresEngineVersion_VER_15(),
		}),
		InstanceType:            awsec2.InstanceType_Of(awsec2.InstanceClass_BURSTABLE4_GRAVITON, awsec2.InstanceSize_SMALL),
		Vpc:                     vpc,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		DatabaseName:            jsii.String(dbName),
		Credentials:             awsrds.Credentials_FromGeneratedSecret(jsii.String(dbUser), nil),
		StorageType:             awsrds.StorageType_GP3,
		StorageEncrypted:        jsii.Bool(true),
		AllocatedStorage:        jsii.Number(20),
		MaxAllocatedStorage:     jsii.Number(200),
		BackupRetention:         awscdk.Duration_Days(jsii.Number(7)),
		DeletionProtection:      jsii.Bool(true),
		RemovalPolicy:           awscdk.RemovalPolicy_SNAPSHOT,
		CloudwatchLogsExports:   jsii.Strings("postgresql"),
		AutoMinorVersionUpgrade: jsii.Bool(true),
	})
	proxy := instance.AddProxy(jsii.String("Proxy"), &awsrds.DatabaseProxyOptions{
		DbProxyName: jsii.String(*awscdk.Aws_STACK_NAME() + "-db"), // proxy names are unique per account and region
		Vpc:         vpc,
		VpcSubnets:  &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
		Secrets:     &[]awssecretsmanager.ISecret{instance.Secret()},
		RequireTLS:  jsii.Bool(true),
	})
	return &Database{Instance: instance, Proxy: proxy}
}

// postgresURL is a password-less DATABASE_URL for host: the functions add the
// password from the secret DATABASE_SECRET_ARN names.
func postgresURL(host string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=require", dbUser, host, postgresPort, dbName)
}
