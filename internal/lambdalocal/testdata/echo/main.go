// Command echo is a test function for lambdalocal: it returns its event,
// fails with a named kind on request, and reports which process ran it.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/gispayments/gis-payments/internal/fault"
	"github.com/gispayments/gis-payments/internal/lambdaio"
)

type event struct {
	Value string `json:"value"`
	Fail  bool   `json:"fail"`
}

type result struct {
	Value string `json:"value"`
	PID   int    `json:"pid"`
}

func main() {
	lambdaio.Main(func(_ context.Context, e event) (result, error) {
		if e.Fail {
			return result{}, fault.New(fault.Transient, errors.New("asked to fail"))
		}
		return result{Value: e.Value, PID: os.Getpid()}, nil
	})
}
