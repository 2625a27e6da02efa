package xades

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
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
// other signers use either, and returns the certificate. It does not judge
// the certificate's trust or validity period.
func Verify(el *etree.Element) (*x509.Certificate, error) {
	sig := firstChildElement(el)
	if sig == nil || sig.Tag != "Signature" || sig.NamespaceURI() != NsDS {
		return nil, invalid("the element's first child is not a ds:Signature")
	}
	si := child(sig, NsDS, "SignedInfo")
	if si == nil {
		return nil, invalid("no SignedInfo")
	}
	canon := algorithm(child(si, NsDS, "CanonicalizationMethod"))
	if canon != C14N10 && canon != ExcC14N {
		return nil, invalid("SignedInfo canonicalization %q is not supported", canon)
	}
	if m := algorithm(child(si, NsDS, "SignatureMethod")); m != SignatureMethod {
		return nil, invalid("signature method %q is not GOST R 34.10-2012 256", m)
	}
	der, err := decode(child(child(child(sig, NsDS, "KeyInfo"), NsDS, "X509Data"), NsDS, "X509Certificate"))
	if err != nil {
		return nil, invalid("KeyInfo certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, invalid("KeyInfo certificate: %v", err)
	}
	pub, err := gostKey(cert)
	if err != nil {
		return nil, invalid("%v", err)
	}
	props, err := checkReferences(el, sig, si)
	if err != nil {
		return nil, err
	}
	if err := checkSigningCertificate(props, cert); err != nil {
		return nil, err
	}
	var c14n []byte
	if canon == C14N10 {
		c14n, err = inclusiveC14N(si)
	} else {
		c14n, err = exclusiveC14N(si, nil)
	}
	if err != nil {
		return nil, invalid("canonicalize SignedInfo: %v", err)
	}
	value, err := decode(child(sig, NsDS, "SignatureValue"))
	if err != nil || len(value) != 64 {
		return nil, invalid("SignatureValue is not 64 bytes of base64")
	}
	if !verifyGOST(pub, digest(c14n), value) {
		return nil, invalid("SignatureValue does not match SignedInfo")
	}
	return cert, nil
}

// checkReferences checks the two references' digests and returns the
// SignedProperties.
func checkReferences(el, sig, si *etree.Element) (*etree.Element, error) {
	refs := children(si, NsDS, "Reference")
	if len(refs) != 2 {
		return nil, invalid("%d references; XAdES-BES here has 2", len(refs))
	}
	var props *etree.Element
	for _, ref := range refs {
		if algorithm(child(ref, NsDS, "DigestMethod")) != DigestMethod {
			return nil, invalid("a reference's digest method is not GOST R 34.11-2012 256")
		}
		uri := ref.SelectAttrValue("URI", "")
		var sum []byte // the digest of what the reference names
		var err error
		if ref.SelectAttrValue("Type", "") == SignedPropsType {
			if props, err = signedProperties(sig, uri); err != nil {
				return nil, err
			}
			if child(ref, NsDS, "Transforms") != nil {
				return nil, invalid("the SignedProperties reference has transforms")
			}
			// A same-document reference without transforms yields a node-set
			// (the element, without comments), which becomes octets by
			// Canonical XML 1.0 (XMLDSig 1.1 §4.4.3.2-3; 1.0 §4.3.3.2-3).
			var c14n []byte
			if c14n, err = inclusiveC14N(props); err == nil {
				sum = digest(c14n)
			}
		} else {
			if id := el.SelectAttrValue("Id", ""); id == "" || uri != "#"+id {
				return nil, invalid("reference %q does not name the signed element", uri)
			}
			var algs []string
			for _, t := range children(child(ref, NsDS, "Transforms"), NsDS, "Transform") {
				algs = append(algs, algorithm(t))
			}
			if len(algs) != 2 || algs[0] != Enveloped || algs[1] != ExcC14N {
				return nil, invalid("the data reference's transforms are %v, not enveloped-signature and exclusive C14N", algs)
			}
			h := streebog.New()
			err = writeExclusive(h, el, sig)
			sum = h.Sum(nil)
		}
		if err != nil {
			return nil, invalid("canonicalize %s: %v", uri, err)
		}
		want, err := decode(child(ref, NsDS, "DigestValue"))
		if err != nil || !bytes.Equal(want, sum) {
			return nil, invalid("the digest of %s does not match", uri)
		}
	}
	if props == nil {
		return nil, invalid("no SignedProperties reference")
	}
	return props, nil
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

func checkSigningCertificate(props *etree.Element, cert *x509.Certificate) error {
	c := child(child(child(props, NsXAdES, "SignedSignatureProperties"), NsXAdES, "SigningCertificate"), NsXAdES, "Cert")
	if c == nil {
		return invalid("no SigningCertificate")
	}
	cd := child(c, NsXAdES, "CertDigest")
	if algorithm(child(cd, NsDS, "DigestMethod")) != DigestMethod {
		return invalid("CertDigest's method is not GOST R 34.11-2012 256")
	}
	if d, err := decode(child(cd, NsDS, "DigestValue")); err != nil || !bytes.Equal(d, digest(cert.Raw)) {
		return invalid("SigningCertificate's digest is not the KeyInfo certificate's")
	}
	is := child(c, NsXAdES, "IssuerSerial")
	if serial := child(is, NsDS, "X509SerialNumber"); serial == nil || strings.TrimSpace(serial.Text()) != cert.SerialNumber.String() {
		return invalid("SigningCertificate's serial number is not the certificate's")
	}
	if name := child(is, NsDS, "X509IssuerName"); name == nil || !sameName(name.Text(), cert.Issuer.Names) {
		return invalid("SigningCertificate's issuer is not the certificate's")
	}
	return nil
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

// decode reads base64 content, which may be wrapped over several lines.
func decode(el *etree.Element) ([]byte, error) {
	if el == nil {
		return nil, errors.New("missing")
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
}
