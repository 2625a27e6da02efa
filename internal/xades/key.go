package xades

import (
	"context"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"crypto/x509/pkix"
	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"
)

// Key is a GOST R 34.10-2012 256-bit private key with its X.509 certificate.
type Key struct {
	priv *gost.PrivateKey
	cert *x509.Certificate
}

// Certificate is the signer's certificate.
func (k *Key) Certificate() *x509.Certificate { return k.cert }

// KeySource yields the signing key: from files locally, from a secret in
// the cloud.
type KeySource interface {
	Key(ctx context.Context) (*Key, error)
}

// FileKeySource reads PEM files.
type FileKeySource struct{ KeyPath, CertPath string }

// Key reads and parses the files.
func (f FileKeySource) Key(context.Context) (*Key, error) { return LoadKeyFiles(f.KeyPath, f.CertPath) }

// LoadKeyFiles reads a PKCS#8 key and a certificate from PEM files.
func LoadKeyFiles(keyPath, certPath string) (*Key, error) {
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("xades: %w", err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("xades: %w", err)
	}
	return ParseKey(keyPEM, certPEM)
}

// ParseKey parses a PKCS#8 GOST private key and its certificate (PEM), and
// checks that they belong together.
func ParseKey(keyPEM, certPEM []byte) (*Key, error) {
	kb, _ := pem.Decode(keyPEM)
	cb, _ := pem.Decode(certPEM)
	if kb == nil || cb == nil {
		return nil, errors.New("xades: want a PEM private key and a PEM certificate")
	}
	priv, err := gost.ParsePrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("xades: private key: %w", err)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("xades: certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*gost.PublicKey)
	if !ok || !pub.Equal(&priv.PublicKey) {
		return nil, errors.New("xades: the certificate is not the private key's")
	}
	if priv.Curve.PointSize() != 32 {
		return nil, errors.New("xades: the key is not a 256-bit GOST R 34.10-2012 key")
	}
	return &Key{priv: priv, cert: cert}, nil
}

// GenerateTestKey makes a throwaway key (CryptoPro-A parameters, as most
// Russian CAs issue for 2012-256 keys) and a self-signed certificate, for
// tests and local runs. GIS accepts only keys certified by an accredited CA.
func GenerateTestKey() (*Key, error) {
	priv, err := gost.GenerateKey(rand.Reader, gost.CurveIdGostR34102001CryptoProAParamSet())
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	name := pkix.Name{CommonName: "gis-payments test", Organization: []string{"Test"}, Country: []string{"RU"}}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: name, Issuer: name,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		SignatureAlgorithm: x509.GOST3410WithGOST34112012256}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("xades: self-sign: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Key{priv: priv, cert: cert}, nil
}

// PEM encodes the key (PKCS#8) and the certificate.
func (k *Key) PEM() (keyPEM, certPEM []byte, err error) {
	der, err := gost.MarshalPrivateKey(k.priv)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.cert.Raw}), nil
}
