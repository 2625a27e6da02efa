// Package lifecycle holds the rules of a run's life that are decisions,
// not storage: which reconciled rows a load policy sends, which payments
// hold an order, how a run ends after packing and once its packages are
// answered, what a refused package and its payments become, and when a
// run waiting for GIS times out. internal/postgres counts, locks and
// writes; these functions decide. Pure Go, no database.
package lifecycle

import (
	"fmt"
	"slices"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/matcher"
)

// Load policies (organization.load_policy).
const (
	LoadMatched   = "matched"   // rows on both sides with equal sums
	LoadAcquiring = "acquiring" // every bank-registry payment, matched or not
)

// DefaultLoadPolicy is the policy of an organisation that names none.
const DefaultLoadPolicy = LoadMatched

// loads are the recon statuses each load policy sends: each bank row of a
// split match is a payment; refunds and held rows never are.
var loads = map[string][]matcher.Status{
	LoadMatched:   {matcher.Matched, matcher.Split},
	LoadAcquiring: {matcher.Matched, matcher.Split, matcher.Mismatch, matcher.AcquiringOnly},
}

// Loads returns the recon statuses policy sends (none for an unknown policy).
func Loads(policy string) []matcher.Status { return slices.Clone(loads[policy]) }

// Live are the payment statuses that hold an order: queued or sent,
// loaded, possibly held by GIS, or being (or having been) cancelled. The
// partial unique index payment_once keeps one such payment per
// organisation and order; a run takes no order one of them holds.
var Live = []contract.PaymentStatus{contract.PaymentQueued, contract.PaymentSent, contract.PaymentImported,
	contract.PaymentAlreadyImported, contract.PaymentUnknown, contract.PaymentCancelRequested, contract.PaymentCancelled,
	contract.PaymentCancelRejected, contract.PaymentCancelUnknown}

// Loaded are the payment statuses that say GIS holds the payment.
var Loaded = []contract.PaymentStatus{contract.PaymentImported, contract.PaymentAlreadyImported}

// AfterPacking is a run's status once its packing is stored: packing while
// it has packages to send; with none, finished, or finished_with_errors
// when rows were held back for a person to look at.
func AfterPacking(packages, held int) contract.RunStatus {
	switch {
	case packages > 0:
		return contract.RunPacking
	case held > 0:
		return contract.RunFinishedWithErrors
	}
	return contract.RunFinished
}

// Answered are the package statuses nothing more will happen to without a
// person.
var Answered = []contract.PackageStatus{contract.PackageDone, contract.PackageFailed, contract.PackageUnknown}

// Unsent are the package statuses GIS has not acknowledged yet.
var Unsent = []contract.PackageStatus{contract.PackageBuilt, contract.PackageSigned}

// Tally is what settling a run counts.
type Tally struct {
	Pending     int // packages not answered
	Unloaded    int // payments not imported or already imported
	Held        int // rows held back (by the packer, a person or a row-level problem)
	Uncancelled int // cancellations of the run that did not end cancelled
}

// Settle returns the status a run ends with, and false while packages are
// pending: finished when every payment is loaded, none was held back and
// every cancellation is cancelled, finished_with_errors otherwise.
func Settle(t Tally) (contract.RunStatus, bool) {
	switch {
	case t.Pending > 0:
		return "", false
	case t.Unloaded > 0 || t.Held > 0 || t.Uncancelled > 0:
		return contract.RunFinishedWithErrors, true
	}
	return contract.RunFinished, true
}

// Settles are the run statuses settling ends: packing (every package was
// refused before any was acknowledged), sending and processing, and a run
// that timed out or failed while its packages were out, settled when the
// sweep brings them in.
var Settles = []contract.RunStatus{contract.RunPacking, contract.RunSending, contract.RunProcessing,
	contract.RunTimedOutStatus, contract.RunFailed}

// Ended reports whether a run is over for the poller: settled, failed or
// timed out (a late answer may still settle a failed or timed-out run).
func Ended(s contract.RunStatus) bool {
	switch s {
	case contract.RunFinished, contract.RunFinishedWithErrors, contract.RunFailed, contract.RunTimedOutStatus:
		return true
	}
	return false
}

// Announced are the ends a "Run settled" event tells of.
var Announced = []contract.RunStatus{contract.RunFinished, contract.RunFinishedWithErrors,
	contract.RunApprovalExpired, contract.RunApprovalDeclined}

// InState is a package's status for a getState RequestState of 1
// (received) or 2 (processing).
func InState(requestState int) contract.PackageStatus {
	if requestState == 2 {
		return contract.PackageProcessing
	}
	return contract.PackageSent
}

// Refused is what a package GIS refused as a whole makes of its
// unanswered payments, given the status GIS's code gives them and how
// many earlier posts of the package lost their reply: a retryable refusal
// after such a post proves nothing (GIS may hold the package from it), so
// the payments turn unknown, and mayHold says so.
func Refused(status contract.PaymentStatus, uncertainSends int) (_ contract.PaymentStatus, mayHold bool) {
	if status == contract.PaymentError && uncertainSends > 0 {
		return contract.PaymentUnknown, true
	}
	return status, false
}

// RefusedPackage is the status of a package whose payments a refusal left
// in status: unknown when GIS may hold them, failed otherwise.
func RefusedPackage(status contract.PaymentStatus) contract.PackageStatus {
	if status == contract.PaymentUnknown {
		return contract.PackageUnknown
	}
	return contract.PackageFailed
}

// Waiting is a run as the time-out rule reads it.
type Waiting struct {
	Status contract.RunStatus
	// SentAt is when GIS acknowledged the run's first package (nil: none yet).
	SentAt    *time.Time
	UpdatedAt time.Time
	// Signed: the run has signed packages waiting to be posted.
	Signed bool
}

// MayTimeOut are the run statuses TimedOut looks at.
var MayTimeOut = []contract.RunStatus{contract.RunPacking, contract.RunSending, contract.RunProcessing}

// TimedOut reports whether a run waiting for GIS has waited too long: its
// first package was acknowledged before sentBefore, or it has had signed
// packages to send since before then and none acknowledged (GIS down).
// Its packages stay with the sweep: a late answer still settles it.
func TimedOut(r Waiting, sentBefore time.Time) bool {
	switch r.Status {
	case contract.RunSending, contract.RunProcessing:
		return r.SentAt != nil && r.SentAt.Before(sentBefore)
	case contract.RunPacking:
		return r.SentAt == nil && r.Signed && r.UpdatedAt.Before(sentBefore)
	}
	return false
}

// ResendRefusal says why an operator may not have the latest payment of an
// order in status sent again, or "" when they may: only a payment in
// error, rejected or unknown is resent, and an unknown one (GIS may hold
// it) only once the operator confirmed GIS does not.
func ResendRefusal(status contract.PaymentStatus, confirmedNotInGIS bool) string {
	switch {
	case status == contract.PaymentUnknown && !confirmedNotInGIS:
		return "is unknown: GIS may hold it; check GIS first and confirm it does not"
	case status != contract.PaymentError && status != contract.PaymentRejected && status != contract.PaymentUnknown:
		return fmt.Sprintf("is %s: only error, rejected or unknown payments are resent", status)
	}
	return ""
}
