// Package sfnlocal executes a state machine definition (plain ASL) on this
// machine with the npm package aws-local-stepfunctions on Node 22, both
// installed from the npm registry into scripts/sfn-local. Task states reach
// Lambda through the AWS SDK, pointed at a local Invoke API (lambdalocal).
package sfnlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
)

// Dir is scripts/sfn-local in this repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "sfn-local")
}

// ErrNotInstalled means `npm ci` has not been run in Dir.
var ErrNotInstalled = errors.New("sfnlocal: run `npm ci --prefix scripts/sfn-local` first")

// Runner runs executions.
type Runner struct {
	LambdaEndpoint string    // the Invoke API, e.g. http://127.0.0.1:9001
	WaitMillis     *int      // overrides every Wait state when set
	RetryMillis    *int      // overrides every retrier's interval when set
	TaskEndpoint   string    // a Tasks server: stands in for .waitForTaskToken Tasks (see Tasks)
	Progress       io.Writer // JSON lines of execution events; nil: discarded
}

// Run executes definition with input and returns its output, or an
// *ExecutionFailed.
func (r *Runner) Run(ctx context.Context, definition []byte, input any) (json.RawMessage, error) {
	dir := Dir()
	node := filepath.Join(dir, "node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		return nil, ErrNotInstalled
	}
	tmp, err := os.MkdirTemp("", "sfn-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	in, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	defFile, inFile := filepath.Join(tmp, "definition.json"), filepath.Join(tmp, "input.json")
	if err := os.WriteFile(defFile, definition, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(inFile, in, 0o600); err != nil {
		return nil, err
	}
	args := []string{filepath.Join(dir, "run.mjs"), defFile, inFile}
	if r.WaitMillis != nil {
		args = append(args, "--wait-ms", strconv.Itoa(*r.WaitMillis))
	}
	if r.RetryMillis != nil {
		args = append(args, "--retry-ms", strconv.Itoa(*r.RetryMillis))
	}
	if r.TaskEndpoint != "" {
		args = append(args, "--task-endpoint", r.TaskEndpoint)
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_LAMBDA="+r.LambdaEndpoint)
	if os.Getenv("AWS_REGION") == "" {
		cmd.Env = append(cmd.Env, "AWS_REGION=eu-central-1")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = r.Progress
	if cmd.Stderr == nil {
		cmd.Stderr = io.Discard
	}
	runErr := cmd.Run()
	out := bytes.TrimSpace(stdout.Bytes())
	if runErr != nil {
		var f ExecutionFailed
		if json.Unmarshal(out, &f) == nil && f.Name != "" {
			return nil, &f
		}
		return nil, fmt.Errorf("sfnlocal: %w: %s", runErr, out)
	}
	return out, nil
}

// ExecutionFailed is an execution that ended failed: Error and Cause as
// the console shows them.
type ExecutionFailed struct {
	Name  string `json:"error"`
	Cause string `json:"cause"`
}

func (e *ExecutionFailed) Error() string { return "execution failed: " + e.Name + ": " + e.Cause }
