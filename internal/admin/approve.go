package admin

import (
	"context"

	"github.com/gispayments/gis-payments/internal/approval"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// DecisionApprover hands an operator's decision to the approval step's
// Decide, the same function an approvals/<run>.csv upload goes through:
// it records who decided and tells the waiting state machine.
type DecisionApprover struct {
	Store *postgres.Store
	Tasks approval.Tasks // Step Functions (SendTaskSuccess/SendTaskFailure)
}

// Approve records r's decision on the run, made by actor.
func (a DecisionApprover) Approve(ctx context.Context, r ApproveRequest, actor string) (*ApproveResult, error) {
	d := postgres.Decision{Approve: r.Decision != "reject", By: actor, Source: "admin", Comment: r.Comment,
		Load: r.Load, Withhold: r.Withhold}
	out, err := approval.Decide(ctx, a.Store, a.Tasks, r.RunID, d)
	if err != nil {
		return nil, err
	}
	return &ApproveResult{RunID: r.RunID, Decision: out.Decision, Actor: actor}, nil
}
