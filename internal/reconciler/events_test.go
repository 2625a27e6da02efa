package reconciler

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
)

// The sample events in events/reconciler decode strictly into Request and
// describe a valid run.
func TestSampleEvents(t *testing.T) {
	for name, data := range contract.Fixtures(t, "reconciler") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var req Request
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, _, err := period(req, time.Now()); err != nil || req.Org == "" {
			t.Errorf("%s: %+v %v", name, req, err)
		}
	}
}

func TestPreviousDay(t *testing.T) {
	var req Request
	if err := json.Unmarshal([]byte(`{"org":"x","period":"previous-day"}`), &req); err != nil {
		t.Fatal(err)
	}
	// 00:30 in Moscow on the 22nd is still the 21st in UTC; yesterday is the 21st.
	from, to, err := period(req, time.Date(2026, 11, 21, 21, 30, 0, 0, time.UTC))
	if err != nil || from.String() != "2026-11-21" || to.String() != "2026-11-21" {
		t.Fatalf("%v %v %v", from, to, err)
	}
	if err := json.Unmarshal([]byte(`{"org":"x","period":"tomorrow"}`), &req); err == nil {
		t.Error("an unknown period word was accepted")
	}
}
