package xades

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"

	"github.com/gispayments/gis-payments/internal/streebog"
)

// ErrInvalid is wrapped by every verification failure.
var ErrInvalid = errors.New("xades: invalid signature")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Verify checks the ds:Signature that is el's first child: the digests of
// both references (el without the signature; the SignedProperties), the
// SignatureValue with the certificate in KeyInfo, and that the
// SigningCertificate's digest and IssuerSerial name that certificate. It
// accepts SignedInfo canonicalized with inclusive or exclusive C14N, as
// other signers use either, and returns the certificate, which calls that
// read the same one may share: it is not to be modified. It does not judge
// the certificate's trust or validity period.
func Verify(el *etree.Element) (*x509.Certificate, error) {
	sig := firstChildElement(el)
	if sig == nil || sig.Tag != "Signature" || sig.NamespaceURI() != NsDS {
		return nil, invalid("the element's first child is not a ds:Signature")
	}
	return treeParts(el, sig).verify()
}

// signatureParts is what a verifier reads from a ds:Signature and the
// element it signs, from a tree (Verify) or from bytes (VerifyEnvelope),
// with the reader's canonical forms of what it signs; verify judges them,
// the same way for both readers.
type signatureParts struct {
	elementID     string // the signed element's Id
	signedInfo    bool
	canon, method string
	certificate   *string // KeyInfo's X509Certificate; nil when missing
	refs          []reference
	value         *string // SignatureValue

	// data is the digest of the signed element after the
	// enveloped-signature transform and exclusive C14N.
	data func() ([]byte, error)
	// properties is the digest of the SignedProperties uri names (Canonical
	// XML 1.0) and its SigningCertificate, or an ErrInvalid when there is
	// none or its QualifyingProperties target another signature.
	properties func(uri string) ([]byte, *certReference, error)
	// canonicalSignedInfo is SignedInfo canonicalized by canon.
	canonicalSignedInfo func(canon string) ([]byte, error)
}

// reference is a ds:Reference.
type reference struct {
	uri, typ      string
	hasTransforms bool
	transforms    []string // the Transform algorithms
	digestMethod  string
	digestValue   *string
}

// certReference is a SigningCertificate's Cert (found false without one).
type certReference struct {
	found                       bool
	digestMethod                string
	digestValue, serial, issuer *string
}

func (p *signatureParts) verify() (*x509.Certificate, error) {
	if !p.signedInfo {
		return nil, invalid("no SignedInfo")
	}
	if p.canon != C14N10 && p.canon != ExcC14N {
		return nil, invalid("SignedInfo canonicalization %q is not supported", p.canon)
	}
	if p.method != SignatureMethod {
		return nil, invalid("signature method %q is not GOST R 34.10-2012 256", p.method)
	}
	der, err := decodeText(p.certificate)
	if err != nil {
		return nil, invalid("KeyInfo certificate: %v", err)
	}
	kc, err := readKeyCertificate(der)
	if err != nil {
		return nil, err
	}
	cert := kc.cert
	props, err := p.checkReferences()
	if err != nil {
		return nil, err
	}
	if err := props.check(kc); err != nil {
		return nil, err
	}
	c14n, err := p.canonicalSignedInfo(p.canon)
	if err != nil {
		return nil, invalid("canonicalize SignedInfo: %v", err)
	}
	value, err := decodeText(p.value)
	if err != nil || len(value) != 64 {
		return nil, invalid("SignatureValue is not 64 bytes of base64")
	}
	if !verifyGOST(kc.pub, digest(c14n), value) {
		return nil, invalid("SignatureValue does not match SignedInfo")
	}
	return cert, nil
}

// checkReferences checks the two references' digests and returns the
// SignedProperties' SigningCertificate.
func (p *signatureParts) checkReferences() (*certReference, error) {
	if len(p.refs) != 2 {
		return nil, invalid("%d references; XAdES-BES here has 2", len(p.refs))
	}
	var props *certReference
	for _, ref := range p.refs {
		if ref.digestMethod != DigestMethod {
			return nil, invalid("a reference's digest method is not GOST R 34.11-2012 256")
		}
		var sum []byte // the digest of what the reference names
		var err error
		if ref.typ == SignedPropsType {
			// A same-document reference without transforms yields a node-set
			// (the element, without comments), which becomes octets by
			// Canonical XML 1.0 (XMLDSig 1.1 §4.4.3.2-3; 1.0 §4.3.3.2-3).
			if ref.hasTransforms {
				return nil, invalid("the SignedProperties reference has transforms")
			}
			sum, props, err = p.properties(ref.uri)
		} else {
			if p.elementID == "" || ref.uri != "#"+p.elementID {
				return nil, invalid("reference %q does not name the signed element", ref.uri)
			}
			if algs := ref.transforms; len(algs) != 2 || algs[0] != Enveloped || algs[1] != ExcC14N {
				return nil, invalid("the data reference's transforms are %v, not enveloped-signature and exclusive C14N", algs)
			}
			sum, err = p.data()
		}
		if err != nil {
			return nil, err
		}
		want, err := decodeText(ref.digestValue)
		if err != nil || !bytes.Equal(want, sum) {
			return nil, invalid("the digest of %s does not match", ref.uri)
		}
	}
	if props == nil {
		return nil, invalid("no SignedProperties reference")
	}
	return props, nil
}

// keyCertificate is a KeyInfo certificate read: parsed, its GOST key, its
// digest.
type keyCertificate struct {
	der    []byte
	cert   *x509.Certificate
	pub    *gost.PublicKey
	digest []byte
}

// lastKeyCertificate is the certificate read last: a packer verifies every
// package it signs with its own, and parsing and hashing it again cost a
// tenth of verifying a package. What is kept is never modified.
var lastKeyCertificate atomic.Pointer[keyCertificate]

func readKeyCertificate(der []byte) (*keyCertificate, error) {
	if kc := lastKeyCertificate.Load(); kc != nil && bytes.Equal(kc.der, der) {
		return kc, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, invalid("KeyInfo certificate: %v", err)
	}
	pub, err := gostKey(cert)
	if err != nil {
		return nil, invalid("%v", err)
	}
	kc := &keyCertificate{der: der, cert: cert, pub: pub, digest: digest(cert.Raw)}
	lastKeyCertificate.Store(kc)
	return kc, nil
}

func (c *certReference) check(kc *keyCertificate) error {
	cert := kc.cert
	if !c.found {
		return invalid("no SigningCertificate")
	}
	if c.digestMethod != DigestMethod {
		return invalid("CertDigest's method is not GOST R 34.11-2012 256")
	}
	if d, err := decodeText(c.digestValue); err != nil || !bytes.Equal(d, kc.digest) {
		return invalid("SigningCertificate's digest is not the KeyInfo certificate's")
	}
	if c.serial == nil || strings.TrimSpace(*c.serial) != cert.SerialNumber.String() {
		return invalid("SigningCertificate's serial number is not the certificate's")
	}
	if c.issuer == nil || !sameName(*c.issuer, cert.Issuer.Names) {
		return invalid("SigningCertificate's issuer is not the certificate's")
	}
	return nil
}

// treeParts reads a signature from a tree.
func treeParts(el, sig *etree.Element) *signatureParts {
	si := child(sig, NsDS, "SignedInfo")
	p := &signatureParts{
		elementID:   el.SelectAttrValue("Id", ""),
		signedInfo:  si != nil,
		canon:       algorithm(child(si, NsDS, "CanonicalizationMethod")),
		method:      algorithm(child(si, NsDS, "SignatureMethod")),
		certificate: textOf(child(child(child(sig, NsDS, "KeyInfo"), NsDS, "X509Data"), NsDS, "X509Certificate")),
		value:       textOf(child(sig, NsDS, "SignatureValue")),
	}
	for _, ref := range children(si, NsDS, "Reference") {
		r := reference{uri: ref.SelectAttrValue("URI", ""), typ: ref.SelectAttrValue("Type", ""),
			digestMethod: algorithm(child(ref, NsDS, "DigestMethod")), digestValue: textOf(child(ref, NsDS, "DigestValue"))}
		if tr := child(ref, NsDS, "Transforms"); tr != nil {
			r.hasTransforms = true
			for _, t := range children(tr, NsDS, "Transform") {
				r.transforms = append(r.transforms, algorithm(t))
			}
		}
		p.refs = append(p.refs, r)
	}
	p.data = func() ([]byte, error) {
		h := streebog.New()
		if err := writeExclusive(h, el, sig); err != nil {
			return nil, invalid("canonicalize #%s: %v", p.elementID, err)
		}
		return h.Sum(nil), nil
	}
	p.properties = func(uri string) ([]byte, *certReference, error) {
		props, err := signedProperties(sig, uri)
		if err != nil {
			return nil, nil, err
		}
		c14n, err := inclusiveC14N(props)
		if err != nil {
			return nil, nil, invalid("canonicalize %s: %v", uri, err)
		}
		return digest(c14n), treeCertReference(props), nil
	}
	p.canonicalSignedInfo = func(canon string) ([]byte, error) {
		if canon == C14N10 {
			return inclusiveC14N(si)
		}
		return exclusiveC14N(si, nil)
	}
	return p
}

// signedProperties finds the xades:SignedProperties uri names in the
// signature's QualifyingProperties, which must target the signature.
func signedProperties(sig *etree.Element, uri string) (*etree.Element, error) {
	for _, obj := range children(sig, NsDS, "Object") {
		for _, qp := range children(obj, NsXAdES, "QualifyingProperties") {
			props := child(qp, NsXAdES, "SignedProperties")
			if props == nil || "#"+props.SelectAttrValue("Id", "") != uri {
				continue
			}
			if target := qp.SelectAttrValue("Target", ""); target != "#"+sig.SelectAttrValue("Id", "\x00") {
				return nil, invalid("QualifyingProperties target %q, not this signature", target)
			}
			return props, nil
		}
	}
	return nil, invalid("SignedProperties %q not found in the signature", uri)
}

func treeCertReference(props *etree.Element) *certReference {
	c := child(child(child(props, NsXAdES, "SignedSignatureProperties"), NsXAdES, "SigningCertificate"), NsXAdES, "Cert")
	if c == nil {
		return &certReference{}
	}
	cd, is := child(c, NsXAdES, "CertDigest"), child(c, NsXAdES, "IssuerSerial")
	return &certReference{found: true, digestMethod: algorithm(child(cd, NsDS, "DigestMethod")),
		digestValue: textOf(child(cd, NsDS, "DigestValue")),
		serial:      textOf(child(is, NsDS, "X509SerialNumber")), issuer: textOf(child(is, NsDS, "X509IssuerName"))}
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, ns, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func algorithm(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return el.SelectAttrValue("Algorithm", "")
}

// textOf is el's text, nil without el.
func textOf(el *etree.Element) *string {
	if el == nil {
		return nil
	}
	t := el.Text()
	return &t
}

func decode(el *etree.Element) ([]byte, error) { return decodeText(textOf(el)) }

// decodeText reads base64 content, which may be wrapped over several lines.
func decodeText(s *string) ([]byte, error) {
	if s == nil {
		return nil, errors.New("missing")
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*s), ""))
}
