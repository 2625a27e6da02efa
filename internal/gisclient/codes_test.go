package gisclient

import (
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
)

func TestClassify(t *testing.T) {
	for code, want := range map[string]Disposition{
		"SRV012001": AlreadyLoaded,
		"EXP001000": Retry,
		"EXP999999": Unknown, // an unlisted technical exception: not retried on a guess either
		"INT002000": Fatal,
		"AUT011009": Fatal,
		"XYZ000000": Unknown, // never retried, never given up, on a guess
	} {
		if got := Classify(code); got != want {
			t.Errorf("Classify(%s) = %s, want %s", code, got, want)
		}
	}
	for code, want := range map[string]Disposition{
		"":          Retry,   // refused by an HTTP status: a later run sends again
		"SRV012001": Unknown, // "already loaded" of a whole message names no payment
		"INT002000": Fatal,
		"XYZ000000": Unknown,
	} {
		if got := MessageDisposition(code); got != want {
			t.Errorf("MessageDisposition(%q) = %s, want %s", code, got, want)
		}
	}
	for d, want := range map[Disposition]contract.PaymentStatus{Unknown: contract.PaymentUnknown, Fatal: contract.PaymentRejected, Retry: contract.PaymentError,
		AlreadyLoaded: contract.PaymentAlreadyImported, Transient: contract.PaymentUnknown, Unreadable: contract.PaymentUnknown} { // a failed call never makes a payment retryable
		if got := d.PaymentStatus(); got != want {
			t.Errorf("%s.PaymentStatus() = %s, want %s", d, got, want)
		}
	}
}
