package xades

import (
	"fmt"
	"math"
	"time"
)

// CertificateValidityError says the signing certificate is expired or not
// yet valid: GIS refuses what it signs, so nothing is signed with it.
type CertificateValidityError struct {
	Subject             string
	NotBefore, NotAfter time.Time
	Now                 time.Time
}

func (e *CertificateValidityError) Error() string {
	const layout = "2006-01-02 15:04:05 MST"
	if e.Now.Before(e.NotBefore) {
		return fmt.Sprintf("xades: the signing certificate (%s) is not valid before %s", e.Subject, e.NotBefore.UTC().Format(layout))
	}
	return fmt.Sprintf("xades: the signing certificate (%s) expired on %s", e.Subject, e.NotAfter.UTC().Format(layout))
}

// CheckValidity refuses a certificate that is expired or not yet valid at now.
func (k *Key) CheckValidity(now time.Time) error {
	if now.Before(k.cert.NotBefore) || now.After(k.cert.NotAfter) {
		return &CertificateValidityError{Subject: k.cert.Subject.String(), NotBefore: k.cert.NotBefore,
			NotAfter: k.cert.NotAfter, Now: now}
	}
	return nil
}

// DaysLeft is the number of whole days until the certificate expires
// (negative once it has).
func (k *Key) DaysLeft(now time.Time) int {
	return int(math.Floor(k.cert.NotAfter.Sub(now).Hours() / 24))
}
