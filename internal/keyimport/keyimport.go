// Package keyimport turns the forms in which organisations hold GOST keys
// into the PEM bundle the packer reads (a PKCS#8 PRIVATE KEY block and a
// CERTIFICATE block, see internal/signkey): a PKCS#12 file (.pfx, as
// CryptoPro CSP and OpenSSL's GOST engine export it) and a CryptoPro key
// container folder (header.key, masks.key, primary.key, …).
//
// PKCS#12 is read with go-cryptobin (github.com/deatil/go-cryptobin/pkcs12),
// which knows the GOST PBES2 ciphers, PBKDF2 with HMAC-Streebog and the GOST
// MACs. CryptoPro's container format has no maintained Go reader (go-cryptobin
// has none); container.go reads it from the publicly documented algorithm.
//
// Errors never show key material, PINs or passwords.
package keyimport

import (
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"
)

// ErrWrongPassword is wrapped by the errors for a wrong PIN or password.
var ErrWrongPassword = errors.New("wrong PIN or password")

// Imported is a private key with its certificate.
type Imported struct {
	Key  *gost.PrivateKey
	Cert *x509.Certificate
}

// Bundle is the PEM bundle: the key as PKCS#8, then the certificate.
func (i *Imported) Bundle() ([]byte, error) {
	der, err := gost.MarshalPrivateKey(i.Key)
	if err != nil {
		return nil, fmt.Errorf("keyimport: encode the key as PKCS#8: %w", err)
	}
	return slices.Concat(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.Cert.Raw})), nil
}

// pair checks that the certificate certifies the key.
func pair(key *gost.PrivateKey, certDER []byte) (*Imported, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("keyimport: certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*gost.PublicKey)
	if !ok {
		return nil, fmt.Errorf("keyimport: the certificate's key is not a GOST key (%T)", cert.PublicKey)
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, errors.New("keyimport: the certificate is not the private key's (another certificate of the organisation?)")
	}
	return &Imported{Key: key, Cert: cert}, nil
}

// ParseCertificate reads a certificate as DER or PEM (a .cer file comes in either).
func ParseCertificate(data []byte) ([]byte, error) {
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("keyimport: want a CERTIFICATE PEM block, not %q", b.Type)
		}
		return b.Bytes, nil
	}
	return data, nil
}
