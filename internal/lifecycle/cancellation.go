package lifecycle

import (
	"fmt"

	"github.com/gispayments/gis-payments/internal/contract"
)

// CancelRefusal says why a payment in status cannot be cancelled, or ""
// when it can: loaded and not being cancelled, or a cancellation GIS
// refused or never answered.
func CancelRefusal(status contract.PaymentStatus) string {
	switch status {
	case contract.PaymentImported, contract.PaymentAlreadyImported, contract.PaymentCancelRejected, contract.PaymentCancelUnknown:
		return ""
	case contract.PaymentCancelled:
		return "the payment is cancelled already"
	case contract.PaymentCancelRequested:
		return "a cancellation of this payment is under way"
	case contract.PaymentUnknown:
		return "GIS may or may not hold this payment (status unknown): check it in GIS first"
	}
	return fmt.Sprintf("the payment is not loaded yet (status %s): cancel it once GIS has answered", status)
}

// CancellationOutcome maps the status an import outcome would give a
// payment to the cancellation's: success is cancelled; a refusal, fatal or
// retryable, is rejected (the payment stays loaded; a person asks again if
// the reason has passed: cancellations are not retried automatically);
// anything else (an unclassified code, SRV012001, whose meaning for a
// cancellation is not known, a doubtful answer) is unknown.
func CancellationOutcome(outcome contract.PaymentStatus) contract.CancellationStatus {
	switch outcome {
	case contract.PaymentImported:
		return contract.CancellationCancelled
	case contract.PaymentRejected, contract.PaymentError:
		return contract.CancellationRejected
	}
	return contract.CancellationUnknown
}

// AfterCancellation is the status an answered cancellation gives its
// payment.
func AfterCancellation(c contract.CancellationStatus) contract.PaymentStatus {
	switch c {
	case contract.CancellationCancelled:
		return contract.PaymentCancelled
	case contract.CancellationRejected:
		return contract.PaymentCancelRejected
	}
	return contract.PaymentCancelUnknown
}
