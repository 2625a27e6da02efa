package xades

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"

	"github.com/gispayments/gis-payments/internal/signkey"
)

// oidGost2012PublicKey256 is id-tc26-gost3410-12-256 (RFC 9215): the
// only key type the signature URIs used here name.
var oidGost2012PublicKey256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}

// Key is a GOST R 34.10-2012 256-bit private key with its X.509 certificate.
type Key struct {
	priv *gost.PrivateKey
	cert *x509.Certificate
	base func() *fixedBase // multiples of the curve's base point, built on first use
}

func newKey(priv *gost.PrivateKey, cert *x509.Certificate) *Key {
	return &Key{priv: priv, cert: cert, base: sync.OnceValue(func() *fixedBase { return newFixedBase(priv.Curve) })}
}

// Certificate is the signer's certificate.
func (k *Key) Certificate() *x509.Certificate { return k.cert }

// KeySource yields the signing key: from files locally, from elsewhere
// (a secret store) in the cloud.
type KeySource interface {
	Key(ctx context.Context) (*Key, error)
}

// FileKeySource reads a PKCS#8 key and a certificate from PEM files.
type FileKeySource struct{ KeyPath, CertPath string }

// Key reads and parses the files.
func (f FileKeySource) Key(context.Context) (*Key, error) { return LoadKeyFiles(f.KeyPath, f.CertPath) }

// LoadKeyFiles reads a PKCS#8 key and a certificate from PEM files (or
// takes either as PEM text); an error never shows what it was given.
func LoadKeyFiles(keyPath, certPath string) (*Key, error) {
	keyPEM, err := signkey.ReadPEM("the key", keyPath)
	if err != nil {
		return nil, fmt.Errorf("xades: %w", err)
	}
	certPEM, err := signkey.ReadPEM("the certificate", certPath)
	if err != nil {
		return nil, fmt.Errorf("xades: %w", err)
	}
	return ParseKey(keyPEM, certPEM)
}

// ParseKey parses the first PKCS#8 PRIVATE KEY block of keyPEM and the
// first CERTIFICATE block of certPEM (so one bundle can serve as both), and
// checks that they belong together and are GOST R 34.10-2012 256.
func ParseKey(keyPEM, certPEM []byte) (*Key, error) {
	kb, cb := pemBlock(keyPEM, "PRIVATE KEY"), pemBlock(certPEM, "CERTIFICATE")
	if kb == nil || cb == nil {
		return nil, errors.New("xades: want a PEM PRIVATE KEY (PKCS#8) and a PEM CERTIFICATE")
	}
	priv, err := gost.ParsePrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("xades: private key: %w", err)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("xades: certificate: %w", err)
	}
	pub, err := gostKey(cert)
	if err != nil {
		return nil, fmt.Errorf("xades: %w", err)
	}
	if !pub.Equal(&priv.PublicKey) {
		return nil, errors.New("xades: the certificate is not the private key's")
	}
	return newKey(priv, cert), nil
}

func pemBlock(data []byte, typ string) *pem.Block {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil || b.Type == typ {
			return b
		}
	}
}

// gostKey returns the certificate's key if it is a GOST R 34.10-2012 256
// key, the only kind the signature method URI covers (go-cryptobin would
// also take a GOST 2001 key on the same curves).
func gostKey(cert *x509.Certificate) (*gost.PublicKey, error) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	pub, ok := cert.PublicKey.(*gost.PublicKey)
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil || !ok ||
		!spki.Algorithm.Algorithm.Equal(oidGost2012PublicKey256) {
		return nil, fmt.Errorf("the certificate's key is not GOST R 34.10-2012 256 (%v)", spki.Algorithm.Algorithm)
	}
	return pub, nil
}

// GenerateTestKey makes a throwaway key on the CryptoPro-A curve
// (id-GostR3410-2001-CryptoPro-A-ParamSet, which RFC 9215 allows for
// 2012-256 keys and which Russian CAs commonly issue) with a self-signed
// certificate valid for a year, for tests and local runs. GIS accepts only
// keys certified by an accredited CA.
func GenerateTestKey() (*Key, error) {
	priv, err := gost.GenerateKey(rand.Reader, gost.CurveIdGostR34102001CryptoProAParamSet())
	if err != nil {
		return nil, fmt.Errorf("xades: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	name := pkix.Name{CommonName: "gis-payments test", Organization: []string{"Test"}, Country: []string{"RU"}}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial.Add(serial, big.NewInt(1)), Subject: name, Issuer: name,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
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
	return newKey(priv, cert), nil
}

// PEM encodes the key (PKCS#8, which OpenSSL's GOST engine reads) and the
// certificate.
func (k *Key) PEM() (keyPEM, certPEM []byte, err error) {
	der, err := gost.MarshalPrivateKey(k.priv)
	if err != nil {
		return nil, nil, fmt.Errorf("xades: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.cert.Raw}), nil
}
