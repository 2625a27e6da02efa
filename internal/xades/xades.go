// Package xades signs GIS ZhKKh requests with an enveloped XAdES-BES
// signature, GOST R 34.10-2012 (256 bit) over GOST R 34.11-2012 (Streebog
// 256) digests, in the shape GIS's validator accepts (the profile of the
// signed samples GIS publishes with its schemas): the ds:Signature is the
// first child of the signed element and references it by its Id (not an
// xs:ID); that reference is canonicalized with exclusive
// C14N after the enveloped-signature transform; SignedInfo, and the
// SignedProperties reference (no transforms), with inclusive C14N 1.0 as
// every real GIS sample does.
//
// Byte orders (the tests check each against a published value or OpenSSL's
// GOST engine):
//
//   - DigestValue is the 32 bytes Streebog emits. RFC 6986 §10 prints its
//     examples as numbers, most significant byte first, so its messages and
//     hashes read reversed against the bytes hashed and emitted.
//   - The digest enters GOST R 34.10-2012 as the number whose little-endian
//     bytes it is (GOST R 34.10-2012 §6.1 step 2; RFC 7091 §6.1).
//   - SignatureValue is s || r, 32 bytes each, big-endian: the octet string
//     RFC 4491 §2.2.2 defines for GOST signatures and RFC 9215 keeps for
//     2012 keys, which go-cryptobin and OpenSSL's GOST engine produce. The
//     XMLDSig URIs come from CryptoPro's profile (urn:ietf:params:xml:ns:
//     cpxmlsec, draft-smirnov-xmldsig), which never became an RFC; RFC 4050
//     is ECDSA's. A CryptoPro-made signature from SMEV's test environment
//     (SignedInfo with exclusive C14N, 2021) verified, when this was
//     written, as s || r over these digest bytes and not as r || s.
//   - The certificate's public key is an OCTET STRING of 64 bytes inside the
//     subjectPublicKey BIT STRING: x then y, each little-endian (RFC 4491
//     §2.3.2, RFC 9215). go-cryptobin's x509 writes and reads it.
package xades

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/deatil/go-cryptobin/x509"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/streebog"
)

// Namespace and algorithm URIs.
const (
	NsDS    = "http://www.w3.org/2000/09/xmldsig#"
	NsXAdES = "http://uri.etsi.org/01903/v1.3.2#"

	SignatureMethod = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
	DigestMethod    = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
	C14N10          = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	ExcC14N         = "http://www.w3.org/2001/10/xml-exc-c14n#"
	Enveloped       = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	SignedPropsType = "http://uri.etsi.org/01903#SignedProperties"
)

// digest is Streebog-256. go-cryptobin's implementation runs at 1 MB/s,
// 0.1 s for a package of 250 supplier notifications; internal/streebog is a
// table-driven one at 70 MB/s, tested against it and RFC 6986.
func digest(data []byte) []byte { return streebog.Sum256(data) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// Signer signs request elements.
type Signer struct {
	Key   *Key
	Clock clock.Func // the clock for SigningTime; nil: the system clock
}

// Sign inserts an enveloped XAdES-BES ds:Signature as the first child of el,
// referencing el by its Id attribute. el must stay where it is afterwards:
// inclusive C14N of SignedInfo and SignedProperties takes in every namespace
// the ancestors declare, so moving el or declaring another namespace on the
// envelope breaks the signature. Nothing but the insertion changes.
func (s *Signer) Sign(el *etree.Element) error {
	_, err := s.SignReference(el)
	return err
}

// Reference is the signed element's own reference as Sign hashed it: the
// exclusive canonical form of the element without its signature, and
// that form's digest, which the signature covers.
type Reference struct {
	Canonical []byte
	Digest    []byte
}

// SignReference signs el as Sign does and returns its reference, for
// VerifyWritten.
func (s *Signer) SignReference(el *etree.Element) (*Reference, error) {
	return s.SignContent(el, nil)
}

// SignContent signs el as SignReference does, where the tree holds only
// part of el: content is the exclusive canonical form, in el's namespace
// context, of elements the caller writes after el's children (and after
// the signature) instead of holding them in the tree.
func (s *Signer) SignContent(el *etree.Element, content []byte) (*Reference, error) {
	id := el.SelectAttrValue("Id", "")
	if id == "" {
		return nil, errors.New("xades: the element to sign has no Id")
	}
	if first := firstChildElement(el); first != nil && first.Tag == "Signature" && first.NamespaceURI() == NsDS {
		return nil, errors.New("xades: the element is already signed") // GIS rejects a second signature
	}
	now := s.Clock.Now
	if err := s.Key.CheckValidity(now()); err != nil {
		return nil, err // a long-lived Lambda may cross the certificate's expiry
	}
	issuerName, err := IssuerName(s.Key.cert.RawIssuer)
	if err != nil {
		return nil, err
	}
	// Before the signature is inserted, el is what the enveloped-signature
	// transform will leave of it.
	var canonical bytes.Buffer
	canonical.Grow(len(content) + 4<<10)
	if err := writeExclusive(&canonical, el, nil); err != nil {
		return nil, err
	}
	whole := canonical.Bytes()
	if len(content) > 0 {
		// The canonical form of el ends with its end tag (C14N writes no
		// empty-element tags): content goes just before it.
		whole = slices.Insert(whole, len(whole)-len("</"+el.FullTag()+">"), content...)
	}
	ref := &Reference{Canonical: whole, Digest: digest(whole)}
	refDigest := ref.Digest

	sigID := "xmldsig-" + uuid.NewString()
	cert := s.Key.cert
	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NsDS)
	sig.CreateAttr("Id", sigID)

	si, propsDigest := newSignedInfo(sig, id, sigID, refDigest)
	value := sig.CreateElement("ds:SignatureValue")
	value.CreateAttr("Id", sigID+"-sigvalue")
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(b64(cert.Raw))
	props := qualifyingProperties(sig, sigID, cert, issuerName, now())

	// SignedProperties and SignedInfo are canonicalized in the document,
	// with the namespaces of the envelope in scope, as a verifier sees them.
	el.InsertChildAt(0, sig)
	c14n, err := inclusiveC14N(props)
	if err == nil {
		propsDigest.SetText(b64(digest(c14n)))
		c14n, err = inclusiveC14N(si)
	}
	var sv []byte
	if err == nil {
		sv, err = sign(s.Key.priv, s.Key.base(), digest(c14n), rand.Reader)
	}
	if err != nil {
		el.RemoveChild(sig)
		return nil, fmt.Errorf("xades: sign: %w", err)
	}
	value.SetText(b64(sv))
	return ref, nil
}

// newSignedInfo adds SignedInfo to sig: a reference to the element (id, whose
// digest is refDigest) and one to the signed properties, whose digest
// element it returns for filling in once they are complete.
func newSignedInfo(sig *etree.Element, id, sigID string, refDigest []byte) (si, propsDigest *etree.Element) {
	si = sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", C14N10)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", SignatureMethod)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("Id", sigID+"-ref0")
	ref.CreateAttr("URI", "#"+id)
	transforms := ref.CreateElement("ds:Transforms")
	transforms.CreateElement("ds:Transform").CreateAttr("Algorithm", Enveloped)
	transforms.CreateElement("ds:Transform").CreateAttr("Algorithm", ExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", DigestMethod)
	ref.CreateElement("ds:DigestValue").SetText(b64(refDigest))
	propsRef := si.CreateElement("ds:Reference")
	propsRef.CreateAttr("Type", SignedPropsType)
	propsRef.CreateAttr("URI", "#"+sigID+"-signedprops")
	propsRef.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", DigestMethod)
	return si, propsRef.CreateElement("ds:DigestValue")
}

// qualifyingProperties adds the XAdES-BES QualifyingProperties to sig and
// returns its SignedProperties: the signing time and the certificate's
// digest and issuer/serial.
func qualifyingProperties(sig *etree.Element, sigID string, cert *x509.Certificate, issuerName string, at time.Time) *etree.Element {
	qp := sig.CreateElement("ds:Object").CreateElement("xades:QualifyingProperties")
	qp.CreateAttr("xmlns:xades", NsXAdES)
	qp.CreateAttr("Target", "#"+sigID)
	props := qp.CreateElement("xades:SignedProperties")
	props.CreateAttr("Id", sigID+"-signedprops")
	ssp := props.CreateElement("xades:SignedSignatureProperties")
	ssp.CreateElement("xades:SigningTime").SetText(calendar.Timestamp(at))
	certRef := ssp.CreateElement("xades:SigningCertificate").CreateElement("xades:Cert")
	certDigest := certRef.CreateElement("xades:CertDigest")
	certDigest.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", DigestMethod)
	certDigest.CreateElement("ds:DigestValue").SetText(b64(digest(cert.Raw)))
	issuerSerial := certRef.CreateElement("xades:IssuerSerial")
	issuerSerial.CreateElement("ds:X509IssuerName").SetText(issuerName)
	issuerSerial.CreateElement("ds:X509SerialNumber").SetText(cert.SerialNumber.String())
	return props
}

func firstChildElement(el *etree.Element) *etree.Element {
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok {
			return c
		}
	}
	return nil
}
