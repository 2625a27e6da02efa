package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/sfnlocal"
)

// localTasks is the local stand-in for Step Functions' task tokens
// (sfnlocal.Tasks), which the functions reach as AWS_ENDPOINT_URL_SFN.
type localTasks struct {
	*sfnlocal.Tasks
	url string
}

func serveTasks() (*localTasks, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &localTasks{Tasks: &sfnlocal.Tasks{}, url: "http://" + l.Addr().String()}
	go http.Serve(l, t.Tasks)
	os.Setenv("AWS_ENDPOINT_URL_SFN", t.url) // the functions inherit it
	return t, nil
}

// approver plays the accountant: when a run waits for approval, it uploads
// approvals/<run>.csv approving the run and accepting its mismatched
// payments, as the README's operator's guide shows.
type approver struct {
	tasks     *sfnlocal.Tasks
	st        *postgres.Store
	objs      *s3store.Store
	bucket    string
	invokeURL string
	seq       int
}

func (a *approver) run(ctx context.Context, runner *sfnlocal.Runner, definition []byte, input any) (json.RawMessage, error) {
	type result struct {
		out json.RawMessage
		err error
	}
	done := make(chan result, 1)
	waiting := a.tasks.Waiting()
	go func() {
		out, err := runner.Run(ctx, definition, input)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case token := <-waiting:
		if err := a.approve(ctx, token); err != nil {
			return nil, err
		}
	}
	r := <-done
	return r.out, r.err
}

func (a *approver) approve(ctx context.Context, token string) error {
	var runID int64
	var mismatched []string
	err := a.st.Pool.QueryRow(ctx, `SELECT r.id, coalesce(array_agg(x.order_id ORDER BY x.id) FILTER (WHERE x.id IS NOT NULL), '{}')
		FROM run r LEFT JOIN recon_row x ON x.run_id = r.id AND x.status = 'mismatch'
		WHERE r.approval_token = $1 GROUP BY r.id`, token).Scan(&runID, &mismatched)
	if err != nil {
		return fmt.Errorf("the waiting run: %w", err)
	}
	file := "action;row;comment\napprove;;checked against the bank statement\n"
	for _, order := range mismatched {
		file += "load;" + order + "\n"
	}
	key := fmt.Sprintf("approvals/%d.csv", runID)
	fmt.Printf("  run %d waits for approval; the accountant uploads %s (approve, load %d mismatched):\n    %s\n",
		runID, key, len(mismatched), strings.ReplaceAll(strings.TrimSpace(file), "\n", "\n    "))
	a.seq++
	ev, err := put(ctx, a.objs, a.bucket, key, strings.NewReader(file), int64(len(file)), 1000+a.seq)
	if err != nil {
		return err
	}
	res, err := trigger(a.invokeURL, ev)
	if err != nil {
		return err
	}
	if res.Status != "decided" {
		return fmt.Errorf("%s: %s %v", key, res.Status, res.Errors)
	}
	return nil
}
