package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The functions log in as the application's role with its own secret; only
// migrate holds the master secret, and it creates that role. Both secrets
// rotate; the proxy knows both.
func TestDatabaseUsersAndSecrets(t *testing.T) {
	s := synth(t)
	master, app := s.logicalID(t, "Database", "Secret", "Attachment"), s.logicalID(t, "AppDatabaseSecret", "Attachment")
	appSecret := s.logicalID(t, "AppDatabaseSecret")
	check(t, "the master user is gis_admin", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{"SecretStringTemplate": `{"username":"gis_admin"}`}),
		})
	})
	check(t, "the application's secret is generated for gis_app", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{
				"SecretStringTemplate": assertions.Match_StringLikeRegexp(jsii.String(`"username":"gis_app"`))}),
		})
	})
	for _, secret := range []string{master, app} {
		check(t, secret+" rotates every 30 days with the hosted single-user PostgreSQL rotation, in the VPC", func() {
			s.template.HasResourceProperties(jsii.String("AWS::SecretsManager::RotationSchedule"), map[string]any{
				"SecretId": map[string]any{"Ref": secret},
				"HostedRotationLambda": assertions.Match_ObjectLike(&map[string]any{
					"RotationType": "PostgreSQLSingleUser", "VpcSubnetIds": assertions.Match_AnyValue()}),
				"RotationRules": map[string]any{"ScheduleExpression": "rate(30 days)"},
			})
		})
	}
	rotation := s.logicalID(t, "AppDatabaseSecret", "Attachment", "AppRotation")
	if deps := asJSON(s.json.Resources[rotation].DependsOn); !strings.Contains(deps, `"Migrations"`) {
		t.Errorf("the application secret rotates before migrate created its role: DependsOn %s", deps)
	}
	proxyAuth := asJSON(s.json.ofTypeOne(t, "AWS::RDS::DBProxy").Properties["Auth"])
	if !strings.Contains(proxyAuth, `"Ref":"`+master+`"`) || !strings.Contains(proxyAuth, `"Ref":"`+app+`"`) {
		t.Errorf("the proxy's Auth %s does not name both secrets", proxyAuth)
	}

	migrate := s.logicalID(t, migrateName)
	for _, name := range pipeline {
		env := s.json.environment(s.logicalID(t, name))
		if refID(env["DATABASE_SECRET_ARN"]) != app || !strings.Contains(asJSON(env["DATABASE_URL"]), "postgres://gis_app@") {
			t.Errorf("%s: DATABASE_SECRET_ARN %s, DATABASE_URL %s; want the application's secret and user",
				name, asJSON(env["DATABASE_SECRET_ARN"]), asJSON(env["DATABASE_URL"]))
		}
		if deps := asJSON(s.json.Resources[s.logicalID(t, name)].DependsOn); !strings.Contains(deps, `"Migrations"`) {
			t.Errorf("%s may be updated before the migrations: DependsOn %s", name, deps)
		}
	}
	env := s.json.environment(migrate)
	if refID(env["DATABASE_SECRET_ARN"]) != master || refID(env["APP_DATABASE_SECRET_ARN"]) != app ||
		!strings.Contains(asJSON(env["DATABASE_URL"]), "postgres://gis_admin@") {
		t.Errorf("migrate's environment %s: want the master user and secret, and the application's secret", asJSON(env))
	}
	// Who may read which secret.
	readers := map[string][]string{}
	for _, st := range s.json.statements() {
		if !slices.Contains(st.Actions, "secretsmanager:GetSecretValue") {
			continue
		}
		for _, r := range st.Resources {
			for _, secret := range []string{master, app, appSecret} {
				if refID(r) == secret {
					readers[secret] = append(readers[secret], st.Roles...)
				}
			}
		}
	}
	proxyRole := s.logicalID(t, "Database", "Proxy", "IAMRole")
	if want := []string{proxyRole, s.json.roleOf(migrate)}; !sameMembers(readers[master], want) {
		t.Errorf("roles that may read the master secret: %v, want the proxy's and migrate's only %v", readers[master], want)
	}
	want := []string{proxyRole}
	for _, name := range append(slices.Clone(pipeline), migrateName, adminName) {
		want = append(want, s.json.roleOf(s.logicalID(t, name)))
	}
	if !sameMembers(readers[app], want) {
		t.Errorf("roles that may read the application's secret: %v, want the functions' %v", readers[app], want)
	}
	last, err := lastVersion(Defaults.MigrationsDir)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "the migrations carry their last version, for rollbacks", func() {
		s.template.HasResourceProperties(jsii.String("Custom::Migrations"), map[string]any{
			"MigrationsVersion": fmt.Sprint(last), "AppSecretArn": map[string]any{"Ref": app},
		})
	})
}

func TestLastMigrationVersion(t *testing.T) {
	if v, err := lastVersion(Defaults.MigrationsDir); err != nil || v < 6 {
		t.Errorf("lastVersion: %d, %v", v, err)
	}
}

// The defaults: single-AZ, the proxy, the interface endpoints.
func TestDefaultSwitches(t *testing.T) {
	s := synth(t)
	check(t, "single-AZ", func() {
		s.template.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{"MultiAZ": false})
	})
	check(t, "an RDS Proxy", func() { s.template.ResourceCountIs(jsii.String("AWS::RDS::DBProxy"), jsii.Number(1)) })
	check(t, "Secrets Manager and Step Functions endpoints", func() {
		s.template.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(3)) // with the S3 gateway
	})
}

func TestSwitchesOff(t *testing.T) {
	s, err := synthesizeWith(map[string]any{"multiAz": true, "rdsProxy": false, "interfaceEndpoints": false}, false)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "multi-AZ", func() {
		s.template.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{"MultiAZ": true})
	})
	check(t, "no proxy", func() { s.template.ResourceCountIs(jsii.String("AWS::RDS::DBProxy"), jsii.Number(0)) })
	check(t, "only the S3 gateway endpoint", func() {
		s.template.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(1))
	})
	db := s.logicalID(t, "Database")
	url := asJSON(s.json.environment(s.logicalID(t, packerName))["DATABASE_URL"])
	if !strings.Contains(url, `"`+db+`","Endpoint.Address"`) {
		t.Errorf("without the proxy DATABASE_URL %s does not name the instance", url)
	}
	sg := s.logicalID(t, "Database", "SecurityGroup")
	ingress := len(list(s.json.Resources[sg].Properties["SecurityGroupIngress"]))
	for _, r := range s.json.ofType("AWS::EC2::SecurityGroupIngress") {
		if getAttID(r.Properties["GroupId"]) == sg {
			ingress++
		}
	}
	if ingress < 6 { // five functions, migrate, rotation
		t.Errorf("%d ingress rules on the database's security group, want the functions' and the rotation's", ingress)
	}
}

// externalDatabaseUrl (LocalStack community): no RDS, no proxy, no
// database secrets; every function and migrate get the URL.
func TestExternalDatabase(t *testing.T) {
	const url = "postgres://gis:gis@host.docker.internal:5432/gis_payments?sslmode=disable"
	s, err := synthesizeWith(map[string]any{"externalDatabaseUrl": url}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"AWS::RDS::DBInstance", "AWS::RDS::DBProxy", "AWS::SecretsManager::RotationSchedule"} {
		check(t, "no "+typ, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(0)) })
	}
	for _, name := range append(slices.Clone(pipeline), migrateName) {
		env := s.json.environment(s.logicalID(t, name))
		if env["DATABASE_URL"] != url || env["DATABASE_SECRET_ARN"] != nil || env["APP_DATABASE_SECRET_ARN"] != nil {
			t.Errorf("%s: DATABASE_URL %v, DATABASE_SECRET_ARN %v", name, env["DATABASE_URL"], env["DATABASE_SECRET_ARN"])
		}
	}
}

func TestConfigSwitches(t *testing.T) {
	got, err := loadConfig(t, map[string]any{"multiAz": "true", "rdsProxy": false, "interfaceEndpoints": "false",
		"organizations": "a,b", "uploaderPrincipals": "a=arn:aws:iam::111122223333:role/up"})
	if err != nil || !got.MultiAZ || got.RDSProxy || got.InterfaceEndpoints ||
		!reflect.DeepEqual(got.UploaderPrincipals, map[string]string{"a": "arn:aws:iam::111122223333:role/up"}) {
		t.Errorf("%+v, %v", got, err)
	}
	for ctx, want := range map[string]map[string]any{
		"multiAz: want true or false":                     {"multiAz": "maybe"},
		`uploaderPrincipals: "x" is not in organizations`: {"uploaderPrincipals": map[string]any{"x": "arn:aws:iam::1:root"}},
		"externalDatabaseUrl: want a postgres:// URL":     {"externalDatabaseUrl": "mysql://x"},
	} {
		if _, err := loadConfig(t, want); err == nil || !strings.Contains(err.Error(), ctx) {
			t.Errorf("%v: %v, want %q", want, err, ctx)
		}
	}
}
