package lifecycle

import (
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
)

func TestCancelRefusal(t *testing.T) {
	tests := []struct {
		status contract.PaymentStatus
		want   string // "" cancellable, else a word of the reason
	}{
		{contract.PaymentImported, ""},
		{contract.PaymentAlreadyImported, ""},
		{contract.PaymentCancelRejected, ""}, // GIS refused the cancellation: ask again
		{contract.PaymentCancelUnknown, ""},  // never answered: ask again
		{contract.PaymentCancelled, "cancelled already"},
		{contract.PaymentCancelRequested, "under way"},
		{contract.PaymentUnknown, "check it in GIS first"},
		{contract.PaymentQueued, "not loaded yet (status queued)"},
		{contract.PaymentSent, "not loaded yet (status sent)"},
	}
	for _, tt := range tests {
		got := CancelRefusal(tt.status)
		if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CancelRefusal(%s) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestCancellationOutcome(t *testing.T) {
	want := map[contract.PaymentStatus]contract.CancellationStatus{
		contract.PaymentImported:        contract.CancellationCancelled,
		contract.PaymentRejected:        contract.CancellationRejected,
		contract.PaymentError:           contract.CancellationRejected, // not retried automatically
		contract.PaymentAlreadyImported: contract.CancellationUnknown,  // meaning for a cancellation unknown
		contract.PaymentUnknown:         contract.CancellationUnknown,
		"":                              contract.CancellationUnknown,
	}
	for in, out := range want {
		if got := CancellationOutcome(in); got != out {
			t.Errorf("CancellationOutcome(%q) = %s, want %s", in, got, out)
		}
	}
}

func TestAfterCancellation(t *testing.T) {
	want := map[contract.CancellationStatus]contract.PaymentStatus{
		contract.CancellationCancelled: contract.PaymentCancelled,
		contract.CancellationRejected:  contract.PaymentCancelRejected,
		contract.CancellationUnknown:   contract.PaymentCancelUnknown,
	}
	for in, out := range want {
		if got := AfterCancellation(in); got != out {
			t.Errorf("AfterCancellation(%s) = %s, want %s", in, got, out)
		}
	}
}
