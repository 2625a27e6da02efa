// Package notify tells people about runs: a "Run settled" event on the
// default EventBridge bus for every settled run (an EventBridge rule of the
// stack routes those that need a person to the Notices topic, with a
// readable message), and notices published to the Notices topic directly
// (an approval waiting, an approval expired, a day without exports).
//
// Every message on the topic is JSON {"org", "notice"}: an organisation's
// contact subscribes with a filter policy on the body's org, operators
// subscribe to everything (README, "Notices and alarms").
package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/gispayments/gis-payments/internal/contract"
)

// The event's source and detail type, as the stack's rule matches them.
const (
	Source           = "gis-payments"
	RunSettledDetail = "Run settled"
)

// Settled is the detail of a "Run settled" event: ids, counts and links,
// no personal data.
type Settled struct {
	Org       string             `json:"org"`
	RunID     int64              `json:"run_id"`
	Status    contract.RunStatus `json:"status"`
	Payments  int                `json:"payments"`
	Loaded    int                `json:"loaded"` // imported or already imported
	Rejected  int                `json:"rejected"`
	Errors    int                `json:"errors"` // error or unknown: not loaded, a person looks
	Held      int                `json:"held"`
	Matched   int                `json:"matched"`
	Unmatched int                `json:"unmatched"` // mismatched and one-sided rows
	// Attention is set when a person should look: the run did not finish
	// cleanly, or rows were held or rejected. The stack's rule matches it.
	Attention  bool   `json:"attention"`
	Decision   string `json:"decision,omitempty"` // approve | decline, when the run waited for one
	DecidedBy  string `json:"decided_by,omitempty"`
	ReportHTML string `json:"report_html,omitempty"` // s3:// links
	ReportCSV  string `json:"report_csv,omitempty"`
	Results    string `json:"results,omitempty"`
	Summary    string `json:"summary"` // one readable sentence, for the notice
}

// Events puts events on a bus (*eventbridge.Client).
type Events interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Topic publishes to SNS (*sns.Client).
type Topic interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Notifier sends events and notices; a nil client sends nothing of its kind.
type Notifier struct {
	Events   Events
	Bus      string // empty: the default bus
	Topic    Topic
	TopicARN string
}

// RunSettled puts the "Run settled" event.
func (n *Notifier) RunSettled(ctx context.Context, s Settled) error {
	if n == nil || n.Events == nil {
		return nil
	}
	s.Summary = Summary(s)
	detail, err := json.Marshal(s)
	if err != nil {
		return err
	}
	entry := ebtypes.PutEventsRequestEntry{Source: aws.String(Source), DetailType: aws.String(RunSettledDetail),
		Detail: aws.String(string(detail))}
	if n.Bus != "" {
		entry.EventBusName = aws.String(n.Bus)
	}
	out, err := n.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return fmt.Errorf("notify: put event of run %d: %w", s.RunID, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		return fmt.Errorf("notify: event of run %d refused: %s %s", s.RunID, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	return nil
}

// Notice publishes a notice about an organisation to the topic.
func (n *Notifier) Notice(ctx context.Context, org, subject, text string) error {
	if n == nil || n.Topic == nil || n.TopicARN == "" {
		return nil
	}
	body, err := json.Marshal(struct {
		Org    string `json:"org"`
		Notice string `json:"notice"`
	}{org, text})
	if err != nil {
		return err
	}
	_, err = n.Topic.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(n.TopicARN), Subject: aws.String(subjectLine(subject)),
		Message: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("notify: publish %q for %s: %w", subject, org, err)
	}
	return nil
}

// subjectLine fits SNS's subject: printable ASCII (the text is English),
// under 100 characters.
func subjectLine(s string) string {
	if len(s) > 99 {
		s = s[:96] + "..."
	}
	return s
}

// Summary is a settled run in one sentence.
func Summary(s Settled) string {
	text := fmt.Sprintf("Run %d of %s ended %s: %d of %d payments loaded, %d rejected, %d in error, %d held",
		s.RunID, s.Org, s.Status, s.Loaded, s.Payments, s.Rejected, s.Errors, s.Held)
	if s.Decision != "" {
		text += fmt.Sprintf("; %sd by %s", s.Decision, s.DecidedBy)
	}
	return text + "."
}

// NeedsAttention reports whether a settled run needs a person.
func NeedsAttention(s Settled) bool {
	return s.Status != contract.RunFinished || s.Held > 0 || s.Rejected > 0 || s.Errors > 0
}

// S3Link is an s3:// link, empty without a key.
func S3Link(bucket, key string) string {
	if key == "" {
		return ""
	}
	return "s3://" + bucket + "/" + key
}
