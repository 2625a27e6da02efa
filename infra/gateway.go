package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	cwactions "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// The GOST-TLS gateway (gateway/ at the repository root): GIS ZhKKh is
// reached over TLS 1.2 with GOST cipher suites and a GOST client
// certificate, which Go's crypto/tls cannot do. The sender and the poller
// talk plain HTTP to an internal Network Load Balancer inside the VPC;
// behind it, stunnel on Fargate holds the client certificate and talks
// GOST TLS to GIS.

const (
	gatewayPort      = 8080
	gatewayContainer = "gateway"
	// gatewayTLSFailures counts the gateway's failed handshakes with GIS
	// (stunnel logs "SSL_connect: …" for each; internal/gosttls checks it).
	gatewayTLSFailures = "GatewayTLSFailures"
)

// GatewayConfig is the gateway's part of the context (kept out of Config so
// that the gateway stays in this file).
type GatewayConfig struct {
	Use       bool   // useGateway: GIS_ENDPOINT of the sender and poller is the gateway
	Target    string // gatewayTarget: host:port of GIS the gateway connects to
	CheckHost string // gatewayCheckHost: the name GIS's certificate must carry (default: the target's host)
	Tasks     int    // gatewayTasks: gateway tasks to run (0 until the secret holds the certificate)
	Ciphers   string // gatewayCiphers: the TLS 1.2 suites the gateway offers GIS
	Dir       string // gatewayDir: the image's build context, relative to infra/
}

// GatewayDefaults are the values used when a context key is absent.
var GatewayDefaults = GatewayConfig{Use: true, Target: "api.dom.gosuslugi.ru:443", Tasks: 2, Dir: "../gateway",
	Ciphers: "GOST2012-KUZNYECHIK-KUZNYECHIKOMAC:GOST2012-MAGMA-MAGMAOMAC"}

// LoadGatewayConfig reads the gateway's context keys over GatewayDefaults.
func LoadGatewayConfig(ctx func(key string) any) (GatewayConfig, error) {
	c := GatewayDefaults
	var errs []string
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	fail(boolValue(ctx("useGateway"), "useGateway", &c.Use))
	fail(stringValue(ctx("gatewayTarget"), "gatewayTarget", &c.Target))
	fail(stringValue(ctx("gatewayCheckHost"), "gatewayCheckHost", &c.CheckHost))
	fail(stringValue(ctx("gatewayDir"), "gatewayDir", &c.Dir))
	fail(stringValue(ctx("gatewayCiphers"), "gatewayCiphers", &c.Ciphers))
	fail(intValue(ctx("gatewayTasks"), "gatewayTasks", 0, 10, &c.Tasks))
	host, port, ok := strings.Cut(c.Target, ":")
	if n, err := strconv.Atoi(port); !ok || host == "" || err != nil || n < 1 || n > 65535 {
		errs = append(errs, fmt.Sprintf("gatewayTarget %q: want host:port", c.Target))
	}
	if c.CheckHost == "" {
		c.CheckHost = host
	}
	for _, v := range []string{c.Target, c.CheckHost, c.Ciphers} { // they end up on stunnel.conf lines
		if strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-") != "" {
			errs = append(errs, fmt.Sprintf("gateway host %q: only letters, digits, '.', '-' and ':'", v))
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("context: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// Gateway is what the stack made of it.
type Gateway struct {
	Secret       awssecretsmanager.Secret
	LoadBalancer elbv2.NetworkLoadBalancer
	Service      awsecs.FargateService
	Endpoint     *string // http://<load balancer>:8080, GIS_ENDPOINT of the sender and poller
}

// newGateway runs the gateway when useGateway is on (nil otherwise): the
// image built from gateway/, a Fargate service in the private subnets behind
// an internal NLB (TCP 8080, TCP health check), its log group, alarms on
// the stack's alarm topic, and the secret holding the client certificate,
// its key and GIS's CA chain, readable by the task's execution role alone.
func newGateway(stack awscdk.Stack, d *deps, f *Functions) (*Gateway, error) {
	cfg, err := LoadGatewayConfig(func(key string) any { return stack.Node().TryGetContext(&key) })
	if err != nil || !cfg.Use {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "Dockerfile"))
	}
	if err != nil {
		return nil, fmt.Errorf("gateway image: %w (set the context key gatewayDir, or useGateway=false)", err)
	}
	topic, ok := stack.Node().TryFindChild(jsii.String("Alarms")).(awssns.ITopic)
	if !ok {
		return nil, fmt.Errorf("gateway: the stack has no alarm topic \"Alarms\" for its alarms")
	}

	secret := awssecretsmanager.NewSecret(stack, jsii.String("GatewayCertificate"), &awssecretsmanager.SecretProps{
		Description: jsii.String(`GOST-TLS gateway: JSON {"certificate", "privateKey", "caChain"}, PEM texts of the GIS client ` +
			`certificate, its key and the CAs of GIS's server certificate: put the real values after the first deploy`),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"certificate":"","caChain":""}`),
			GenerateStringKey:    jsii.String("privateKey"), // a placeholder the entrypoint refuses: no PEM
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	logs := awslogs.NewLogGroup(stack, jsii.String("gateway-logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_THREE_MONTHS,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	task := awsecs.NewFargateTaskDefinition(stack, jsii.String("GatewayTask"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(256),
		MemoryLimitMiB: jsii.Number(512),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       awsecs.CpuArchitecture_X86_64(), // built where `cdk deploy` runs: no emulation
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	image := awsecrassets.NewDockerImageAsset(stack, jsii.String("GatewayImage"), &awsecrassets.DockerImageAssetProps{
		Directory: jsii.String(dir),
		Platform:  awsecrassets.Platform_LINUX_AMD64(),
	})
	fromSecret := func(field string) awsecs.Secret { return awsecs.Secret_FromSecretsManager(secret, jsii.String(field)) }
	task.AddContainer(jsii.String(gatewayContainer), &awsecs.ContainerDefinitionOptions{
		Image:                  awsecs.ContainerImage_FromDockerImageAsset(image),
		Essential:              jsii.Bool(true),
		ReadonlyRootFilesystem: jsii.Bool(true), // the entrypoint writes to /dev/shm only
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup: logs, StreamPrefix: jsii.String(gatewayContainer),
		}),
		Environment: &map[string]*string{
			"GATEWAY_TARGET":     jsii.String(cfg.Target),
			"GATEWAY_CHECK_HOST": jsii.String(cfg.CheckHost),
			"GATEWAY_ACCEPT":     jsii.String(fmt.Sprintf("0.0.0.0:%d", gatewayPort)),
			"GATEWAY_LOG_LEVEL":  jsii.String("info"),
			"GATEWAY_CIPHERS":    jsii.String(cfg.Ciphers),
		},
		Secrets: &map[string]awsecs.Secret{
			"GATEWAY_CLIENT_CERT": fromSecret("certificate"),
			"GATEWAY_CLIENT_KEY":  fromSecret("privateKey"),
			"GATEWAY_CA_CHAIN":    fromSecret("caChain"),
		},
		PortMappings: &[]*awsecs.PortMapping{{ContainerPort: jsii.Number(gatewayPort), Protocol: awsecs.Protocol_TCP}},
	})

	// The gateway speaks TLS to GIS and nothing else: 443 out (GIS; ECR,
	// Secrets Manager and CloudWatch Logs for the task itself), 8080 in
	// from the load balancer only.
	gatewaySG := awsec2.NewSecurityGroup(stack, jsii.String("GatewaySecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: d.vpc, AllowAllOutbound: jsii.Bool(false),
		Description: jsii.String("GOST-TLS gateway: 8080 from its load balancer, 443 out"),
	})
	gatewaySG.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("GIS ZhKKh over GOST TLS; ECR, Secrets Manager, CloudWatch Logs"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("GatewayCluster"), &awsecs.ClusterProps{Vpc: d.vpc,
		ContainerInsightsV2: awsecs.ContainerInsights_ENABLED})
	service := awsecs.NewFargateService(stack, jsii.String("Gateway"), &awsecs.FargateServiceProps{
		Cluster:                cluster,
		TaskDefinition:         task,
		DesiredCount:           jsii.Number(float64(cfg.Tasks)),
		VpcSubnets:             &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		SecurityGroups:         &[]awsec2.ISecurityGroup{gatewaySG},
		AssignPublicIp:         jsii.Bool(false),
		MinHealthyPercent:      jsii.Number(100),
		MaxHealthyPercent:      jsii.Number(200),
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(30)),
	})

	lbSG := awsec2.NewSecurityGroup(stack, jsii.String("GatewayLoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: d.vpc, AllowAllOutbound: jsii.Bool(false),
		Description: jsii.String("GOST-TLS gateway's load balancer: 8080 from the sender and poller, 8080 to the gateway"),
	})
	lb := elbv2.NewNetworkLoadBalancer(stack, jsii.String("GatewayLoadBalancer"), &elbv2.NetworkLoadBalancerProps{
		Vpc:              d.vpc,
		InternetFacing:   jsii.Bool(false),
		VpcSubnets:       &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		CrossZoneEnabled: jsii.Bool(true), // a function in either zone reaches a task in either
		SecurityGroups:   &[]awsec2.ISecurityGroup{lbSG},
	})
	listener := lb.AddListener(jsii.String("Http"), &elbv2.BaseNetworkListenerProps{
		Port: jsii.Number(gatewayPort), Protocol: elbv2.Protocol_TCP,
	})
	// stunnel has no health endpoint: the check is that port 8080 takes a
	// TCP connection (it does once stunnel has loaded the certificate).
	targets := listener.AddTargets(jsii.String("Gateway"), &elbv2.AddNetworkTargetsProps{
		Port:     jsii.Number(gatewayPort),
		Protocol: elbv2.Protocol_TCP,
		Targets: &[]elbv2.INetworkLoadBalancerTarget{service.LoadBalancerTarget(&awsecs.LoadBalancerTargetOptions{
			ContainerName: jsii.String(gatewayContainer), ContainerPort: jsii.Number(gatewayPort),
		})},
		HealthCheck: &elbv2.HealthCheck{
			Protocol:                elbv2.Protocol_TCP,
			Port:                    jsii.String(fmt.Sprint(gatewayPort)),
			Interval:                awscdk.Duration_Seconds(jsii.Number(10)),
			HealthyThresholdCount:   jsii.Number(2),
			UnhealthyThresholdCount: jsii.Number(2),
		},
		DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(float64(d.cfg.GISTimeoutSeconds + 10))),
	})
	port := awsec2.Port_Tcp(jsii.Number(gatewayPort))
	for _, c := range f.gisCallers() {
		lb.Connections().AllowFrom(c.fn, port, jsii.String(c.name+" to the GOST-TLS gateway"))
	}
	service.Connections().AllowFrom(lb, port, jsii.String("the load balancer (traffic and health checks) to the gateway"))

	endpoint := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("http://"), lb.LoadBalancerDnsName(), jsii.String(fmt.Sprintf(":%d", gatewayPort)),
	})
	for _, c := range f.gisCallers() {
		c.fn.AddEnvironment(jsii.String("GIS_ENDPOINT"), endpoint, nil)
	}

	newGatewayAlarms(stack, cfg, topic, targets, logs)
	output(stack, "GatewayEndpoint", endpoint)
	output(stack, "GatewaySecretArn", secret.SecretArn())
	return &Gateway{Secret: secret, LoadBalancer: lb, Service: service, Endpoint: endpoint}, nil
}

// newGatewayAlarms: fewer healthy tasks than wanted (no data counts: no
// data means no target group answering), and failed handshakes with GIS
// (a certificate GIS refuses, an expired one, a wrong CA chain), which our
// functions only see as closed connections and retry.
func newGatewayAlarms(stack awscdk.Stack, cfg GatewayConfig, topic awssns.ITopic, targets elbv2.NetworkTargetGroup, logs awslogs.LogGroup) {
	if cfg.Tasks > 0 {
		healthy := cw.NewAlarm(stack, jsii.String("GatewayUnhealthy"), &cw.AlarmProps{
			AlarmDescription: jsii.String("The GOST-TLS gateway has fewer healthy tasks than gatewayTasks: " +
				"GIS is unreachable for the sender and poller (see the gateway's log group)"),
			Metric: targets.Metrics().HealthyHostCount(&cw.MetricOptions{
				Statistic: jsii.String("Minimum"), Period: awscdk.Duration_Minutes(jsii.Number(1)),
			}),
			Threshold:          jsii.Number(float64(cfg.Tasks)),
			ComparisonOperator: cw.ComparisonOperator_LESS_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(3),
			DatapointsToAlarm:  jsii.Number(3),
			TreatMissingData:   cw.TreatMissingData_BREACHING,
		})
		healthy.AddAlarmAction(cwactions.NewSnsAction(topic))
	}
	awslogs.NewMetricFilter(stack, jsii.String("GatewayTLSFailureFilter"), &awslogs.MetricFilterProps{
		LogGroup:        logs,
		FilterPattern:   awslogs.FilterPattern_AnyTerm(jsii.String("SSL_connect")),
		MetricNamespace: jsii.String(metricNamespace),
		MetricName:      jsii.String(gatewayTLSFailures),
		MetricValue:     jsii.String("1"),
	})
	tls := cw.NewAlarm(stack, jsii.String("GatewayTLSFailures"), &cw.AlarmProps{
		AlarmDescription: jsii.String("The GOST-TLS gateway failed TLS handshakes with GIS (client certificate refused " +
			"or expired, wrong CA chain or host): sends and polls are retried until it is fixed"),
		Metric: cw.NewMetric(&cw.MetricProps{
			Namespace: jsii.String(metricNamespace), MetricName: jsii.String(gatewayTLSFailures),
			Statistic: jsii.String("Sum"), Period: fiveMinutes(),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
	})
	tls.AddAlarmAction(cwactions.NewSnsAction(topic))
}
