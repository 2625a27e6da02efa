// Package contract is what the state machine and the functions say to each
// other: every step's request and result, the document an execution carries
// from state to state, and the error names the state machine's Retry and
// Catch match. The CDK app (infra/) builds its JsonPaths and ErrorEquals from
// these types and constants, and events/<function>/ holds a fixture of each,
// so a renamed field breaks a test, not a run.
//
// The package uses the standard library only: the CDK app's module imports
// it without the functions' dependencies.
package contract

// Error names: the errorType of a failed invocation, as Step Functions'
// ErrorEquals matches it. Every error a function returns carries one.
const (
	// InvalidInput: a bad file, an unknown organisation, a malformed event.
	// Retrying cannot help; a person must fix the input. Not retried.
	InvalidInput = "InvalidInput"
	// TransientError: the database, S3 or GIS failed in a way that may
	// pass. The state machine retries it with backoff.
	TransientError = "TransientError"
	// InternalError: a bug or an unexpected state. Not retried.
	InternalError = "InternalError"
	// RunTimedOut is the error of the state machine's "Run timed out" Fail
	// state, reached when the poller reports a run timed out (PollerResult.TimedOut).
	RunTimedOut = "RunTimedOut"
)

// ErrorNames are the errors a function may return, in the order above.
var ErrorNames = []string{InvalidInput, TransientError, InternalError, NoExports}

// State is the document an execution carries: the execution input, then
// each step's result under its own key. Results keep ids and counts only,
// so the input travels unchanged to the end and the execution history
// holds no personal data.
type State struct {
	ReconcilerRequest
	Reconcile *ReconcilerResult `json:"reconcile,omitempty"`
	// ApprovalCheck and Approval: whether the run waits for a person, and
	// the decision that ended the wait.
	ApprovalCheck *ApprovalResult  `json:"approval_check,omitempty"`
	Approval      *ApprovalOutcome `json:"approval,omitempty"`
	// Enrich: the payment document lookup of supplier rows before packing.
	Enrich *EnricherResult `json:"enrich,omitempty"`
	Pack   *PackerResult   `json:"pack,omitempty"`
	Send   *SendSummary    `json:"send,omitempty"`
	Poll   *PollerResult   `json:"poll,omitempty"`
	// Failure is the error a Catch caught, shown by "Run failed".
	Failure *Failure `json:"failure,omitempty"`
	// RecordFailure is the error of "Record failure" itself, if it failed.
	RecordFailure *Failure `json:"record_failure,omitempty"`
}

// SendSummary is what the Map over the packages keeps: how many it handled.
type SendSummary struct {
	Packages int `json:"packages"`
}

// Failure is what a Step Functions Catch puts at its ResultPath.
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// MapItem is the Map's current item, the batch of package ids a sender is given.
const MapItem = "$$.Map.Item.Value"
