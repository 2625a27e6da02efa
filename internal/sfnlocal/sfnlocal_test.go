package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/lambdalocal"
)

// The state machine the test runs: a Lambda task with the project's Retry
// and Catch shape, ending in a Fail state whose Cause is the caught one.
const definition = `{
  "StartAt": "Echo",
  "States": {
    "Echo": {
      "Type": "Task",
      "Resource": "arn:aws:lambda:eu-central-1:123456789012:function:echo",
      "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Run failed"}],
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"},
    "Run failed": {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}
  }
}`

func runner(t *testing.T) *Runner {
	bin := filepath.Join(t.TempDir(), "echo")
	if out, err := exec.Command("go", "build", "-o", bin, "../lambdalocal/testdata/echo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := lambdalocal.New(lambdalocal.Function{Name: "echo", Path: bin})
	s.MaxProcesses = 1 // one warm process remembers what failed once
	addr, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	zero := 0
	return &Runner{LambdaEndpoint: "http://" + addr, RetryMillis: &zero}
}

func TestRunThroughLocalLambda(t *testing.T) {
	r := runner(t)
	if _, err := r.Run(context.Background(), []byte(definition), map[string]any{"value": "x"}); errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	tests := []struct {
		name  string
		input map[string]any
		want  string
		fail  string
	}{
		{"succeeds", map[string]any{"value": "a"}, `"value":"a"`, ""},
		{"a transient failure is retried", map[string]any{"value": "b", "fail_once": true}, `"value":"b"`, ""},
		{"a lasting failure ends in Fail with a readable cause", map[string]any{"value": "c", "fail": true}, "",
			"execution failed: TransientError: TransientError: echo: asked to fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Run(context.Background(), []byte(definition), tt.input)
			if tt.fail != "" {
				var f *ExecutionFailed
				if !errors.As(err, &f) || !strings.Contains(err.Error(), tt.fail) {
					t.Fatalf("err = %v, want %q", err, tt.fail)
				}
				return
			}
			if err != nil || !strings.Contains(string(out), tt.want) {
				t.Fatalf("output %s, err %v", out, err)
			}
		})
	}
}

// The progress lines of a failed task carry its Error and Cause as text:
// aws-local-stepfunctions hands a Lambda's error over as an object, which
// printed as "[object Object]".
func TestProgressCauseIsText(t *testing.T) {
	r := runner(t)
	var progress strings.Builder
	r.Progress = &progress
	_, err := r.Run(context.Background(), []byte(definition), map[string]any{"value": "d", "fail": true})
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	var f *ExecutionFailed
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want an execution failure", err)
	}
	if strings.Contains(progress.String(), "[object Object]") {
		t.Fatalf("progress prints an object, not text:\n%s", progress.String())
	}
	var failed, retried int
	for _, line := range strings.Split(strings.TrimSpace(progress.String()), "\n") {
		var ev struct{ Type, State, Error, Cause string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("progress line %q: %v", line, err)
		}
		switch {
		case ev.Type == "StateFailed" && ev.State == "Echo":
			failed++
			if ev.Error != "TransientError" || !strings.Contains(ev.Cause, "asked to fail") {
				t.Errorf("failed task: error %q cause %q, want TransientError and the function's message", ev.Error, ev.Cause)
			}
		case ev.Type == "StateRetried":
			retried++
			if ev.Error != "TransientError" {
				t.Errorf("retried after %q, want the error retried", ev.Error)
			}
		}
	}
	if failed != 3 || retried != 2 {
		t.Errorf("%d failures and %d retries in the progress, want 3 and 2:\n%s", failed, retried, progress.String())
	}
}
