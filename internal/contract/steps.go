package contract

import (
	"encoding/json"
	"fmt"
	"strings"
)

// FileRef names one export in S3. ETag pins the version; empty takes the
// live registration of the key.
type FileRef struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ETag   string `json:"etag,omitempty"`
}

// Period is an inclusive range of calendar dates, YYYY-MM-DD, or, as the
// daily schedule sends it, the word "previous-day" (yesterday in Moscow).
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
	// PreviousDay is set by the "previous-day" form.
	PreviousDay bool `json:"-"`
}

// PreviousDay is the daily schedule's period.
const PreviousDay = "previous-day"

// UnmarshalJSON accepts {"from","to"} or "previous-day".
func (p *Period) UnmarshalJSON(data []byte) error {
	var word string
	if json.Unmarshal(data, &word) == nil {
		if word != PreviousDay {
			return fmt.Errorf("period %q: want {\"from\",\"to\"} or \"previous-day\"", word)
		}
		*p = Period{PreviousDay: true}
		return nil
	}
	type plain Period
	return json.Unmarshal(data, (*plain)(p))
}

// MarshalJSON writes the form UnmarshalJSON read.
func (p Period) MarshalJSON() ([]byte, error) {
	if p.PreviousDay {
		return json.Marshal(PreviousDay)
	}
	type plain Period
	return json.Marshal(plain(p))
}

// ReconcilerRequest is the reconciler's event and the execution's input:
// the files of one upload (from upload-trigger), or a period (from the
// daily schedule).
type ReconcilerRequest struct {
	Org           string    `json:"org"`
	Files         []FileRef `json:"files,omitempty"`
	Period        *Period   `json:"period,omitempty"`
	ExecutionName string    `json:"execution_name,omitempty"`
	// Kind is KindCancellation for a cancellation run (Files are then
	// cancellations exports, or none: the organisation's pending requests);
	// empty for a reconciliation.
	Kind string `json:"kind,omitempty"`
}

// MatchTotals are a reconciliation's totals over its days: rows by how they
// matched and the two sides' sums. The reconciler answers them and `gispay
// check --json` prints them, so that the two read the same.
type MatchTotals struct {
	Matched       int    `json:"matched"`
	Mismatched    int    `json:"mismatched"`
	BillingOnly   int    `json:"billing_only"`
	AcquiringOnly int    `json:"acquiring_only"`
	BillingSum    string `json:"billing_sum"`
	AcquiringSum  string `json:"acquiring_sum"`
}

// ReconcilerResult is the reconciler's answer (State.Reconcile).
type ReconcilerResult struct {
	RunID         int64     `json:"run_id"`
	Org           string    `json:"org"`
	Status        RunStatus `json:"status"`
	Reconciled    bool      `json:"reconciled"`
	AlreadyDone   bool      `json:"already_done,omitempty"`
	Days          int       `json:"days"`
	BillingRows   int       `json:"billing_rows"`
	AcquiringRows int       `json:"acquiring_rows"`
	MatchTotals
	Difference string `json:"difference"`
	Held       int    `json:"held,omitempty"`       // rows held for row-level problems
	Refunds    int    `json:"refunds,omitempty"`    // refund rows, candidates for cancellation
	RefundSum  string `json:"refund_sum,omitempty"` // their refunded amounts
	// RefundMatches: refund rows that match a payment GIS holds from an
	// earlier run; RefundCancellations: the cancellation requests made of
	// them (the organisation's refund_cancellation policy "auto").
	RefundMatches       int    `json:"refund_matches,omitempty"`
	RefundCancellations int    `json:"refund_cancellations,omitempty"`
	ReportCSV           string `json:"report_csv,omitempty"`
	ReportHTML          string `json:"report_html,omitempty"`
	DurationMillis      int64  `json:"duration_ms"`
}

// PackerRequest asks the packer to pack and sign a reconciled run.
type PackerRequest struct {
	RunID int64 `json:"run_id"`
}

// PackerResult is the packer's answer (State.Pack).
type PackerResult struct {
	RunID      int64   `json:"run_id"`
	PackageIDs []int64 `json:"package_ids"`
	// SendBatches cuts PackageIDs into the "Send packages" Map's items, at
	// most SendBatchSize each, so that a run of 12 000 packages stays far
	// inside Step Functions' 25 000 history events.
	SendBatches    [][]int64 `json:"send_batches"`
	Packages       int       `json:"packages"`
	Payments       int       `json:"payments"`
	HeldBack       int       `json:"held_back"`
	AlreadyLoaded  int       `json:"already_loaded"`
	Retried        int       `json:"retried"`
	Signed         int       `json:"signed_now"`
	Adopted        int       `json:"adopted"` // earlier runs' unsigned packages signed now
	Resumed        bool      `json:"resumed,omitempty"`
	DurationMillis int64     `json:"duration_ms"`
}

// SendBatchSize is the most packages one "Send packages" item (one sender
// invocation) posts. 20 keeps the Map's history of 12 000 packages retried
// four times each near 13 000 events, and one invocation, at
// gisclient.DefaultConcurrency calls at once, within five GIS timeouts.
const SendBatchSize = 20

// Batches cuts ids into slices of at most size.
func Batches(ids []int64, size int) [][]int64 {
	out := [][]int64{}
	for len(ids) > size {
		out = append(out, ids[:size:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// SenderRequest names the packages to post: one (the Map's item) or many
// (the sweep).
type SenderRequest struct {
	PackageID  int64   `json:"package_id,omitempty"`
	PackageIDs []int64 `json:"package_ids,omitempty"`
}

// SenderResult is the sender's answer.
type SenderResult struct {
	Sent        int              `json:"sent"`
	AlreadySent int              `json:"already_sent"`
	Failed      int              `json:"failed"`
	Packages    []PackageOutcome `json:"packages"`
}

// PackageOutcome is one package's status after the step.
type PackageOutcome struct {
	PackageID int64         `json:"package_id"`
	Status    PackageStatus `json:"status"` // sent or failed
}

// PollerRequest is a run to poll ({run_id}), the sweep ({}), "Mark run
// timed out" ({run_id, mark_timed_out}) or "Record failure" ({run_id,
// failed, error, cause}).
type PollerRequest struct {
	RunID        int64  `json:"run_id,omitempty"`
	MarkTimedOut bool   `json:"mark_timed_out,omitempty"`
	Failed       bool   `json:"failed,omitempty"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

// PollerResult is the poller's answer (State.Poll). Done is true for any
// final run status, timed_out included, so the state machine asks about
// TimedOut first.
type PollerResult struct {
	RunID       int64     `json:"run_id,omitempty"`
	Status      RunStatus `json:"status,omitempty"`
	Done        bool      `json:"done"`
	TimedOut    bool      `json:"timed_out"`
	LeftToSweep bool      `json:"left_to_sweep"`
	Pending     int       `json:"pending"`
	Unsent      int       `json:"unsent"`
	Polled      int       `json:"polled"`
	Applied     int       `json:"applied"`
	Retry       int       `json:"retry_later"`
	Doubtful    int       `json:"doubtful"`
	Resent      int       `json:"resent,omitempty"`
	StuckRuns   int       `json:"stuck_runs,omitempty"`
}

// MigrateEvent is what CloudFormation's Provider framework sends the
// migrate function's onEvent handler.
type MigrateEvent struct {
	RequestType           string            `json:"RequestType"`
	PhysicalResourceID    string            `json:"PhysicalResourceId,omitempty"`
	ResourceProperties    map[string]string `json:"ResourceProperties,omitempty"`
	OldResourceProperties map[string]string `json:"OldResourceProperties,omitempty"` // on Update: what the resource had
}

// MigrateResult is the migrate function's answer to the Provider framework.
type MigrateResult struct {
	PhysicalResourceID string            `json:"PhysicalResourceId"`
	Data               map[string]string `json:"Data,omitempty"`
}

// FileKind is which side of the reconciliation an export holds: the
// folder under incoming/.
type FileKind string

// The two kinds of export.
const (
	Billing   FileKind = "billing"
	Acquiring FileKind = "acquiring"
)

// FileError is one problem in an export, located as precisely as it can be:
// Line 0 means the file as a whole, an empty Column the whole line.
type FileError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column string `json:"column,omitempty"`
	Msg    string `json:"message"`
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// UploadTriggerResult is upload-trigger's answer to an S3 event
// (github.com/aws/aws-lambda-go/events.S3Event).
type UploadTriggerResult struct {
	Files []FileResult `json:"files"`
}

// FileResult says what became of one uploaded object.
type FileResult struct {
	Key       string       `json:"key"`
	FileID    int64        `json:"file_id,omitempty"`
	Org       string       `json:"org,omitempty"`
	Kind      FileKind     `json:"kind,omitempty"`
	Status    string       `json:"status"` // registered | failed | superseded | ignored; decided for an approval file
	Duplicate bool         `json:"duplicate,omitempty"`
	Errors    []*FileError `json:"errors,omitempty"`
	// Execution is set when this upload completed a pair and a run was asked for.
	Execution *Execution `json:"execution,omitempty"`
	Waiting   string     `json:"waiting,omitempty"`
}

// Execution is a run start: its deterministic name and its input.
type Execution struct {
	Name    string            `json:"name"`
	Started bool              `json:"started"`
	Input   ReconcilerRequest `json:"input"`
}
