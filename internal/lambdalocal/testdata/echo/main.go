// Command echo is a test function for lambdalocal: it returns its event,
// fails with a named kind on request (always, or once per value), and
// reports which process ran it.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/steperr"
)

type event struct {
	Value    string `json:"value"`
	Fail     bool   `json:"fail"`
	FailOnce bool   `json:"fail_once"`
}

// failed remembers the values that failed once in this (warm) process.
var failed = map[string]bool{}

type result struct {
	Value string `json:"value"`
	PID   int    `json:"pid"`
}

func main() {
	lambdaedge.Main("echo", func(_ context.Context, e event) (result, error) {
		if e.Fail || (e.FailOnce && !failed[e.Value]) {
			failed[e.Value] = true
			return result{}, steperr.E("echo", steperr.TransientError, errors.New("asked to fail"))
		}
		return result{Value: e.Value, PID: os.Getpid()}, nil
	})
}
