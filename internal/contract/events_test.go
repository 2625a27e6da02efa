package contract_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gispayments/gis-payments/internal/contract"
)

// eventTypes is what each function takes, by its folder under functions/
// and events/.
var eventTypes = map[string]func() any{
	"upload-trigger": func() any { return new(events.S3Event) },
	"reconciler":     func() any { return new(contract.ReconcilerRequest) },
	"canceller":      func() any { return new(contract.ReconcilerRequest) },
	"enricher":       func() any { return new(contract.EnricherRequest) },
	"packer":         func() any { return new(contract.PackerRequest) },
	"sender":         func() any { return new(contract.SenderRequest) },
	"poller":         func() any { return new(contract.PollerRequest) },
	"migrate":        func() any { return new(contract.MigrateEvent) },
	"admin":          func() any { return new(contract.AdminRequest) },
	"approval":       func() any { return new(contract.ApprovalRequest) },
	"scheduler":      func() any { return new(contract.SchedulerRequest) },
}

// Every function has fixtures, and every fixture decodes strictly into its
// function's event type and encodes back to the same JSON: every key and
// value, not one.
func TestEventFixtures(t *testing.T) {
	fns, _ := filepath.Glob("../../functions/*")
	if len(fns) != len(eventTypes) {
		t.Errorf("%d functions, %d event types", len(fns), len(eventTypes))
	}
	for _, fn := range fns {
		name := filepath.Base(fn)
		newEvent, ok := eventTypes[name]
		if !ok {
			t.Errorf("function %s has no event type here", name)
			continue
		}
		for file, data := range contract.Fixtures(t, name) {
			roundTrip(t, name+"/"+file, data, newEvent())
		}
	}
}

func roundTrip(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	json.Unmarshal(data, &want)
	json.Unmarshal(again, &got)
	if !reflect.DeepEqual(withoutZeros(want), withoutZeros(got)) {
		t.Errorf("%s: round trip changed the event:\n%s\nbecame\n%s", name, data, again)
	}
}

// derived are keys a type computes from others: aws-lambda-go's S3 object
// decodes its key into urlDecodedKey.
var derived = map[string]bool{"urlDecodedKey": true}

// withoutZeros drops keys whose value is empty, and derived keys: a type
// may write an empty field the fixture leaves out, but no key the fixture
// holds may change or go.
func withoutZeros(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x = withoutZeros(x); x != nil && !derived[k] {
				out[k] = x
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutZeros(x)
		}
		return out
	case string:
		if v == "" {
			return nil
		}
	case nil:
		return nil
	}
	return v
}
