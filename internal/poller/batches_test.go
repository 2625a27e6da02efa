package poller_test

import (
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/testkit"
)

// A run with more packages than a claim takes is polled whole in one
// invocation, each package once (GIS still processing: every answer is
// state 1, and the call still ends); once GIS is done, one more invocation
// settles the run.
func TestOnePollCoversEveryBatch(t *testing.T) {
	e := testkit.New(t, 0)
	e.Pack.PackageSize = 2
	e.Poll.Batch = 3
	runID, ids := sent(t, e, "uk_rso", 14) // 7 packages: claims of 3, 3 and 1
	r := pollRun(t, e, runID)
	if r.Polled != len(ids) || r.Done {
		t.Fatalf("polled %d of %d packages in one call: %+v", r.Polled, len(ids), r)
	}
	if calls := e.Sim.Calls("urn:getState"); calls != len(ids) {
		t.Errorf("%d getState calls for %d packages", calls, len(ids))
	}
	if r := pollProcessed(t, e, runID); !r.Done || r.Polled != len(ids) || r.Status != contract.RunFinished {
		t.Fatalf("%+v", r)
	}
}
