package reconciler

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The sample events in events/reconciler decode strictly into Request and
// describe a valid run.
func TestSampleEvents(t *testing.T) {
	files, _ := filepath.Glob("../../events/reconciler/*.json")
	if len(files) == 0 {
		t.Fatal("no sample events")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var req Request
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, _, err := period(req, time.Now()); err != nil || req.Org == "" {
			t.Errorf("%s: %+v %v", f, req, err)
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
