package wiring

// NewLogger builds the JSON logger every function uses: Lambda's own
// handler (with the request id) inside Lambda, plain JSON on stderr
// outside, so stdout stays free for the result. LOG_LEVEL sets the level.

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// NewLogger returns a logger tagged with the step name.
func NewLogger(step string) *slog.Logger {
	var h slog.Handler
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		h = lambdacontext.NewLogHandler()
	} else {
		var level slog.Level
		level.UnmarshalText([]byte(strings.ToUpper(os.Getenv("LOG_LEVEL"))))
		h = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	}
	l := slog.New(h).With("step", step)
	slog.SetDefault(l)
	return l
}

// MetricsWriter is where embedded-metric-format lines go: stdout inside
// Lambda (CloudWatch turns them into metrics), stderr outside, where
// stdout carries the invocation's result.
func MetricsWriter() io.Writer {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		return os.Stdout
	}
	return os.Stderr
}
