package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestGatewayService: the gateway runs on Fargate in the functions'
// private subnets, without a public address, from the image built from
// gateway/, logging to its own log group, with the secret's three fields
// injected; synthesis needed no Docker (the image is built on deploy).
func TestGatewayService(t *testing.T) {
	s := synth(t)
	service := s.json.Resources[s.logicalID(t, "Gateway")]
	vpcConfig := service.Properties["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	functionSubnets := s.json.Resources[s.logicalID(t, senderName)].Properties["VpcConfig"].(map[string]any)["SubnetIds"]
	if asJSON(vpcConfig["Subnets"]) != asJSON(functionSubnets) || vpcConfig["AssignPublicIp"] != "DISABLED" {
		t.Errorf("the gateway runs in %s (public IP %v), want the functions' private subnets %s",
			asJSON(vpcConfig["Subnets"]), vpcConfig["AssignPublicIp"], asJSON(functionSubnets))
	}
	if p := service.Properties; p["LaunchType"] != "FARGATE" || p["DesiredCount"] != 2.0 ||
		asJSON(p["DeploymentConfiguration"].(map[string]any)["DeploymentCircuitBreaker"]) != `{"Enable":true,"Rollback":true}` {
		t.Errorf("service %s", asJSON(p))
	}

	task := s.json.Resources[s.logicalID(t, "GatewayTask")]
	containers := task.Properties["ContainerDefinitions"].([]any)
	if len(containers) != 1 {
		t.Fatalf("%d containers", len(containers))
	}
	c := containers[0].(map[string]any)
	env := map[string]any{}
	for _, e := range c["Environment"].([]any) {
		env[e.(map[string]any)["Name"].(string)] = e.(map[string]any)["Value"]
	}
	wantEnv := map[string]any{"GATEWAY_TARGET": "api.dom.gosuslugi.ru:443", "GATEWAY_CHECK_HOST": "api.dom.gosuslugi.ru",
		"GATEWAY_ACCEPT": "0.0.0.0:8080", "GATEWAY_LOG_LEVEL": "info",
		"GATEWAY_CIPHERS": "GOST2012-KUZNYECHIK-KUZNYECHIKOMAC:GOST2012-MAGMA-MAGMAOMAC"}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("environment %v, want %v", env, wantEnv)
	}
	secret := s.logicalID(t, "GatewayCertificate")
	var secrets []string
	for _, e := range c["Secrets"].([]any) {
		e := e.(map[string]any)
		secrets = append(secrets, e["Name"].(string)+" "+asJSON(e["ValueFrom"]))
	}
	from := func(field string) string { return `{"Fn::Join":["",[{"Ref":"` + secret + `"},":` + field + `::"]]}` }
	if want := []string{"GATEWAY_CA_CHAIN " + from("caChain"), "GATEWAY_CLIENT_CERT " + from("certificate"),
		"GATEWAY_CLIENT_KEY " + from("privateKey")}; !sameMembers(secrets, want) {
		t.Errorf("secrets %v, want %v", secrets, want)
	}
	if c["ReadonlyRootFilesystem"] != true || asJSON(c["PortMappings"]) != `[{"ContainerPort":8080,"Protocol":"tcp"}]` {
		t.Errorf("container %s", asJSON(c))
	}
	if image := asJSON(c["Image"]); !strings.Contains(image, "container-assets") {
		t.Errorf("image %s is not the stack's image asset", image)
	}
	logs := c["LogConfiguration"].(map[string]any)
	if refID(logs["Options"].(map[string]any)["awslogs-group"]) != s.logicalID(t, "gateway-logs") {
		t.Errorf("logs go to %s", asJSON(logs))
	}
	check(t, "the gateway's log group keeps 90 days and is retained", func() {
		s.template.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Properties": map[string]any{"RetentionInDays": 90}, "DeletionPolicy": "Retain",
		})
	})

	// The image asset: gateway/ with its Dockerfile, for `cdk deploy` to build.
	var manifests []string
	filepath.Walk(workDir, func(path string, _ os.FileInfo, _ error) error {
		if strings.HasSuffix(path, ".assets.json") {
			manifests = append(manifests, path)
		}
		return nil
	})
	var found bool
	for _, m := range manifests {
		raw, _ := os.ReadFile(m)
		var assets struct {
			DockerImages map[string]struct {
				Source struct{ Directory, Platform string } `json:"source"`
			} `json:"dockerImages"`
		}
		json.Unmarshal(raw, &assets)
		for _, img := range assets.DockerImages {
			dir := filepath.Join(filepath.Dir(m), img.Source.Directory)
			if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err == nil && img.Source.Platform == "linux/amd64" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no docker image asset with a Dockerfile in the cloud assembly (manifests %v)", manifests)
	}
}

// TestGatewayLoadBalancer: an internal NLB in the private subnets, TCP 8080
// to the tasks, checked by TCP connection (stunnel has no health endpoint).
func TestGatewayLoadBalancer(t *testing.T) {
	s := synth(t)
	lb := s.json.Resources[s.logicalID(t, "GatewayLoadBalancer")]
	functionSubnets := s.json.Resources[s.logicalID(t, pollerName)].Properties["VpcConfig"].(map[string]any)["SubnetIds"]
	if lb.Properties["Scheme"] != "internal" || lb.Properties["Type"] != "network" || asJSON(lb.Properties["Subnets"]) != asJSON(functionSubnets) {
		t.Errorf("load balancer %s", asJSON(lb.Properties))
	}
	check(t, "a TCP listener on 8080", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), map[string]any{
			"Port": 8080, "Protocol": "TCP", "LoadBalancerArn": map[string]any{"Ref": s.logicalID(t, "GatewayLoadBalancer")},
		})
	})
	check(t, "the tasks are IP targets on 8080 with a TCP health check", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), map[string]any{
			"Port": 8080, "Protocol": "TCP", "TargetType": "ip",
			"HealthCheckProtocol": "TCP", "HealthCheckPort": "8080", "HealthCheckIntervalSeconds": 10,
		})
	})
}

// TestGatewayEndpoint: with useGateway on (the default), the sender, the
// poller and the enricher reach GIS at http://<load balancer>:8080; the others keep gisEndpoint.
func TestGatewayEndpoint(t *testing.T) {
	s := synth(t)
	want := `{"Fn::Join":["",["http://",{"Fn::GetAtt":["` + s.logicalID(t, "GatewayLoadBalancer") + `","DNSName"]},":8080"]]}`
	for _, name := range pipeline {
		got := asJSON(s.json.environment(s.logicalID(t, name))["GIS_ENDPOINT"])
		if name == senderName || name == pollerName || name == enricherName {
			if got != want {
				t.Errorf("%s: GIS_ENDPOINT %s, want %s", name, got, want)
			}
		} else if got != asJSON(Defaults.GISEndpoint) {
			t.Errorf("%s: GIS_ENDPOINT %s", name, got)
		}
	}
	for _, out := range []string{"GatewayEndpoint", "GatewaySecretArn"} {
		if s.json.Outputs[out] == nil {
			t.Errorf("no output %s", out)
		}
	}
}

// TestGatewayNetwork: the load balancer takes 8080 from the sender and
// poller only; the gateway takes 8080 from the load balancer only and
// sends only to 443.
func TestGatewayNetwork(t *testing.T) {
	s := synth(t)
	lbSG, gwSG := s.logicalID(t, "GatewayLoadBalancerSecurityGroup"), s.logicalID(t, "GatewaySecurityGroup")
	sgOf := func(name string) string {
		return getAttID(s.json.Resources[s.logicalID(t, name)].Properties["VpcConfig"].(map[string]any)["SecurityGroupIds"].([]any)[0])
	}
	ingress := map[string][]string{} // group → "from port"
	for _, r := range s.json.ofType("AWS::EC2::SecurityGroupIngress") {
		p := r.Properties
		ingress[getAttID(p["GroupId"])] = append(ingress[getAttID(p["GroupId"])],
			getAttID(p["SourceSecurityGroupId"])+" "+asJSON(p["FromPort"])+"-"+asJSON(p["ToPort"]))
	}
	for _, sg := range []string{lbSG, gwSG} {
		if inline := s.json.Resources[sg].Properties["SecurityGroupIngress"]; inline != nil {
			t.Errorf("%s has inline ingress %s", sg, asJSON(inline))
		}
	}
	want := []string{sgOf(pollerName) + " 8080-8080", sgOf(senderName) + " 8080-8080", sgOf(enricherName) + " 8080-8080"}
	if !sameMembers(ingress[lbSG], want) {
		t.Errorf("the load balancer takes %v, want %v", ingress[lbSG], want)
	}
	if want := []string{lbSG + " 8080-8080"}; !slices.Equal(ingress[gwSG], want) {
		t.Errorf("the gateway takes %v, want %v", ingress[gwSG], want)
	}
	egress := s.json.Resources[gwSG].Properties["SecurityGroupEgress"]
	if asJSON(egress) != `[{"CidrIp":"0.0.0.0/0","Description":"GIS ZhKKh over GOST TLS; ECR, Secrets Manager, CloudWatch Logs","FromPort":443,"IpProtocol":"tcp","ToPort":443}]` {
		t.Errorf("the gateway sends to %s, want 443 only", asJSON(egress))
	}
	for id, r := range s.json.ofType("AWS::EC2::SecurityGroupEgress") {
		if getAttID(r.Properties["GroupId"]) == gwSG {
			t.Errorf("extra gateway egress %s: %s", id, asJSON(r.Properties))
		}
	}
}

// TestGatewaySecret: the secret holds the certificate, key and CA chain;
// only the gateway's execution role may read it, and it reads no other.
func TestGatewaySecret(t *testing.T) {
	s := synth(t)
	secret := s.logicalID(t, "GatewayCertificate")
	if p := s.json.Resources[secret].Properties["GenerateSecretString"].(map[string]any); p["GenerateStringKey"] != "privateKey" ||
		p["SecretStringTemplate"] != `{"certificate":"","caChain":""}` {
		t.Errorf("secret %s", asJSON(p))
	}
	check(t, "the secret is retained", func() {
		s.template.HasResource(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
			"Properties": map[string]any{"GenerateSecretString": map[string]any{"GenerateStringKey": "privateKey"}}, "DeletionPolicy": "Retain",
		})
	})
	execRole := getAttID(s.json.Resources[s.logicalID(t, "GatewayTask")].Properties["ExecutionRoleArn"])
	taskRole := getAttID(s.json.Resources[s.logicalID(t, "GatewayTask")].Properties["TaskRoleArn"])
	var readers []string
	for _, st := range s.json.statements() {
		for _, r := range st.Resources {
			if refID(r) == secret {
				readers = append(readers, st.Roles...)
			}
		}
		if slices.Contains(st.Roles, execRole) || slices.Contains(st.Roles, taskRole) {
			for _, a := range st.Actions {
				if strings.HasPrefix(a, "secretsmanager:") && (len(st.Resources) != 1 || refID(st.Resources[0]) != secret) {
					t.Errorf("the gateway's roles may %s on %s", a, asJSON(st.Resources))
				}
			}
		}
	}
	if slices.Sort(readers); !slices.Equal(slices.Compact(readers), []string{execRole}) {
		t.Errorf("roles that may read the gateway secret: %v, want the execution role %s", readers, execRole)
	}
	if st := s.json.statementsOfRole(taskRole); len(st) != 0 {
		t.Errorf("the task role may do %s; the container needs nothing", asJSON(st))
	}
}

// TestGatewayAlarms: too few healthy tasks, and failed handshakes counted
// from the gateway's log, both on the stack's alarm topic.
func TestGatewayAlarms(t *testing.T) {
	s := synth(t)
	topic := `[{"Ref":"` + s.logicalID(t, "Alarms") + `"}]`
	unhealthy := s.json.Resources[s.logicalID(t, "GatewayUnhealthy")].Properties
	if unhealthy["Namespace"] != "AWS/NetworkELB" || unhealthy["MetricName"] != "HealthyHostCount" ||
		unhealthy["ComparisonOperator"] != "LessThanThreshold" || unhealthy["Threshold"] != 2.0 ||
		unhealthy["TreatMissingData"] != "breaching" || asJSON(unhealthy["AlarmActions"]) != topic {
		t.Errorf("GatewayUnhealthy %s", asJSON(unhealthy))
	}
	tls := s.json.Resources[s.logicalID(t, "GatewayTLSFailures")].Properties
	if tls["Namespace"] != metricNamespace || tls["MetricName"] != gatewayTLSFailures || tls["Threshold"] != 1.0 ||
		tls["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || asJSON(tls["AlarmActions"]) != topic {
		t.Errorf("GatewayTLSFailures %s", asJSON(tls))
	}
	check(t, "the gateway's SSL_connect errors are counted", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), map[string]any{
			"FilterPattern": `"SSL_connect"`, "LogGroupName": map[string]any{"Ref": s.logicalID(t, "gateway-logs")},
			"MetricTransformations": []any{map[string]any{"MetricName": gatewayTLSFailures, "MetricNamespace": metricNamespace, "MetricValue": "1"}},
		})
	})
}

// TestGatewayOff: useGateway=false leaves the gateway out and every
// function on gisEndpoint.
func TestGatewayOff(t *testing.T) {
	s, err := synthesizeWith(map[string]any{"useGateway": "false", "gisEndpoint": "http://127.0.0.1:8080"}, false)
	if err != nil {
		t.Fatal(err)
	}
	template := s.template
	for _, typ := range []string{"AWS::ECS::Service", "AWS::ElasticLoadBalancingV2::LoadBalancer"} {
		check(t, "no "+typ, func() { template.ResourceCountIs(jsii.String(typ), jsii.Number(0)) })
	}
	check(t, "every function on gisEndpoint", func() {
		template.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{"GIS_ENDPOINT": "http://127.0.0.1:8080"})},
		}, jsii.Number(len(pipeline)+2)) // and migrate and admin
	})
}

func TestGatewayConfig(t *testing.T) {
	load := func(ctx map[string]any) (GatewayConfig, error) {
		return LoadGatewayConfig(func(key string) any { return ctx[key] })
	}
	got, err := load(nil)
	want := GatewayDefaults
	want.CheckHost = "api.dom.gosuslugi.ru"
	if err != nil || got != want {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	got, err = load(map[string]any{"useGateway": "false", "gatewayTarget": "sit.example.ru:8443", "gatewayTasks": "1"})
	if err != nil || got.Use || got.Target != "sit.example.ru:8443" || got.CheckHost != "sit.example.ru" || got.Tasks != 1 {
		t.Errorf("from command-line strings: %+v, %v", got, err)
	}
	for _, tc := range []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{"useGateway": "maybe"}, "useGateway: want true or false"},
		{map[string]any{"gatewayTarget": "api.dom.gosuslugi.ru"}, "want host:port"},
		{map[string]any{"gatewayTarget": "a.ru:443\nconnect = evil:1"}, "only letters"},
		{map[string]any{"gatewayTasks": 11.0}, "gatewayTasks: 11 is outside 0..10"},
	} {
		if _, err := load(tc.ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.ctx, err, tc.want)
		}
	}

	// cdk.json holds the same defaults (the CDK CLI reads it; `go run .` sees GatewayDefaults).
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cdk struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cdk); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"useGateway", "gatewayTarget", "gatewayTasks"} {
		if _, ok := cdk.Context[key]; !ok {
			t.Errorf("cdk.json has no context key %s", key)
		}
	}
	if got, err := load(cdk.Context); err != nil || got != want {
		t.Errorf("cdk.json gives %+v, %v; defaults are %+v", got, err, want)
	}
}

// TestBasicAuthForTheTestStand: gisBasicAuth gives the sender and poller a
// secret with the test stand's credentials, and nothing else reads it.
func TestBasicAuthForTheTestStand(t *testing.T) {
	s, err := synthesizeWith(map[string]any{"gisBasicAuth": true}, true)
	if err != nil {
		t.Fatal(err)
	}
	secret := s.logicalID(t, "GisBasicAuth")
	for _, name := range []string{senderName, pollerName, enricherName} {
		if got := asJSON(s.json.environment(s.logicalID(t, name))["GIS_BASIC_AUTH"]); !strings.Contains(got, secret) {
			t.Errorf("%s: GIS_BASIC_AUTH %s, want the secret %s", name, got, secret)
		}
	}
	for _, name := range []string{uploadTriggerName, reconcilerName, packerName} {
		if env := s.json.environment(s.logicalID(t, name)); env["GIS_BASIC_AUTH"] != nil {
			t.Errorf("%s gets GIS_BASIC_AUTH", name)
		}
	}
	if off := synth(t); off.json.Resources[secret].Type != "" {
		t.Error("the secret exists without gisBasicAuth")
	}
}
