package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

func loadConfig(t *testing.T, ctx map[string]any) (Config, error) {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: &workDir})
	return LoadConfig(app.Node())
}

// TestCdkJSONHoldsTheDefaults keeps cdk.json and Defaults from drifting:
// `go run .` without the CDK CLI sees only Defaults.
func TestCdkJSONHoldsTheDefaults(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cdk struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cdk); err != nil {
		t.Fatal(err)
	}
	if cdk.App != "cd infra && go run ." {
		t.Errorf("cdk.json app %q", cdk.App)
	}
	got, err := loadConfig(t, cdk.Context)
	if err != nil || !reflect.DeepEqual(got, Defaults) {
		t.Errorf("cdk.json context gives %+v, %v; Defaults are %+v", got, err, Defaults)
	}
	for _, key := range []string{"lambdaAssets", "gisEndpoint", "sendConcurrency", "pollWaitSeconds", "runTimeoutMinutes",
		"organizations", "alarmEmail", "logLevel"} {
		if _, ok := cdk.Context[key]; !ok {
			t.Errorf("cdk.json has no context key %s", key)
		}
	}
}

func TestConfigFromCommandLineStrings(t *testing.T) {
	got, err := loadConfig(t, map[string]any{
		"sendConcurrency": "20", "pollWaitSeconds": "30", "organizations": "uk-dom, fkr-region,", "logLevel": "debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.SendConcurrency != 20 || got.PollWaitSeconds != 30 || got.LogLevel != "DEBUG" ||
		!reflect.DeepEqual(got.Organizations, []string{"uk-dom", "fkr-region"}) {
		t.Errorf("%+v", got)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, tc := range []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{"sendConcurrency": 41}, "sendConcurrency: 41 is outside 1..40"},
		{map[string]any{"pollWaitSeconds": "soon"}, `pollWaitSeconds: "soon" is not a whole number`},
		{map[string]any{"runTimeoutMinutes": 1.5}, "runTimeoutMinutes: 1.5 is not a whole number"},
		{map[string]any{"organizations": []any{"uk-dom", 7}}, "organizations: 7 is not a string"},
		{map[string]any{"logLevel": "LOUD"}, `logLevel "LOUD"`},
		{map[string]any{"gisEndpoint": 443}, "gisEndpoint: want a string"},
	} {
		if _, err := loadConfig(t, tc.ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.ctx, err, tc.want)
		}
	}
}

func TestMissingBinaryStopsSynth(t *testing.T) {
	_, err := assetCode(t.TempDir(), packerName)
	if err == nil || !strings.Contains(err.Error(), "make build-lambda") {
		t.Errorf("error %v, want a hint to build the functions", err)
	}
}

func TestHashDirFollowsEveryFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("00001_a.sql", "CREATE TABLE a ();")
	first, err := hashDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	write("00002_b.sql", "CREATE TABLE b ();")
	second, _ := hashDir(dir)
	write("00002_b.sql", "CREATE TABLE b (id int);")
	third, _ := hashDir(dir)
	if first == second || second == third {
		t.Errorf("hashes %s %s %s: a new or changed migration must change the hash", first, second, third)
	}
	if again, _ := hashDir(dir); again != third {
		t.Errorf("the same files hash to %s and %s", third, again)
	}
	if _, err := hashDir(t.TempDir()); err == nil {
		t.Error("an empty migrations folder was accepted")
	}
}
