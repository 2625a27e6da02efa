// Package xades signs GIS ZhKKh requests with an enveloped XAdES-BES
// signature, GOST R 34.10-2012 (256 bit) over GOST R 34.11-2012 (Streebog
// 256) digests, in the shape GIS's validator accepts (see
// ../shared/gis-facts.md §7): the ds:Signature is the first child of the
// signed element and references it by its Id (not an xs:ID); the reference
// is canonicalized with exclusive C14N after the enveloped-signature
// transform; SignedInfo and SignedProperties with inclusive C14N 1.0, as
// every real GIS sample does.
//
// Byte orders, checked against the standards in the tests:
//   - DigestValue is the Streebog output as the hash function emits it: the
//     little-endian form of the number RFC 6986 prints (its test messages
//     and hashes are printed as big numbers, i.e. byte-reversed).
//   - SignatureValue is s || r, each 32 bytes big-endian: the
//     representation RFC 4491 §2.2.2 gives for GOST signatures, which the
//     XMLDSig GOST profiles (RFC 4050 for 2001 keys, and the 2012 profile)
//     keep. The digest enters the algorithm as the number whose
//     little-endian bytes it is (GOST R 34.10-2012 §6.1, RFC 7091 §6.1).
package xades

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gispayments/gis-payments/internal/civil"
	"github.com/gispayments/gis-payments/internal/streebog"
	"github.com/gispayments/gis-payments/internal/xmlns"
)

// Algorithm and namespace URIs.
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

// Signer signs request elements.
type Signer struct {
	Key *Key
	Now func() time.Time // SigningTime; nil: time.Now
}

func digest(data []byte) []byte { return streebog.Sum256(data) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// excC14N canonicalizes el with exclusive C14N as a detached subtree: the
// namespaces it inherits are declared on a copy, and only those it uses
// survive the canonicalization. skip, if set, is left out (the enveloped
// signature).
func excC14N(el, skip *etree.Element) ([]byte, error) {
	detached := xmlns.Detached(el)
	if skip != nil {
		for i, c := range el.ChildElements() {
			if c == skip {
				detached.RemoveChild(detached.ChildElements()[i])
			}
		}
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(detached)
}

// incC14N canonicalizes el with inclusive C14N 1.0 in its document: every
// namespace in scope is rendered.
func incC14N(el *etree.Element) ([]byte, error) {
	return dsig.MakeC14N10RecCanonicalizer().Canonicalize(el)
}

// Sign inserts the signature as el's first child.
func (s *Signer) Sign(el *etree.Element) error {
	id := el.SelectAttrValue("Id", "")
	if id == "" {
		return errors.New("xades: the element to sign has no Id")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	refDigest := digest(excC14NFast(el, nil))
	sigID := "xmldsig-" + uuid.NewString()
	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NsDS)
	sig.CreateAttr("Id", sigID)
	el.InsertChildAt(0, sig)

	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", C14N10)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", SignatureMethod)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("Id", sigID+"-ref0")
	ref.CreateAttr("URI", "#"+id)
	tr := ref.CreateElement("ds:Transforms")
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", Enveloped)
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", ExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", DigestMethod)
	ref.CreateElement("ds:DigestValue").SetText(b64(refDigest))

	propsRef := si.CreateElement("ds:Reference")
	propsRef.CreateAttr("Type", SignedPropsType)
	propsRef.CreateAttr("URI", "#"+sigID+"-signedprops")
	propsRef.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", DigestMethod)
	propsDigest := propsRef.CreateElement("ds:DigestValue")

	sv := sig.CreateElement("ds:SignatureValue")
	sv.CreateAttr("Id", sigID+"-sigvalue")
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(b64(s.Key.cert.Raw))

	qp := sig.CreateElement("ds:Object").CreateElement("xades:QualifyingProperties")
	qp.CreateAttr("xmlns:xades", NsXAdES)
	qp.CreateAttr("Target", "#"+sigID)
	sp := qp.CreateElement("xades:SignedProperties")
	sp.CreateAttr("Id", sigID+"-signedprops")
	ssp := sp.CreateElement("xades:SignedSignatureProperties")
	ssp.CreateElement("xades:SigningTime").SetText(now().In(civil.Moscow).Format("2006-01-02T15:04:05.000-07:00"))
	cert := ssp.CreateElement("xades:SigningCertificate").CreateElement("xades:Cert")
	cd := cert.CreateElement("xades:CertDigest")
	cd.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", DigestMethod)
	cd.CreateElement("ds:DigestValue").SetText(b64(digest(s.Key.cert.Raw)))
	is := cert.CreateElement("xades:IssuerSerial")
	is.CreateElement("ds:X509IssuerName").SetText(s.Key.cert.Issuer.String())
	is.CreateElement("ds:X509SerialNumber").SetText(s.Key.cert.SerialNumber.String())

	propsC14N, err := incC14N(sp)
	if err != nil {
		return fmt.Errorf("xades: canonicalize SignedProperties: %w", err)
	}
	propsDigest.SetText(b64(digest(propsC14N)))
	siC14N, err := incC14N(si)
	if err != nil {
		return fmt.Errorf("xades: canonicalize SignedInfo: %w", err)
	}
	value, err := sign(s.Key.priv, digest(siC14N), rand.Reader)
	if err != nil {
		return fmt.Errorf("xades: sign: %w", err)
	}
	sv.SetText(b64(value))
	return nil
}
