package keyimport

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deatil/go-cryptobin/cipher/gost"
	gostkey "github.com/deatil/go-cryptobin/pubkey/gost"

	"github.com/gispayments/gis-payments/internal/streebog"
)

// A CryptoPro CSP key container (a folder such as "srv.000" on disk or a
// flash drive) holds, as DER files (the format as public readers describe
// it: li0ard/ckey, habr.com/ru/articles/823772, and the older
// "privkey"/ExtractPkey tools):
//
//	header.key  GostKeyContainer { GostKeyContainerContent, hmac }: the key's
//	            algorithm and curve, [5] the certificate (optional), [10] the
//	            public key's fingerprint (its first 8 bytes), …
//	masks.key   SEQUENCE { mask OCTET STRING, salt OCTET STRING (12), hmac }
//	primary.key SEQUENCE { OCTET STRING }: the masked key, encrypted
//	name.key    the container's name; masks2.key, primary2.key: a second key
//	            (exchange), not used for signing here
//
// The key-encryption key comes from the PIN and the salt through CryptoPro's
// KDF (GOST R 34.11-2012 256 for 2012 keys); primary.key is GOST 28147-89
// ECB under it with the id-tc26-gost-28147-param-Z S-box; the key is the
// decrypted number divided by the mask modulo the curve's order (numbers
// little-endian). A wrong PIN gives another number, whose public key does
// not match the fingerprint in header.key.
//
// Only GOST R 34.10-2012 containers (CSP 4.0 and later) are read; GOST
// R 34.10-2001 keys (34.11-94 KDF) have not been accepted by GIS since 2019.

var (
	oidDH2012_256  = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 6, 1} // id-tc26-agreement-gost-3410-2012-256
	oidDH2012_512  = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 6, 2}
	oidSign2012256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}
	oidSign2012512 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 2}
)

// containerKey is what header.key says about the primary key.
type containerKey struct {
	algorithm   asn1.ObjectIdentifier // the DH or signature algorithm OID
	curve       asn1.ObjectIdentifier
	fingerprint []byte
	cert        []byte // DER, when the container holds one
}

type keyAlgorithm struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters struct {
		Curve  asn1.ObjectIdentifier
		Digest asn1.ObjectIdentifier `asn1:"optional"`
	}
}

// parseHeader reads header.key.
func parseHeader(data []byte) (*containerKey, error) {
	var outer struct {
		Content asn1.RawValue
		HMAC    []byte
	}
	if rest, err := asn1.Unmarshal(data, &outer); err != nil || len(rest) > 0 || outer.Content.Tag != asn1.TagSequence {
		return nil, fmt.Errorf("not a key container header (%v)", err)
	}
	var k containerKey
	seenParams := false
	for rest := outer.Content.Bytes; len(rest) > 0; {
		var el asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &el); err != nil {
			return nil, fmt.Errorf("header.key: %v", err)
		}
		switch {
		case el.Class == asn1.ClassUniversal && el.Tag == asn1.TagSequence && !seenParams:
			// primaryPrivateKeyParameters { attributes BIT STRING, [0] IMPLICIT KeyAlgorithm }
			seenParams = true
			var attrs asn1.BitString
			tail, err := asn1.Unmarshal(el.Bytes, &attrs)
			if err != nil {
				return nil, fmt.Errorf("header.key: key parameters: %v", err)
			}
			var alg keyAlgorithm
			if _, err := asn1.UnmarshalWithParams(tail, &alg, "tag:0"); err != nil {
				return nil, fmt.Errorf("header.key: key algorithm: %v", err)
			}
			k.algorithm, k.curve = alg.Algorithm, alg.Parameters.Curve
		case el.Class == asn1.ClassContextSpecific && el.Tag == 5: // primaryCertificate
			k.cert = el.Bytes // [5] IMPLICIT OCTET STRING: the certificate's DER
		case el.Class == asn1.ClassContextSpecific && el.Tag == 10: // primaryFP
			k.fingerprint = el.Bytes
		}
	}
	if !seenParams || len(k.fingerprint) == 0 {
		return nil, errors.New("header.key: no primary key parameters or fingerprint")
	}
	return &k, nil
}

// Container reads the CryptoPro key container in dir. cert is the
// certificate (DER or PEM) when it comes separately as a .cer file; nil
// takes the one in header.key.
func Container(dir, pin string, cert []byte) (*Imported, error) {
	name := containerName(dir)
	read := func(file string) ([]byte, error) {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("keyimport: container %s has no %s (is it a CryptoPro key folder?)", name, file)
		}
		return data, err
	}
	header, err := read("header.key")
	if err != nil {
		return nil, err
	}
	masks, err := read("masks.key")
	if err != nil {
		return nil, err
	}
	primary, err := read("primary.key")
	if err != nil {
		return nil, err
	}
	hdr, err := parseHeader(header)
	if err != nil {
		return nil, fmt.Errorf("keyimport: container %s: %w", name, err)
	}
	var m struct{ Mask, Salt, HMAC []byte }
	if _, err := asn1.Unmarshal(masks, &m); err != nil || len(m.Salt) != 12 {
		return nil, fmt.Errorf("keyimport: container %s: masks.key is not a mask and a 12-byte salt", name)
	}
	var p struct{ Key []byte }
	if _, err := asn1.Unmarshal(primary, &p); err != nil {
		return nil, fmt.Errorf("keyimport: container %s: primary.key: %v", name, err)
	}
	switch {
	case hdr.algorithm.Equal(oidDH2012_256), hdr.algorithm.Equal(oidDH2012_512),
		hdr.algorithm.Equal(oidSign2012256), hdr.algorithm.Equal(oidSign2012512):
	default:
		return nil, fmt.Errorf("keyimport: container %s holds a %v key; only GOST R 34.10-2012 keys (CryptoPro CSP 4.0 and later) are read", name, hdr.algorithm)
	}
	curve := gostkey.NamedCurveFromOid(hdr.curve)
	if curve == nil {
		return nil, fmt.Errorf("keyimport: container %s: unknown curve %v", name, hdr.curve)
	}
	size := curve.PointSize()
	if len(p.Key) != size || len(m.Mask) != size {
		return nil, fmt.Errorf("keyimport: container %s: a %d-byte key for a %d-byte curve", name, len(p.Key), size)
	}
	key, err := unmask(curve, p.Key, m.Mask, containerKEK(m.Salt, []byte(pin)))
	if err != nil {
		return nil, fmt.Errorf("keyimport: container %s: %w", name, err)
	}
	pub := gostkey.PublicKeyTo(&key.PublicKey) // x then y, little-endian
	if len(hdr.fingerprint) > len(pub) || !slices.Equal(pub[:len(hdr.fingerprint)], hdr.fingerprint) {
		return nil, fmt.Errorf("keyimport: wrong PIN for container %s: %w", name, ErrWrongPassword)
	}
	certDER := hdr.cert
	if cert != nil {
		if certDER, err = ParseCertificate(cert); err != nil {
			return nil, err
		}
	}
	if certDER == nil {
		return nil, fmt.Errorf("keyimport: container %s holds no certificate; give its .cer file", name)
	}
	imp, err := pair(key, certDER)
	if err != nil {
		return nil, fmt.Errorf("keyimport: container %s: %w", name, err)
	}
	return imp, nil
}

// containerName is the name in name.key, else the folder's.
func containerName(dir string) string {
	name := filepath.Base(dir)
	if data, err := os.ReadFile(filepath.Join(dir, "name.key")); err == nil {
		var n struct{ Name string }
		if _, err := asn1.Unmarshal(data, &n); err == nil && n.Name != "" {
			name = n.Name
		}
	}
	return fmt.Sprintf("%q", strings.TrimSpace(name))
}

// unmask decrypts primary.key and divides by the mask.
func unmask(curve *gostkey.Curve, encrypted, mask, kek []byte) (*gostkey.PrivateKey, error) {
	block, err := gost.NewCipher(kek, gost.SboxTC26gost28147paramZ)
	if err != nil {
		return nil, err
	}
	masked := make([]byte, len(encrypted))
	for i := 0; i+8 <= len(encrypted); i += 8 {
		block.Decrypt(masked[i:i+8], encrypted[i:i+8])
	}
	q := curve.Params().N
	k := new(big.Int).SetBytes(reversed(masked))
	inv := new(big.Int).ModInverse(new(big.Int).SetBytes(reversed(mask)), q)
	if inv == nil {
		return nil, errors.New("the mask has no inverse")
	}
	k.Mul(k, inv).Mod(k, q)
	if k.Sign() == 0 {
		return nil, errors.New("the key is zero")
	}
	raw := make([]byte, curve.PointSize())
	k.FillBytes(raw)
	return gostkey.NewPrivateKey(curve, reversed(raw)) // takes little-endian
}

func reversed(b []byte) []byte {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out
}

// containerKEK is CryptoPro's key derivation from the PIN and the salt for
// 2012 containers (GOST R 34.11-2012 256). Each PIN byte is followed by
// three zero bytes; without a PIN the loop runs twice instead of 2000
// times. The working buffers are one hash block (64 bytes).
func containerKEK(salt, pin []byte) []byte {
	pin4 := make([]byte, 4*len(pin))
	for i, c := range pin {
		pin4[4*i] = c
	}
	h := streebog.New()
	sum := func(parts ...[]byte) []byte {
		h.Reset()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	first := sum(salt, pin4)
	current := make([]byte, 64)
	copy(current, "DENEFH028.760246785.IUEFHWUIO.EF")
	m36, m5c := make([]byte, 64), make([]byte, 64)
	xor := func() {
		for i := range current {
			m36[i], m5c[i] = current[i]^0x36, current[i]^0x5c
		}
	}
	rounds := 2
	if len(pin) > 0 {
		rounds = 2000
	}
	for range rounds {
		xor()
		clear(current)
		copy(current, sum(m36, first, m5c, first))
	}
	xor()
	return sum(sum(m36[:32], salt, m5c[:32], pin4))
}
