package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/gispayments/gis-payments/internal/admin"
	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/wiring"
)

// backend runs an admin action: locally against Postgres, or through the
// admin Lambda.
type backend interface {
	do(ctx context.Context, action string, params any) (json.RawMessage, error)
	close()
}

// openBackend picks the admin Lambda when a function is named (--function
// or GISPAY_FUNCTION), else Postgres at DATABASE_URL.
func openBackend(ctx context.Context, function string) (backend, error) {
	if function == "" {
		function = os.Getenv("GISPAY_FUNCTION")
	}
	if function != "" {
		return openLambda(ctx, function)
	}
	return openLocal(ctx)
}

type local struct {
	svc   *admin.Service
	actor string
}

func openLocal(ctx context.Context) (*local, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, errors.New("set DATABASE_URL (local) or GISPAY_FUNCTION / --function (the admin Lambda in AWS)")
	}
	st, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &wiring.App{Config: config.Default(), Store: st, Steps: sfn.NewFromConfig(cfg)}
	a.Config.StateMachineARN = os.Getenv("STATE_MACHINE_ARN")
	svc := a.Admin()
	actor := os.Getenv("GISPAY_ACTOR")
	if actor == "" {
		actor = "local:unknown"
		if u, err := user.Current(); err == nil {
			actor = "local:" + u.Username
		}
	}
	return &local{svc: svc, actor: actor}, nil
}

func (l *local) do(ctx context.Context, action string, params any) (json.RawMessage, error) {
	out, err := l.svc.Do(ctx, action, l.actor, params)
	if err != nil {
		// the same words the Lambda's answer gives: the error's kind first
		return nil, fmt.Errorf("%s: %w", steperr.KindOf(err), err)
	}
	return out, nil
}

func (l *local) close() { l.svc.Store.Close() }

// remote invokes the admin Lambda with the caller's IAM credentials.
type remote struct {
	client   *lambda.Client
	function string
	actor    string
}

func openLambda(ctx context.Context, function string) (*remote, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	// The actor is what the caller says; the function cannot verify it
	// (Lambda passes no IAM identity to the handler). CloudTrail's Invoke
	// record holds the authoritative caller (README "Who did it").
	actor := os.Getenv("GISPAY_ACTOR")
	if actor == "" {
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("who am I (sts get-caller-identity): %w", err)
		}
		actor = aws.ToString(id.Arn)
	}
	return &remote{client: lambda.NewFromConfig(cfg), function: function, actor: actor}, nil
}

func (r *remote) do(ctx context.Context, action string, params any) (json.RawMessage, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(admin.Request{Action: action, Actor: r.actor, Params: p})
	if err != nil {
		return nil, err
	}
	out, err := r.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(r.function), Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", r.function, err)
	}
	if out.FunctionError != nil {
		var e struct{ ErrorType, ErrorMessage string }
		if json.Unmarshal(out.Payload, &e) != nil || e.ErrorMessage == "" {
			return nil, fmt.Errorf("%s: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		return nil, fmt.Errorf("%s: %s", e.ErrorType, e.ErrorMessage)
	}
	var resp admin.Response
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return nil, fmt.Errorf("invoke %s: unreadable answer: %w", r.function, err)
	}
	return resp.Result, nil
}

func (r *remote) close() {}
