package contract

// Statuses of the lifecycles Postgres enforces (table status_transition);
// the values are the database's. A test in internal/postgres checks that
// these are exactly the statuses the migrations know.

// FileStatus is an uploaded export's status (table source_file).
type FileStatus string

// RunStatus is a run's status.
type RunStatus string

// PackageStatus is a package's status.
type PackageStatus string

// PaymentStatus is a payment's status.
type PaymentStatus string

const (
	FileRegistered FileStatus = "registered"
	FileReconciled FileStatus = "reconciled"
	FileFailed     FileStatus = "failed"
	FileSuperseded FileStatus = "superseded"

	RunCreated            RunStatus = "created"
	RunReconciling        RunStatus = "reconciling"
	RunPacking            RunStatus = "packing"
	RunSending            RunStatus = "sending"
	RunProcessing         RunStatus = "processing"
	RunFinished           RunStatus = "finished"
	RunFinishedWithErrors RunStatus = "finished_with_errors"
	RunFailed             RunStatus = "failed"
	RunTimedOutStatus     RunStatus = "timed_out"
	// A run waiting for a person's approval (the organisation's
	// approval_policy), and its two ends without loading anything.
	RunAwaitingApproval RunStatus = "awaiting_approval"
	RunApprovalExpired  RunStatus = "approval_expired"
	RunApprovalDeclined RunStatus = "approval_declined"

	PackageBuilt      PackageStatus = "built"
	PackageSigned     PackageStatus = "signed"
	PackageSent       PackageStatus = "sent"
	PackageProcessing PackageStatus = "processing"
	PackageDone       PackageStatus = "done"
	PackageFailed     PackageStatus = "failed"
	PackageUnknown    PackageStatus = "unknown"

	PaymentQueued          PaymentStatus = "queued"
	PaymentSent            PaymentStatus = "sent"
	PaymentImported        PaymentStatus = "imported"
	PaymentAlreadyImported PaymentStatus = "already_imported"
	PaymentRejected        PaymentStatus = "rejected"
	PaymentError           PaymentStatus = "error"
	PaymentUnknown         PaymentStatus = "unknown"
	// A loaded payment being taken back (importNotificationsOfOrderExecutionCancellation).
	PaymentCancelRequested PaymentStatus = "cancel_requested"
	PaymentCancelled       PaymentStatus = "cancelled"
	PaymentCancelRejected  PaymentStatus = "cancel_rejected"
	PaymentCancelUnknown   PaymentStatus = "cancel_unknown"

	CancellationRequested CancellationStatus = "requested"
	CancellationRefused   CancellationStatus = "refused" // never sent: no such loaded payment, no UniqueNumber, …
	CancellationQueued    CancellationStatus = "queued"
	CancellationSent      CancellationStatus = "sent"
	CancellationCancelled CancellationStatus = "cancelled"
	CancellationRejected  CancellationStatus = "rejected"
	CancellationUnknown   CancellationStatus = "unknown"
)

// CancellationStatus is a cancellation request's status (table cancellation).
type CancellationStatus string

// LookupStatus is a payment document query's status (table
// payment_document_lookup, whose CHECK lists them): queued and sent are
// open; the rest are final.
type LookupStatus string

const (
	LookupQueued   LookupStatus = "queued"
	LookupSent     LookupStatus = "sent"
	LookupFound    LookupStatus = "found"
	LookupNotFound LookupStatus = "not_found"
	LookupFailed   LookupStatus = "failed"
	LookupDoubtful LookupStatus = "doubtful" // an answer that could not be read: the rows stay held this run
	LookupExpired  LookupStatus = "expired"
)

// Statuses lists every status by the entity of status_transition.
var Statuses = map[string][]string{
	"source_file": {string(FileRegistered), string(FileReconciled), string(FileFailed), string(FileSuperseded)},
	"run": {string(RunCreated), string(RunReconciling), string(RunPacking), string(RunSending), string(RunProcessing),
		string(RunFinished), string(RunFinishedWithErrors), string(RunFailed), string(RunTimedOutStatus),
		string(RunAwaitingApproval), string(RunApprovalExpired), string(RunApprovalDeclined)},
	"package": {string(PackageBuilt), string(PackageSigned), string(PackageSent), string(PackageProcessing),
		string(PackageDone), string(PackageFailed), string(PackageUnknown)},
	"payment": {string(PaymentQueued), string(PaymentSent), string(PaymentImported), string(PaymentAlreadyImported),
		string(PaymentRejected), string(PaymentError), string(PaymentUnknown),
		string(PaymentCancelRequested), string(PaymentCancelled), string(PaymentCancelRejected), string(PaymentCancelUnknown)},
	"cancellation": {string(CancellationRequested), string(CancellationRefused), string(CancellationQueued),
		string(CancellationSent), string(CancellationCancelled), string(CancellationRejected), string(CancellationUnknown)},
}
