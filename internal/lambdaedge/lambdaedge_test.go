package lambdaedge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/gispayments/gis-payments/internal/steperr"
)

type event struct {
	Org string `json:"org"`
}

func handler(_ context.Context, e event) (map[string]any, error) {
	switch e.Org {
	case "":
		return nil, steperr.E("reconcile", steperr.InvalidInput, errors.New("no org"))
	case "down":
		return nil, fmt.Errorf("store: %w", context.DeadlineExceeded)
	}
	return map[string]any{"org": e.Org, "count": 2}, nil
}

func TestInvokeOnce(t *testing.T) {
	tests := []struct {
		event string
		code  int
		out   string
	}{
		{`{"org":"uk1"}`, 0, `{"count":2,"org":"uk1"}`},
		{`{}`, 1, `{"errorMessage":"reconcile: no org","errorType":"InvalidInput"}`},
		{`{"org":"down"}`, 1, `{"errorMessage":"reconciler: store: context deadline exceeded","errorType":"TransientError"}`},
		{`not json`, 1, `"errorMessage":"reconciler: decode event: invalid character`}, {`{"org":5}`, 1, `"errorType":"InvalidInput"`},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := invokeOnce(context.Background(), lambda.NewHandler(Edge("reconciler", handler)), nil, strings.NewReader(tt.event), &out)
		if code != tt.code || !strings.Contains(out.String(), tt.out) {
			t.Errorf("%s: exit %d, output %s; want %d, %s", tt.event, code, out.String(), tt.code, tt.out)
		}
	}
}
