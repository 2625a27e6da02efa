package emf

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	at := time.UnixMilli(1764547200000)
	if err := Write(&b, at, "SigningCertificateDaysLeft", "Count", 29, map[string]string{"Key": "uk-dom"}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"Key":"uk-dom","SigningCertificateDaysLeft":29,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["Key"],[]],` +
		`"Metrics":[{"Name":"SigningCertificateDaysLeft","Unit":"Count"}],"Namespace":"GisPayments"}],"Timestamp":1764547200000}}`
	if again, _ := json.Marshal(got); string(again) != want {
		t.Errorf("got  %s\nwant %s", again, want)
	}
	if err := Write(&b, at, "X", "Count", 1, map[string]string{"X": "clash"}); err == nil {
		t.Error("a dimension named as the metric was written")
	}
}
