// Package asl turns the state machine definition CDK synthesizes into plain
// Amazon States Language JSON, for validators and local runners that
// cannot resolve CloudFormation. The synthesized DefinitionString is an
// Fn::Join whose parts are text and the Fn::GetAtt tokens of the Lambda
// functions the tasks invoke; each token becomes a concrete ARN.
package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// FunctionARN gives the ARN that stands for the Lambda function with the
// template's logical ID.
type FunctionARN func(logicalID string) string

// ARNPattern is a FunctionARN that writes the function's name into pattern
// in place of "<name>": names maps logical IDs to names, and an ID it lacks
// is used as the name itself. For example
// arn:aws:lambda:us-east-1:123456789012:function:<name>.
func ARNPattern(pattern string, names map[string]string) FunctionARN {
	return func(logicalID string) string {
		name, ok := names[logicalID]
		if !ok {
			name = logicalID
		}
		return strings.ReplaceAll(pattern, "<name>", name)
	}
}

// FromTemplate resolves the definition of the template's only
// AWS::StepFunctions::StateMachine.
func FromTemplate(template map[string]any, arn FunctionARN) ([]byte, error) {
	return FromStateMachine(template, "", arn)
}

// FromStateMachine resolves the definition of the template's
// AWS::StepFunctions::StateMachine with the logical ID, or of its only one
// when the ID is empty.
func FromStateMachine(template map[string]any, logicalID string, arn FunctionARN) ([]byte, error) {
	resources, _ := template["Resources"].(map[string]any)
	var found []any
	for id, r := range resources {
		res, _ := r.(map[string]any)
		if res["Type"] == "AWS::StepFunctions::StateMachine" && (logicalID == "" || id == logicalID) {
			props, _ := res["Properties"].(map[string]any)
			found = append(found, props["DefinitionString"])
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("asl: want one state machine in the template, found %d", len(found))
	}
	return Resolve(found[0], arn)
}

// Resolve turns a DefinitionString (plain text, or an Fn::Join of text and
// Fn::GetAtt [logicalID, "Arn"] tokens, and the partition of service
// integrations' ARNs) into indented ASL JSON.
func Resolve(definition any, arn FunctionARN) ([]byte, error) {
	text, err := resolve(definition, arn)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(text), "", "  "); err != nil {
		return nil, fmt.Errorf("asl: the resolved definition is not JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func resolve(v any, arn FunctionARN) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if len(v) == 1 {
			if join, ok := v["Fn::Join"]; ok {
				return resolveJoin(join, arn)
			}
			if att, ok := v["Fn::GetAtt"]; ok {
				return resolveGetAtt(att, arn)
			}
			if ref, ok := v["Ref"]; ok && ref == "AWS::Partition" {
				return "aws", nil // service integrations' ARNs: arn:<partition>:states:::…
			}
		}
	}
	return "", fmt.Errorf("asl: cannot resolve %s", describe(v))
}

func resolveJoin(join any, arn FunctionARN) (string, error) {
	args, _ := join.([]any)
	if len(args) != 2 {
		return "", fmt.Errorf("asl: malformed Fn::Join %s", describe(join))
	}
	sep, ok1 := args[0].(string)
	parts, ok2 := args[1].([]any)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("asl: malformed Fn::Join %s", describe(join))
	}
	texts := make([]string, len(parts))
	for i, p := range parts {
		var err error
		if texts[i], err = resolve(p, arn); err != nil {
			return "", err
		}
	}
	return strings.Join(texts, sep), nil
}

func resolveGetAtt(att any, arn FunctionARN) (string, error) {
	args, _ := att.([]any)
	if len(args) == 2 && args[1] == "Arn" {
		if id, ok := args[0].(string); ok {
			return arn(id), nil
		}
	}
	return "", fmt.Errorf("asl: only Fn::GetAtt [id, \"Arn\"] is resolved, not %s", describe(att))
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
