package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/matcher"
)

func TestLoads(t *testing.T) {
	tests := []struct {
		policy string
		want   []matcher.Status
	}{
		{LoadMatched, []matcher.Status{matcher.Matched, matcher.Split}},
		{LoadAcquiring, []matcher.Status{matcher.Matched, matcher.Split, matcher.Mismatch, matcher.AcquiringOnly}},
		{"", nil},
		{"everything", nil},
	}
	for _, tt := range tests {
		got := Loads(tt.policy)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Loads(%q) = %v, want %v", tt.policy, got, tt.want)
		}
		for _, never := range []matcher.Status{matcher.Refund, matcher.Held, matcher.BillingOnly} {
			if slices.Contains(got, never) {
				t.Errorf("Loads(%q) sends %s rows", tt.policy, never)
			}
		}
	}
	// The caller's copy is its own.
	Loads(LoadMatched)[0] = matcher.Held
	if Loads(LoadMatched)[0] != matcher.Matched {
		t.Error("Loads hands out its table")
	}
	if DefaultLoadPolicy != LoadMatched {
		t.Errorf("default policy %q", DefaultLoadPolicy)
	}
}

// An order is held by a payment GIS holds or may hold, or that is on its
// way or being taken back; a payment that ended in error or was rejected
// frees it for another attempt.
func TestLive(t *testing.T) {
	free := []contract.PaymentStatus{contract.PaymentError, contract.PaymentRejected}
	for _, s := range contract.Statuses["payment"] {
		st := contract.PaymentStatus(s)
		if slices.Contains(Live, st) == slices.Contains(free, st) {
			t.Errorf("payment %s: live %v, free %v", s, slices.Contains(Live, st), slices.Contains(free, st))
		}
	}
	for _, s := range Loaded {
		if !slices.Contains(Live, s) {
			t.Errorf("loaded %s does not hold its order", s)
		}
	}
}

func TestAfterPacking(t *testing.T) {
	tests := []struct {
		packages, held int
		want           contract.RunStatus
	}{
		{3, 0, contract.RunPacking},
		{3, 2, contract.RunPacking}, // held rows are told at the end
		{0, 2, contract.RunFinishedWithErrors},
		{0, 0, contract.RunFinished},
	}
	for _, tt := range tests {
		if got := AfterPacking(tt.packages, tt.held); got != tt.want {
			t.Errorf("AfterPacking(%d packages, %d held) = %s, want %s", tt.packages, tt.held, got, tt.want)
		}
	}
}

func TestSettle(t *testing.T) {
	tests := []struct {
		name    string
		tally   Tally
		want    contract.RunStatus
		settled bool
	}{
		{"a package pending", Tally{Pending: 1}, "", false},
		{"pending outweighs everything", Tally{Pending: 2, Unloaded: 5, Held: 1, Uncancelled: 1}, "", false},
		{"every payment loaded", Tally{}, contract.RunFinished, true},
		{"a payment not loaded", Tally{Unloaded: 1}, contract.RunFinishedWithErrors, true},
		{"a row held back", Tally{Held: 1}, contract.RunFinishedWithErrors, true},
		{"a cancellation not cancelled", Tally{Uncancelled: 1}, contract.RunFinishedWithErrors, true},
	}
	for _, tt := range tests {
		got, settled := Settle(tt.tally)
		if got != tt.want || settled != tt.settled {
			t.Errorf("%s: Settle(%+v) = %q, %v; want %q, %v", tt.name, tt.tally, got, settled, tt.want, tt.settled)
		}
	}
}

func TestAnsweredAndUnsentPackages(t *testing.T) {
	for _, s := range contract.Statuses["package"] {
		st := contract.PackageStatus(s)
		waiting := st == contract.PackageSent || st == contract.PackageProcessing
		if slices.Contains(Answered, st) == (waiting || slices.Contains(Unsent, st)) {
			t.Errorf("package %s: answered %v, unsent %v", s, slices.Contains(Answered, st), slices.Contains(Unsent, st))
		}
	}
}

// Settling ends a run that is out with GIS, or was given up on while its
// packages were; never one that has not sent, already ended, or sent
// nothing by a person's decision.
func TestSettles(t *testing.T) {
	want := map[contract.RunStatus]bool{contract.RunPacking: true, contract.RunSending: true, contract.RunProcessing: true,
		contract.RunTimedOutStatus: true, contract.RunFailed: true}
	for _, s := range contract.Statuses["run"] {
		st := contract.RunStatus(s)
		if slices.Contains(Settles, st) != want[st] {
			t.Errorf("settling a %s run: %v, want %v", s, slices.Contains(Settles, st), want[st])
		}
	}
}

func TestEndedAndAnnounced(t *testing.T) {
	ended := map[contract.RunStatus]bool{contract.RunFinished: true, contract.RunFinishedWithErrors: true,
		contract.RunFailed: true, contract.RunTimedOutStatus: true}
	announced := map[contract.RunStatus]bool{contract.RunFinished: true, contract.RunFinishedWithErrors: true,
		contract.RunApprovalExpired: true, contract.RunApprovalDeclined: true}
	for _, s := range contract.Statuses["run"] {
		st := contract.RunStatus(s)
		if Ended(st) != ended[st] {
			t.Errorf("Ended(%s) = %v", s, Ended(st))
		}
		if slices.Contains(Announced, st) != announced[st] {
			t.Errorf("announced %s: %v", s, slices.Contains(Announced, st))
		}
	}
}

func TestInState(t *testing.T) {
	for state, want := range map[int]contract.PackageStatus{1: contract.PackageSent, 2: contract.PackageProcessing} {
		if got := InState(state); got != want {
			t.Errorf("InState(%d) = %s, want %s", state, got, want)
		}
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		status    contract.PaymentStatus
		uncertain int
		want      contract.PaymentStatus
		mayHold   bool
		pkg       contract.PackageStatus
	}{
		{contract.PaymentRejected, 0, contract.PaymentRejected, false, contract.PackageFailed},
		{contract.PaymentRejected, 1, contract.PaymentRejected, false, contract.PackageFailed}, // a final refusal stands
		{contract.PaymentError, 0, contract.PaymentError, false, contract.PackageFailed},
		{contract.PaymentError, 2, contract.PaymentUnknown, true, contract.PackageUnknown}, // GIS may hold it from a lost reply
		{contract.PaymentUnknown, 0, contract.PaymentUnknown, false, contract.PackageUnknown},
	}
	for _, tt := range tests {
		got, mayHold := Refused(tt.status, tt.uncertain)
		if got != tt.want || mayHold != tt.mayHold {
			t.Errorf("Refused(%s, %d) = %s, %v; want %s, %v", tt.status, tt.uncertain, got, mayHold, tt.want, tt.mayHold)
		}
		if pkg := RefusedPackage(got); pkg != tt.pkg {
			t.Errorf("RefusedPackage(%s) = %s, want %s", got, pkg, tt.pkg)
		}
	}
}

func TestTimedOut(t *testing.T) {
	cutoff := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	before, after := cutoff.Add(-time.Minute), cutoff.Add(time.Minute)
	tests := []struct {
		name string
		run  Waiting
		want bool
	}{
		{"sending, first ack before the cutoff", Waiting{Status: contract.RunSending, SentAt: &before}, true},
		{"processing, first ack before the cutoff", Waiting{Status: contract.RunProcessing, SentAt: &before}, true},
		{"processing, first ack after the cutoff", Waiting{Status: contract.RunProcessing, SentAt: &after}, false},
		{"ack exactly at the cutoff", Waiting{Status: contract.RunSending, SentAt: &cutoff}, false},
		{"packing with signed packages, none acked, long ago (GIS down)",
			Waiting{Status: contract.RunPacking, UpdatedAt: before, Signed: true}, true},
		{"packing with signed packages, recently", Waiting{Status: contract.RunPacking, UpdatedAt: after, Signed: true}, false},
		{"packing, nothing signed yet (still signing)", Waiting{Status: contract.RunPacking, UpdatedAt: before}, false},
		{"packing, one package acked already", Waiting{Status: contract.RunPacking, SentAt: &before, UpdatedAt: before, Signed: true}, false},
		{"reconciling", Waiting{Status: contract.RunReconciling, SentAt: &before, UpdatedAt: before, Signed: true}, false},
		{"awaiting approval", Waiting{Status: contract.RunAwaitingApproval, UpdatedAt: before}, false},
		{"finished", Waiting{Status: contract.RunFinished, SentAt: &before}, false},
		{"timed out already", Waiting{Status: contract.RunTimedOutStatus, SentAt: &before}, false},
	}
	for _, tt := range tests {
		if got := TimedOut(tt.run, cutoff); got != tt.want {
			t.Errorf("%s: TimedOut = %v, want %v", tt.name, got, tt.want)
		}
		if tt.want && !slices.Contains(MayTimeOut, tt.run.Status) {
			t.Errorf("%s: %s is not among MayTimeOut, the store never asks", tt.name, tt.run.Status)
		}
	}
}

func TestResendRefusal(t *testing.T) {
	tests := []struct {
		status    contract.PaymentStatus
		confirmed bool
		ok        bool
	}{
		{contract.PaymentError, false, true},
		{contract.PaymentRejected, false, true},
		{contract.PaymentUnknown, false, false}, // GIS may hold it
		{contract.PaymentUnknown, true, true},
		{contract.PaymentImported, true, false},
		{contract.PaymentAlreadyImported, false, false},
		{contract.PaymentQueued, false, false},
		{contract.PaymentSent, true, false},
		{contract.PaymentCancelled, true, false},
	}
	for _, tt := range tests {
		if why := ResendRefusal(tt.status, tt.confirmed); (why == "") != tt.ok {
			t.Errorf("ResendRefusal(%s, confirmed %v) = %q, want ok=%v", tt.status, tt.confirmed, why, tt.ok)
		}
	}
}
