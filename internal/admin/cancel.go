package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// StoreCanceller registers an operator's cancellation in the request
// table the canceller packs (the same path a cancellations export takes),
// then starts the organisation's cancellation run when a state machine is
// configured; otherwise the next cancellation run sends it.
type StoreCanceller struct {
	Store   *postgres.Store
	Starter Starter // nil: the request waits for the next cancellation run
}

// RequestCancellation registers r; a repeated request (same actor, order
// and date) registers nothing new.
func (c StoreCanceller) RequestCancellation(ctx context.Context, r CancelRequest, actor string) (*CancelResult, error) {
	if r.PaymentID != 0 {
		org, order, err := c.Store.PaymentOrder(ctx, r.PaymentID)
		if err != nil {
			return nil, notFound(err)
		}
		r.Org, r.OrderID = org, order
	}
	date := calendar.FromTime(time.Now())
	if r.Date != "" {
		d, err := calendar.ParseDate(r.Date)
		if err != nil {
			return nil, invalid("cancel: date %q is not YYYY-MM-DD", r.Date)
		}
		date = d
	}
	ref := fmt.Sprintf("%s/%s/%s", actor, r.OrderID, date)
	reg, err := c.Store.RequestCancellation(ctx, r.Org, r.OrderID, date, r.Reason, "admin", ref)
	if err != nil {
		return nil, err
	}
	res := &CancelResult{IDs: []int{int(reg.ID)}, Status: string(reg.Status), Reason: reg.Reason}
	if reg.Status != contract.CancellationRequested {
		return res, nil
	}
	res.Requested = 1
	if c.Starter == nil {
		return res, nil
	}
	name := fmt.Sprintf("%s-cancel-%d", r.Org, reg.ID)
	in, err := json.Marshal(contract.ReconcilerRequest{Org: r.Org, Kind: contract.KindCancellation, ExecutionName: name})
	if err != nil {
		return nil, err
	}
	if _, err := c.Starter.Start(ctx, name, in); err != nil {
		return nil, err
	}
	res.Execution = name
	return res, nil
}
