package xades

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"
)

// ErrInvalid is wrapped by every verification failure.
var ErrInvalid = errors.New("xades: invalid signature")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
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

func decode(el *etree.Element) ([]byte, error) {
	if el == nil {
		return nil, errors.New("missing")
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
}

// Verify checks the signature that is el's first child: both references'
// digests (el without the signature; the SignedProperties), the
// SignatureValue with the certificate from KeyInfo, and that the
// SigningCertificate names that certificate. It returns the certificate.
func Verify(el *etree.Element) (*x509.Certificate, error) {
	kids := el.ChildElements()
	if len(kids) == 0 || kids[0].Tag != "Signature" || kids[0].NamespaceURI() != NsDS {
		return nil, invalid("the element's first child is not a ds:Signature")
	}
	sig := kids[0]
	si := child(sig, NsDS, "SignedInfo")
	if si == nil {
		return nil, invalid("no SignedInfo")
	}
	canon := algorithm(child(si, NsDS, "CanonicalizationMethod"))
	if canon != C14N10 && canon != ExcC14N {
		return nil, invalid("canonicalization %q is not supported", canon)
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
	pub, ok := cert.PublicKey.(*gost.PublicKey)
	if !ok {
		return nil, invalid("the certificate's key is not a GOST key")
	}
	props, err := checkReferences(el, sig, si)
	if err != nil {
		return nil, err
	}
	if err := checkSigningCertificate(props, cert); err != nil {
		return nil, err
	}
	var siC14N []byte
	if canon == C14N10 {
		siC14N, err = incC14N(si)
	} else {
		siC14N, err = excC14N(si, nil)
	}
	if err != nil {
		return nil, invalid("canonicalize SignedInfo: %v", err)
	}
	value, err := decode(child(sig, NsDS, "SignatureValue"))
	if err != nil || len(value) != 64 {
		return nil, invalid("SignatureValue is not 64 bytes of base64")
	}
	if ok, err := gost.Verify(pub, digest(siC14N), value); err != nil || !ok {
		return nil, invalid("SignatureValue does not match SignedInfo")
	}
	return cert, nil
}

// checkReferences checks the two references and returns the SignedProperties.
func checkReferences(el, sig, si *etree.Element) (*etree.Element, error) {
	refs := children(si, NsDS, "Reference")
	if len(refs) != 2 {
		return nil, invalid("%d references, XAdES-BES here has 2", len(refs))
	}
	var props *etree.Element
	for _, ref := range refs {
		if algorithm(child(ref, NsDS, "DigestMethod")) != DigestMethod {
			return nil, invalid("a reference's digest is not GOST R 34.11-2012 256")
		}
		uri := ref.SelectAttrValue("URI", "")
		var data []byte
		var err error
		switch {
		case ref.SelectAttrValue("Type", "") == SignedPropsType:
			props = byID(sig, strings.TrimPrefix(uri, "#"))
			if props == nil || props.Tag != "SignedProperties" || props.NamespaceURI() != NsXAdES {
				return nil, invalid("SignedProperties %s not found in the signature", uri)
			}
			if child(ref, NsDS, "Transforms") != nil {
				return nil, invalid("the SignedProperties reference has transforms")
			}
			data, err = incC14N(props)
		case uri == "#"+el.SelectAttrValue("Id", "\x00"):
			var algs []string
			for _, t := range children(child(ref, NsDS, "Transforms"), NsDS, "Transform") {
				algs = append(algs, algorithm(t))
			}
			if strings.Join(algs, " ") != Enveloped+" "+ExcC14N {
				return nil, invalid("the data reference's transforms are %v", algs)
			}
			data, err = excC14N(el, sig)
		default:
			return nil, invalid("reference %q names neither the signed element nor SignedProperties", uri)
		}
		if err != nil {
			return nil, invalid("canonicalize %s: %v", uri, err)
		}
		want, err := decode(child(ref, NsDS, "DigestValue"))
		if err != nil || !bytes.Equal(want, digest(data)) {
			return nil, invalid("digest of %s does not match", uri)
		}
	}
	if props == nil {
		return nil, invalid("no SignedProperties reference")
	}
	return props, nil
}

func byID(root *etree.Element, id string) *etree.Element {
	if root.SelectAttrValue("Id", "") == id {
		return root
	}
	for _, c := range root.ChildElements() {
		if found := byID(c, id); found != nil {
			return found
		}
	}
	return nil
}

func checkSigningCertificate(props *etree.Element, cert *x509.Certificate) error {
	c := child(child(child(props, NsXAdES, "SignedSignatureProperties"), NsXAdES, "SigningCertificate"), NsXAdES, "Cert")
	if c == nil {
		return invalid("no SigningCertificate")
	}
	cd := child(c, NsXAdES, "CertDigest")
	if algorithm(child(cd, NsDS, "DigestMethod")) != DigestMethod {
		return invalid("CertDigest is not GOST R 34.11-2012 256")
	}
	if d, err := decode(child(cd, NsDS, "DigestValue")); err != nil || !bytes.Equal(d, digest(cert.Raw)) {
		return invalid("SigningCertificate's digest is not the KeyInfo certificate's")
	}
	is := child(c, NsXAdES, "IssuerSerial")
	if serial := child(is, NsDS, "X509SerialNumber"); serial == nil || strings.TrimSpace(serial.Text()) != cert.SerialNumber.String() {
		return invalid("SigningCertificate's serial number is not the certificate's")
	}
	return nil
}
