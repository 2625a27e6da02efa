package uploadtrigger

// StepFunctions starts Step Functions executions idempotently.

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// StepFunctions starts executions of one state machine.
type StepFunctions struct {
	Client          *sfn.Client
	StateMachineARN string
}

// Start starts an execution named name. Step Functions keeps names for 90
// days: the same name with the same input while running returns the running
// execution (started=true: it runs), and otherwise ExecutionAlreadyExists,
// which means the run was asked for before: success with started=false.
func (s *StepFunctions) Start(ctx context.Context, name string, input []byte) (bool, error) {
	_, err := s.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start execution %s: %w", name, err)
	}
	return true, nil
}

// NoStarter is the starter used where no state machine is configured (a local
// run driven step by step): it starts nothing and says so, and the caller
// reports the execution it would have started.
type NoStarter struct{}

func (NoStarter) Start(context.Context, string, []byte) (bool, error) { return false, nil }
