package keyimport

import (
	"errors"
	"fmt"

	"github.com/deatil/go-cryptobin/pkcs12"
	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// PFX reads a PKCS#12 file holding one GOST private key and its
// certificate (other certificates, the CA chain, are left out).
func PFX(data []byte, password string) (*Imported, error) {
	p12, err := pkcs12.LoadFromBytes(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, fmt.Errorf("keyimport: wrong password for the PFX file: %w", ErrWrongPassword)
		}
		return nil, fmt.Errorf("keyimport: PFX: %w", err)
	}
	keys, err := p12.GetAllPrivateKeyBytes()
	if err != nil || len(keys) == 0 {
		return nil, fmt.Errorf("keyimport: the PFX file holds no private key (%v)", err)
	}
	if len(keys) > 1 {
		return nil, fmt.Errorf("keyimport: the PFX file holds %d private keys; export one", len(keys))
	}
	key, err := gost.ParsePrivateKey(keys[0].Data)
	if err != nil {
		return nil, fmt.Errorf("keyimport: the PFX key is not a GOST R 34.10 key: %w", err)
	}
	var certs [][]byte
	if c, _, err := p12.GetCertBytes(); err == nil && len(c) > 0 {
		certs = append(certs, c)
	}
	if cas, err := p12.GetCaCertsBytes(); err == nil {
		certs = append(certs, cas...)
	}
	for _, der := range certs {
		if imp, err := pair(key, der); err == nil {
			return imp, nil
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("keyimport: the PFX file holds no certificate")
	}
	return nil, errors.New("keyimport: no certificate in the PFX file is the private key's")
}
