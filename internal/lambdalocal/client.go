package lambdalocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Invoke calls function through the Invoke API at invokeURL with event
// and decodes its answer into out; a function error is an error with the
// function's answer.
func Invoke(invokeURL, function string, event, out any) error {
	payload, err := json.Marshal(event)
	if err != nil {
		return err
	}
	resp, err := http.Post(invokeURL+"/2015-03-31/functions/"+function+"/invocations", "application/json", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" || json.Unmarshal(body, out) != nil {
		return fmt.Errorf("%s: %s", function, body)
	}
	return nil
}

// Object is a stored object as its S3 event names it.
type Object struct {
	Bucket, Key, ETag, VersionID, Sequencer string
	Size                                    int64
	Principal                               string // the uploader, as S3 names it
}

// ObjectCreated is the event S3 delivers for o: the key URL-encoded as S3
// encodes it (Cyrillic names included).
func ObjectCreated(o Object) events.S3Event {
	var rec events.S3EventRecord
	rec.EventSource, rec.EventName, rec.AWSRegion = "aws:s3", "ObjectCreated:Put", "ru-central-1"
	rec.EventTime = time.Now().UTC()
	rec.S3.Bucket.Name = o.Bucket
	rec.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(o.Key), "%2F", "/")
	rec.S3.Object.Size = o.Size
	rec.S3.Object.ETag, rec.S3.Object.VersionID, rec.S3.Object.Sequencer = o.ETag, o.VersionID, o.Sequencer
	rec.PrincipalID.PrincipalID = o.Principal
	return events.S3Event{Records: []events.S3EventRecord{rec}}
}
