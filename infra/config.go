package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
)

// Config is what a deployment may change, read from CDK context (cdk.json,
// `cdk -c key=value`, or the CDK_CONTEXT_JSON environment variable).
// Defaults mirrors the "context" of cdk.json at the repository root.
type Config struct {
	LambdaAssets      string   // lambdaAssets: directory with <function>/bootstrap, as `make build-lambda` writes it
	GISEndpoint       string   // gisEndpoint: GIS ZhKKh base URL (GIS_ENDPOINT)
	SendConcurrency   int      // sendConcurrency: MaxConcurrency of the "Send packages" Map
	PollWaitSeconds   int      // pollWaitSeconds: "Wait for GIS" between polls
	RunTimeoutMinutes int      // runTimeoutMinutes: a run waiting for GIS longer is timed_out (RUN_TIMEOUT); the sweep goes on
	ExecutionHours    int      // executionTimeoutHours: the state machine's own limit, a backstop above every step's retries
	GISTimeoutSeconds int      // gisTimeoutSeconds: one call to GIS at most (GIS_TIMEOUT); the sender's timeout is set above it
	GISBasicAuth      bool     // gisBasicAuth: a secret with the test stand's user:password for the sender and poller
	Organizations     []string // organizations: codes that get an uploader role (the daily runs come from Postgres)
	// approvalTimeoutHours: how long a run waits for approval before it
	// ends approval_expired; dailyRunConcurrency: child runs the daily
	// fan-out starts at once; paymentMaxAgeHours: payments unloaded longer
	// raise UnloadedPayments (PAYMENT_MAX_AGE_HOURS).
	ApprovalTimeoutHours int
	DailyRunConcurrency  int
	PaymentMaxAgeHours   int
	AlarmEmail           string // alarmEmail: subscribed to the alarm topic when set
	LogLevel             string // logLevel: the functions' log level (DEBUG, INFO, WARN, ERROR)
	MigrationsDir        string // the goose migrations, hashed so a change reruns the migration step

	// Switches with a price (infra/README.md, Costs).
	MultiAZ             bool              // multiAz: a standby database in the second AZ
	RDSProxy            bool              // rdsProxy: the functions connect through RDS Proxy
	InterfaceEndpoints  bool              // interfaceEndpoints: Secrets Manager and Step Functions endpoints instead of the NAT gateway
	ExternalDatabaseURL string            // externalDatabaseUrl: no RDS at all; every function gets this DATABASE_URL (LocalStack community)
	UploaderPrincipals  map[string]string // uploaderPrincipals: organisation → the ARN that may assume its uploader role (default: this account)
}

// Defaults are the values used when a context key is absent.
var Defaults = Config{
	LambdaAssets:         "../bin/lambda",
	GISEndpoint:          "https://api.dom.gosuslugi.ru",
	SendConcurrency:      10,
	PollWaitSeconds:      60,
	RunTimeoutMinutes:    60,
	ExecutionHours:       24,
	GISTimeoutSeconds:    30,
	Organizations:        []string{},
	ApprovalTimeoutHours: 72,
	DailyRunConcurrency:  5,
	PaymentMaxAgeHours:   48,
	LogLevel:             "INFO",
	MigrationsDir:        "../internal/postgres/migrations",
	RDSProxy:             true,
	InterfaceEndpoints:   true,
	UploaderPrincipals:   map[string]string{},
}

// inlineMapLimit is the most iterations an inline Map runs at once,
// whatever MaxConcurrency says.
const inlineMapLimit = 40

// LoadConfig reads the context of node over Defaults. Values given on the
// command line arrive as strings, so numbers and lists accept those too.
func LoadConfig(node constructs.Node) (Config, error) {
	c := Defaults
	ctx := func(key string) any { return node.TryGetContext(&key) }
	var errs []string
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	fail(stringValue(ctx("lambdaAssets"), "lambdaAssets", &c.LambdaAssets))
	fail(stringValue(ctx("gisEndpoint"), "gisEndpoint", &c.GISEndpoint))
	fail(stringValue(ctx("alarmEmail"), "alarmEmail", &c.AlarmEmail))
	fail(stringValue(ctx("logLevel"), "logLevel", &c.LogLevel))
	fail(intValue(ctx("sendConcurrency"), "sendConcurrency", 1, inlineMapLimit, &c.SendConcurrency))
	fail(intValue(ctx("pollWaitSeconds"), "pollWaitSeconds", 1, 3600, &c.PollWaitSeconds))
	fail(intValue(ctx("runTimeoutMinutes"), "runTimeoutMinutes", 1, 7*24*60, &c.RunTimeoutMinutes))
	fail(intValue(ctx("executionTimeoutHours"), "executionTimeoutHours", 1, 30*24, &c.ExecutionHours))
	fail(intValue(ctx("gisTimeoutSeconds"), "gisTimeoutSeconds", 5, 300, &c.GISTimeoutSeconds))
	fail(boolValue(ctx("gisBasicAuth"), "gisBasicAuth", &c.GISBasicAuth))
	fail(listValue(ctx("organizations"), "organizations", &c.Organizations))
	fail(intValue(ctx("approvalTimeoutHours"), "approvalTimeoutHours", 1, 30*24, &c.ApprovalTimeoutHours))
	fail(intValue(ctx("dailyRunConcurrency"), "dailyRunConcurrency", 1, inlineMapLimit, &c.DailyRunConcurrency))
	fail(intValue(ctx("paymentMaxAgeHours"), "paymentMaxAgeHours", 1, 30*24, &c.PaymentMaxAgeHours))
	fail(boolValue(ctx("multiAz"), "multiAz", &c.MultiAZ))
	fail(boolValue(ctx("rdsProxy"), "rdsProxy", &c.RDSProxy))
	fail(boolValue(ctx("interfaceEndpoints"), "interfaceEndpoints", &c.InterfaceEndpoints))
	fail(stringValue(ctx("externalDatabaseUrl"), "externalDatabaseUrl", &c.ExternalDatabaseURL))
	fail(mapValue(ctx("uploaderPrincipals"), "uploaderPrincipals", &c.UploaderPrincipals))
	for org := range c.UploaderPrincipals {
		if !slices.Contains(c.Organizations, org) {
			errs = append(errs, fmt.Sprintf("uploaderPrincipals: %q is not in organizations", org))
		}
	}
	if u := c.ExternalDatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		errs = append(errs, "externalDatabaseUrl: want a postgres:// URL")
	}
	c.LogLevel = strings.ToUpper(c.LogLevel)
	switch c.LogLevel {
	case "DEBUG", "INFO", "WARN", "ERROR":
	default:
		errs = append(errs, fmt.Sprintf("logLevel %q: want DEBUG, INFO, WARN or ERROR", c.LogLevel))
	}
	if c.ExecutionHours*60 <= c.RunTimeoutMinutes {
		errs = append(errs, fmt.Sprintf("executionTimeoutHours %d must leave time beyond runTimeoutMinutes %d", c.ExecutionHours, c.RunTimeoutMinutes))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("context: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func stringValue(v any, key string, dst *string) error {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		*dst = v
		return nil
	}
	return fmt.Errorf("%s: want a string, got %v", key, v)
}

func intValue(v any, key string, lo, hi int, dst *int) error {
	var n int
	switch v := v.(type) {
	case nil:
		return nil
	case float64:
		n = int(v)
		if float64(n) != v {
			return fmt.Errorf("%s: %v is not a whole number", key, v)
		}
	case string:
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("%s: %q is not a whole number", key, v)
		}
	default:
		return fmt.Errorf("%s: want a number, got %v", key, v)
	}
	if n < lo || n > hi {
		return fmt.Errorf("%s: %d is outside %d..%d", key, n, lo, hi)
	}
	*dst = n
	return nil
}

// boolValue takes a JSON boolean or "true"/"false".
func boolValue(v any, key string, dst *bool) error {
	switch v := v.(type) {
	case nil:
		return nil
	case bool:
		*dst = v
		return nil
	case string:
		b, err := strconv.ParseBool(v)
		if err == nil {
			*dst = b
			return nil
		}
	}
	return fmt.Errorf("%s: want true or false, got %v", key, v)
}

// mapValue takes a JSON object of strings or "key=value,key=value".
func mapValue(v any, key string, dst *map[string]string) error {
	out := map[string]string{}
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		for _, pair := range strings.Split(v, ",") {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			k, val, ok := strings.Cut(pair, "=")
			if !ok {
				return fmt.Errorf("%s: %q is not key=value", key, pair)
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	case map[string]any:
		for k, item := range v {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("%s: %s: %v is not a string", key, k, item)
			}
			out[k] = s
		}
	default:
		return fmt.Errorf("%s: want an object of strings, got %v", key, v)
	}
	*dst = out
	return nil
}

// listValue takes a JSON list of strings or a comma-separated string.
func listValue(v any, key string, dst *[]string) error {
	var items []string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		items = strings.Split(v, ",")
	case []any:
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("%s: %v is not a string", key, item)
			}
			items = append(items, s)
		}
	default:
		return fmt.Errorf("%s: want a list of strings, got %v", key, v)
	}
	out := []string{}
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	*dst = out
	return nil
}

// cdkJSON is the CDK CLI's project file at the repository root: the app
// command and the context, the feature flags included.
const cdkJSON = "../cdk.json"

// FileContext is the "context" of cdk.json. The app starts from it, so that
// `go run .` and the tests synthesize with the same feature flags as `cdk
// deploy` (the CLI's own context, CDK_CONTEXT_JSON, still takes precedence).
func FileContext(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file.Context, nil
}
