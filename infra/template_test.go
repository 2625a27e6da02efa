package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Synthesis takes seconds (every CDK call goes through a Node process), so
// the test binary synthesizes the stack once and every test reads it.

// testContext differs from the defaults where a test checks that the
// context reaches the template.
var testContext = map[string]any{
	"organizations":         []any{"uk-dom", "fkr-region"},
	"sendConcurrency":       7,
	"pollWaitSeconds":       45,
	"runTimeoutMinutes":     90,
	"executionTimeoutHours": 30,
	"gisTimeoutSeconds":     40,
	"approvalTimeoutHours":  48,
	"dailyRunConcurrency":   3,
	"paymentMaxAgeHours":    36,
	"alarmEmail":            "gis-admins@example.org",
	"uploaderPrincipals":    map[string]any{"uk-dom": "arn:aws:iam::111122223333:role/uk-dom-billing-upload"},
}

var (
	workDir   string // assets and cloud assembly, removed after the tests
	synthOnce sync.Once
	synthed   *synthesized
	synthErr  error
)

func TestMain(m *testing.M) {
	var err error
	if workDir, err = os.MkdirTemp("", "infra-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

// synthesized is the stack under test and its template.
type synthesized struct {
	stack    awscdk.Stack
	template assertions.Template
	json     cfnTemplate
}

// synth returns the shared synthesized stack.
func synth(t *testing.T) *synthesized {
	t.Helper()
	synthOnce.Do(func() { synthed, synthErr = synthesize() })
	if synthErr != nil {
		t.Fatalf("synth: %v", synthErr)
	}
	return synthed
}

func synthesize() (*synthesized, error) { return synthesizeWith(nil, true) }

// synthesizeWith synthesizes a stack of its own with extra context over
// testContext (for the switches), with cdk-nag's checks when nag is set.
func synthesizeWith(extra map[string]any, nag bool) (*synthesized, error) {
	assets := filepath.Join(workDir, "lambda")
	for _, name := range append(slices.Clone(pipeline), migrateName, adminName) {
		if err := os.MkdirAll(filepath.Join(assets, name), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(assets, name, "bootstrap"), []byte("not a real binary"), 0o755); err != nil {
			return nil, err
		}
	}
	// cdk.json's context, feature flags included, as `cdk deploy` sees it.
	ctx, err := FileContext(cdkJSON)
	if err != nil {
		return nil, err
	}
	ctx["lambdaAssets"] = assets
	for k, v := range testContext {
		ctx[k] = v
	}
	for k, v := range extra {
		ctx[k] = v
	}
	outdir, err := os.MkdirTemp(workDir, "cdk.out")
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	cfg, err := LoadConfig(app.Node())
	if err != nil {
		return nil, err
	}
	stack, err := NewGisPaymentsStack(app, stackName, &GisPaymentsStackProps{Config: cfg})
	if err != nil {
		return nil, err
	}
	// cdk-nag's AWS Solutions rules, as an aspect: synthesis records each
	// finding as an annotation on its construct (see nag_test.go).
	if nag {
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	}
	template := assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(template.ToJSON())
	if err != nil {
		return nil, err
	}
	var parsed cfnTemplate
	if err := json.Unmarshal(raw, &parsed); err != nil {
		return nil, err
	}
	return &synthesized{stack: stack, template: template, json: parsed}, nil
}

// logicalID is the template ID of the construct at path (construct ids
// from the stack down), that is of its CloudFormation resource.
func (s *synthesized) logicalID(t *testing.T, path ...string) string {
	t.Helper()
	var node constructs.IConstruct = s.stack
	for _, id := range path {
		if node = node.Node().TryFindChild(jsii.String(id)); node == nil {
			t.Fatalf("no construct %v in the stack", path)
		}
	}
	return *s.stack.GetLogicalId(node.Node().DefaultChild().(awscdk.CfnElement))
}

// check turns a failed assertions call (a panic from the jsii side) into a
// test error.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// cfnTemplate is the synthesized template as plain JSON values.
type cfnTemplate struct {
	Resources map[string]cfnResource `json:"Resources"`
	Outputs   map[string]any         `json:"Outputs"`
}

type cfnResource struct {
	Type           string         `json:"Type"`
	DependsOn      any            `json:"DependsOn"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

// ofTypeOne is the only resource of typ.
func (c cfnTemplate) ofTypeOne(t *testing.T, typ string) cfnResource {
	t.Helper()
	all := c.ofType(typ)
	if len(all) != 1 {
		t.Fatalf("%d resources of type %s, want one", len(all), typ)
	}
	for _, r := range all {
		return r
	}
	return cfnResource{}
}

func (c cfnTemplate) ofType(typ string) map[string]cfnResource {
	out := map[string]cfnResource{}
	for id, r := range c.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// statement is one IAM policy statement with its policy's roles.
type statement struct {
	Roles     []string // logical IDs
	Actions   []string
	Resources []any
}

// statements lists every IAM policy statement in the template.
func (c cfnTemplate) statements() []statement {
	var out []statement
	for _, policy := range c.ofType("AWS::IAM::Policy") {
		var roles []string
		for _, r := range policy.Properties["Roles"].([]any) {
			roles = append(roles, refID(r))
		}
		doc := policy.Properties["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			st := st.(map[string]any)
			out = append(out, statement{Roles: roles, Actions: stringList(st["Action"]), Resources: list(st["Resource"])})
		}
	}
	return out
}

// statementsOfRole are the statements of the policies attached to roleID.
func (c cfnTemplate) statementsOfRole(roleID string) []statement {
	var out []statement
	for _, st := range c.statements() {
		for _, r := range st.Roles {
			if r == roleID {
				out = append(out, st)
			}
		}
	}
	return out
}

// policyOfRole is the policy documents attached to roleID.
func (c cfnTemplate) policyOfRole(roleID string) []any {
	var out []any
	for _, policy := range c.ofType("AWS::IAM::Policy") {
		for _, r := range policy.Properties["Roles"].([]any) {
			if refID(r) == roleID {
				out = append(out, policy.Properties["PolicyDocument"])
			}
		}
	}
	return out
}

// roleOf is the logical ID of a function's execution role.
func (c cfnTemplate) roleOf(functionID string) string {
	return getAttID(c.Resources[functionID].Properties["Role"])
}

func (c cfnTemplate) environment(functionID string) map[string]any {
	env, _ := c.Resources[functionID].Properties["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	return vars
}

// refID is X of {"Ref": X}, or "".
func refID(v any) string {
	m, _ := v.(map[string]any)
	id, _ := m["Ref"].(string)
	return id
}

// getAttID is X of {"Fn::GetAtt": [X, …]}, or "".
func getAttID(v any) string {
	m, _ := v.(map[string]any)
	att, _ := m["Fn::GetAtt"].([]any)
	if len(att) == 0 {
		return ""
	}
	id, _ := att[0].(string)
	return id
}

// objectPattern renders {"Fn::Join": ["", [{"Fn::GetAtt": [B, "Arn"]}, "/p/*"]]}
// as "B/p/*", or "" for anything else.
func objectPattern(v any) string {
	m, _ := v.(map[string]any)
	join, _ := m["Fn::Join"].([]any)
	if len(join) != 2 {
		return ""
	}
	parts, _ := join[1].([]any)
	if len(parts) != 2 {
		return ""
	}
	suffix, _ := parts[1].(string)
	if id := getAttID(parts[0]); id != "" && suffix != "" {
		return id + suffix
	}
	return ""
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func stringList(v any) []string {
	var out []string
	for _, s := range list(v) {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameMembers reports whether got and want hold the same strings, in any
// order: what a template lists has no order to check.
func sameMembers(got, want []string) bool {
	return slices.Equal(sorted(got), sorted(want))
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
