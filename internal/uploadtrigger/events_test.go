package uploadtrigger

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events in events/upload-trigger decode into what the handler
// takes, survive a round trip, and carry keys the trigger understands.
func TestSampleEvents(t *testing.T) {
	files, _ := filepath.Glob("../../events/upload-trigger/*.json")
	if len(files) == 0 {
		t.Fatal("no sample events")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.S3Event
		if err := json.Unmarshal(data, &ev); err != nil || len(ev.Records) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		again, _ := json.Marshal(ev)
		var ev2 events.S3Event
		if err := json.Unmarshal(again, &ev2); err != nil || ev2.Records[0].S3.Object.Key != ev.Records[0].S3.Object.Key {
			t.Errorf("%s: round trip changed the event", f)
		}
		if _, err := parseKey(mustUnescape(t, ev.Records[0].S3.Object.Key)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func mustUnescape(t *testing.T, key string) string {
	t.Helper()
	k, err := url.QueryUnescape(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
