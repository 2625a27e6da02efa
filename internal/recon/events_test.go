package recon

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
		if _, _, err := req.period(); err != nil || req.Org == "" {
			t.Errorf("%s: %+v %v", f, req, err)
		}
	}
}
