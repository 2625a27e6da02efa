// Package lambdaedge runs a function's handler the same way inside and
// outside AWS Lambda. Inside (AWS_LAMBDA_RUNTIME_API set) it is
// lambda.Start. Outside it reads one event from a file argument or stdin,
// invokes the handler through lambda.NewHandler(...).Invoke, prints the
// result JSON and exits non-zero on error, printing the error as Lambda
// would report it: {"errorType", "errorMessage"}, like `sam local invoke`.
package lambdaedge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Edge wraps a handler so that its errors reach Lambda as a named type:
// the error's kind (InvalidInput, TransientError, InternalError). Lambda
// would otherwise name a wrapped error after its Go type ("wrapError"),
// which Step Functions' Retry and Catch cannot match. Edge decodes the
// event itself, so a malformed event is InvalidInput too, not the
// decoder's error type. An error that names no operation gets op, the
// function's name, so every error the state machine records says where it
// arose.
func Edge[In, Out any](op string, h func(context.Context, In) (Out, error)) lambda.Handler {
	return edge[In, Out]{op: steperr.Op(op), h: h}
}

type edge[In, Out any] struct {
	op steperr.Op
	h  func(context.Context, In) (Out, error)
}

// Invoke decodes the event, runs the handler and encodes its result.
func (e edge[In, Out]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in In
	if err := json.Unmarshal(payload, &in); err != nil {
		err = steperr.E(e.op, steperr.InvalidInput, fmt.Errorf("decode event: %w", err))
		return nil, messages.InvokeResponse_Error{Type: contract.InvalidInput, Message: err.Error()}
	}
	out, err := e.h(ctx, in)
	if err != nil {
		kind := steperr.KindOf(err)
		if !steperr.HasOp(err) {
			err = steperr.E(e.op, kind, err)
		}
		return nil, messages.InvokeResponse_Error{Type: string(kind), Message: err.Error()}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, messages.InvokeResponse_Error{Type: contract.InternalError, Message: "encode result: " + err.Error()}
	}
	return b, nil
}

// Main runs h as the Lambda function op, or once locally.
func Main[In, Out any](op string, h func(context.Context, In) (Out, error)) {
	handler := Edge(op, h)
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.Start(handler)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := invokeOnce(ctx, lambda.NewHandler(handler), os.Args[1:], os.Stdin, os.Stdout)
	stop()
	os.Exit(code)
}

// invokeOnce reads the event (args[0], or stdin when absent or "-"),
// invokes, and writes the result; it returns the process exit code.
func invokeOnce(ctx context.Context, h lambda.Handler, args []string, stdin io.Reader, stdout io.Writer) int {
	var payload []byte
	var err error
	if len(args) > 0 && args[0] != "-" {
		payload, err = os.ReadFile(args[0])
	} else {
		payload, err = io.ReadAll(stdin)
	}
	if err != nil {
		writeError(stdout, contract.InvalidInput, fmt.Sprintf("read event: %v", err))
		return 2
	}
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		kind, msg := contract.InternalError, err.Error()
		if e, ok := err.(messages.InvokeResponse_Error); ok {
			kind, msg = e.Type, e.Message
		}
		writeError(stdout, kind, msg)
		return 1
	}
	stdout.Write(out)
	fmt.Fprintln(stdout)
	return 0
}

func writeError(w io.Writer, kind, msg string) {
	b, _ := json.Marshal(map[string]string{"errorType": kind, "errorMessage": msg})
	fmt.Fprintln(w, string(b))
}
