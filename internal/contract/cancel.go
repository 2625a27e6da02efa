package contract

// KindCancellation is ReconcilerRequest.Kind of a cancellation run: the
// canceller registers the cancellations, then the packer, sender and poller
// take them to GIS (importNotificationsOfOrderExecutionCancellation).
const KindCancellation = "cancellation"

// Cancellations is the folder under incoming/ for cancellations exports.
const Cancellations FileKind = "cancellations"

// CancellerResult is the canceller's answer. The state machine keeps it
// under State.Reconcile: it starts the run the later steps take, as the
// reconciler does.
type CancellerResult struct {
	RunID          int64     `json:"run_id"`
	Org            string    `json:"org"`
	Status         RunStatus `json:"status"`
	Requested      int       `json:"requested"` // requests registered now, to be sent
	Refused        int       `json:"refused"`   // rows refused with a reason (in the run's results)
	Duplicate      int       `json:"duplicate"` // rows registered by an earlier invocation
	DurationMillis int64     `json:"duration_ms"`
}
