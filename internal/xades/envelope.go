package xades

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/deatil/go-cryptobin/x509"

	"github.com/gispayments/gis-payments/internal/streebog"
)

const nsSOAP = "http://schemas.xmlsoap.org/soap/envelope/"

// VerifyEnvelope verifies the signature of the request in a SOAP envelope
// as written, the bytes a receiver parses: the request is the Body's one
// element, signed as Verify checks (it makes the same checks, through
// signatureParts). It reads the bytes once, without a tree (xmlScanner),
// feeding the canonical forms of the request without its signature, of
// SignedProperties and of SignedInfo straight into their digests. What the
// scanner does not read exactly as an XML parser would it refuses, and so
// does this with what a signer has no reason to write and a receiver might
// read otherwise: inside the ds:Signature comments, CDATA sections,
// repeated elements (a tree reader takes the first of two) and elements in
// an algorithm (parameters such as a prefix list); the Id of the request
// or of the SignedProperties on another element too. Every refusal wraps
// ErrInvalid.
func VerifyEnvelope(data []byte) (*x509.Certificate, error) {
	return verifyEnvelope(data, nil)
}

// VerifyWritten is VerifyEnvelope for the envelope a signer has just
// written, given the reference SignReference returned: instead of hashing
// the request's canonical form again it compares it with the one that was
// hashed, which proves the same digest. A request written other than it
// was signed is refused as when its digest does not match.
func VerifyWritten(data []byte, ref *Reference) (*x509.Certificate, error) {
	if ref == nil {
		return nil, errors.New("xades: no reference to verify the written request against")
	}
	return verifyEnvelope(data, ref)
}

func verifyEnvelope(data []byte, ref *Reference) (*x509.Certificate, error) {
	s, err := newXMLScanner(data)
	if err == nil {
		v := envelopeReader{s: s, ids: map[string]int{}, ref: ref}
		if err = v.read(); err == nil {
			return v.parts().verify()
		}
	}
	if errors.Is(err, errSyntax) {
		err = fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil, err
}

// unsupported refuses what a signer has no reason to write in its signature.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrInvalid, errUnsupported, fmt.Sprintf(format, args...))
}

// envelopeReader follows the scanner through the envelope: depth 1 the
// Envelope, 2 its Body, 3 the request, 4 the signature and the data.
type envelopeReader struct {
	s     *xmlScanner
	depth int

	inBody, bodySeen bool
	requestSeen      bool
	inRequest        bool
	elementID        string
	data             *streamC14N // the request without its signature, into dataSum
	dataSum          dataSink
	ref              *Reference // what the signer hashed, if known: compared, not hashed
	firstChild       bool       // the request's first element has started
	sig              signatureReader
	sigDepth         int // depth of the ds:Signature while inside it, else 0
	requestDone      bool
	ids              map[string]int // how many elements have each Id
}

func (v *envelopeReader) read() error {
	for {
		tok, err := v.s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			if !v.requestDone {
				return invalid("no request element in the SOAP body")
			}
			return v.uniqueIDs()
		case tokStart:
			v.depth++
			err = v.start()
		case tokEnd:
			err = v.end()
			v.depth--
		case tokText:
			err = v.text()
		case tokComment:
			if v.sigDepth > 0 {
				err = unsupported("a comment inside the ds:Signature")
			}
		}
		if err != nil {
			return err
		}
	}
}

func (v *envelopeReader) start() error {
	s := v.s
	if id, ok := attrLookup(s, "Id"); ok {
		v.ids[id]++
	}
	switch {
	case v.depth == 1:
		if s.uri() != nsSOAP || string(s.local()) != "Envelope" {
			return invalid("the root element is not a SOAP Envelope")
		}
	case v.depth == 2 && s.uri() == nsSOAP && string(s.local()) == "Body":
		if v.bodySeen {
			return invalid("two SOAP Bodies")
		}
		v.inBody, v.bodySeen = true, true
	case v.depth == 3 && v.inBody:
		if v.requestSeen {
			return invalid("more than one element in the SOAP body")
		}
		v.requestSeen, v.inRequest = true, true
		v.elementID = attrValue(s, "Id")
		v.dataSum = hashSink{streebog.New()}
		if v.ref != nil {
			v.dataSum = &referenceSink{ref: v.ref}
		}
		v.data = newStreamC14N(v.dataSum, true, 4096)
		v.data.start(s)
	case v.depth == 4 && v.inRequest && !v.firstChild:
		v.firstChild = true
		if s.uri() != NsDS || string(s.local()) != "Signature" {
			return invalid("the element's first child is not a ds:Signature")
		}
		v.sigDepth = v.depth
		return v.sig.start(s)
	case v.sigDepth > 0:
		return v.sig.start(s)
	case v.inRequest:
		v.data.start(s)
	}
	return nil
}

func (v *envelopeReader) end() error {
	switch {
	case v.sigDepth > 0:
		if v.depth == v.sigDepth {
			v.sigDepth = 0
		}
		return v.sig.end(v.s)
	case v.inRequest:
		if v.depth == 3 {
			v.inRequest, v.requestDone = false, true
			if !v.firstChild {
				return invalid("the element's first child is not a ds:Signature")
			}
		}
		return v.data.end(v.s)
	case v.depth == 2:
		v.inBody = false
	}
	return nil
}

func (v *envelopeReader) text() error {
	switch {
	case v.sigDepth > 0:
		return v.sig.text(v.s)
	case v.inRequest:
		return v.data.text(v.s.text)
	}
	return nil
}

// uniqueIDs refuses a document where the Id a reference names is on more
// than one element: a receiver resolving it might take the other one.
func (v *envelopeReader) uniqueIDs() error {
	for _, id := range []string{v.elementID, v.sig.propsID} {
		if v.ids[id] > 1 {
			return unsupported("Id %q is on %d elements", id, v.ids[id])
		}
	}
	return nil
}

// parts is what the envelope said, for signatureParts.verify.
func (v *envelopeReader) parts() *signatureParts {
	g := &v.sig
	dataSum, dataErr := v.dataSum.sum()
	return &signatureParts{
		elementID:   v.elementID,
		signedInfo:  g.signedInfo[0] != nil,
		canon:       g.canon,
		method:      g.method,
		certificate: g.certificate,
		refs:        g.refs,
		value:       g.value,
		data:        func() ([]byte, error) { return dataSum, dataErr },
		properties: func(uri string) ([]byte, *certReference, error) {
			if g.propsSum == nil || "#"+g.propsID != uri {
				return nil, nil, invalid("SignedProperties %q not found in the signature", uri)
			}
			if !g.hasID || g.target != "#"+g.id {
				return nil, nil, invalid("QualifyingProperties target %q, not this signature", g.target)
			}
			return g.propsSum, &g.cert, nil
		},
		canonicalSignedInfo: func(canon string) ([]byte, error) {
			if canon == C14N10 {
				return g.signedInfoBytes[0].Bytes(), nil
			}
			return g.signedInfoBytes[1].Bytes(), nil
		},
	}
}

// errRepeated refuses a second element where the signature has one.
var errRepeated = errors.New("repeated")

// signatureReader reads a ds:Signature's parts from its tokens.
type signatureReader struct {
	roles []openRole

	id     string
	hasID  bool
	canon  string
	method string
	refs   []reference
	value  *string

	certificate *string
	target      string
	propsID     string
	cert        certReference

	// SignedInfo canonicalized inclusively and exclusively, both while it
	// streams: which one the signature uses is only known inside it.
	signedInfo      [2]*streamC14N
	signedInfoBytes [2]bytes.Buffer
	props           *streamC14N // SignedProperties (Canonical XML 1.0) into propsHash
	propsHash       hash.Hash
	propsSum        []byte
	seenQualifying  bool
	inSignedInfo    bool
	inProps         bool
	captured        []byte // the text of the value element open now
	canonicalizers  []*streamC14N
}

type openRole struct {
	role role
	seen uint64 // the single-occurrence roles among its children so far
}

// role is what an element inside the ds:Signature is to the verifier.
type role uint8

const (
	roleOther role = iota
	roleSignature
	roleSignedInfo
	roleCanonicalization
	roleSignatureMethod
	roleReference
	roleTransforms
	roleTransform
	roleDigestMethod
	roleDigestValue
	roleSignatureValue
	roleKeyInfo
	roleX509Data
	roleCertificate
	roleObject
	roleQualifying
	roleSignedProperties
	roleSignedSignatureProperties
	roleSigningCertificate
	roleCert
	roleCertDigest
	roleCertDigestMethod
	roleCertDigestValue
	roleIssuerSerial
	roleIssuerName
	roleSerial
)

// roles is where each part of the signature sits; elements not named here
// are roleOther.
var roles = []struct {
	parent    role
	ns, local string
	child     role
}{
	{roleSignature, NsDS, "SignedInfo", roleSignedInfo},
	{roleSignedInfo, NsDS, "CanonicalizationMethod", roleCanonicalization},
	{roleSignedInfo, NsDS, "SignatureMethod", roleSignatureMethod},
	{roleSignedInfo, NsDS, "Reference", roleReference},
	{roleReference, NsDS, "Transforms", roleTransforms},
	{roleTransforms, NsDS, "Transform", roleTransform},
	{roleReference, NsDS, "DigestMethod", roleDigestMethod},
	{roleReference, NsDS, "DigestValue", roleDigestValue},
	{roleSignature, NsDS, "SignatureValue", roleSignatureValue},
	{roleSignature, NsDS, "KeyInfo", roleKeyInfo},
	{roleKeyInfo, NsDS, "X509Data", roleX509Data},
	{roleX509Data, NsDS, "X509Certificate", roleCertificate},
	{roleSignature, NsDS, "Object", roleObject},
	{roleObject, NsXAdES, "QualifyingProperties", roleQualifying},
	{roleQualifying, NsXAdES, "SignedProperties", roleSignedProperties},
	{roleSignedProperties, NsXAdES, "SignedSignatureProperties", roleSignedSignatureProperties},
	{roleSignedSignatureProperties, NsXAdES, "SigningCertificate", roleSigningCertificate},
	{roleSigningCertificate, NsXAdES, "Cert", roleCert},
	{roleCert, NsXAdES, "CertDigest", roleCertDigest},
	{roleCertDigest, NsDS, "DigestMethod", roleCertDigestMethod},
	{roleCertDigest, NsDS, "DigestValue", roleCertDigestValue},
	{roleCert, NsXAdES, "IssuerSerial", roleIssuerSerial},
	{roleIssuerSerial, NsDS, "X509IssuerName", roleIssuerName},
	{roleIssuerSerial, NsDS, "X509SerialNumber", roleSerial},
}

func childRole(parent role, s *xmlScanner) role {
	uri, local := s.uri(), s.local()
	for _, r := range roles {
		if r.parent == parent && r.ns == uri && r.local == string(local) {
			return r.child
		}
	}
	return roleOther
}

// repeatable roles may occur more than once under one parent.
func (r role) repeatable() bool {
	return r == roleOther || r == roleReference || r == roleTransform || r == roleObject
}

// text reports whether the role's content is a value read as text.
func (r role) text() bool {
	switch r {
	case roleDigestValue, roleSignatureValue, roleCertificate, roleCertDigestValue, roleIssuerName, roleSerial:
		return true
	}
	return false
}

// leaf reports whether the role's element may not have elements in it:
// values, and algorithms, whose parameters (an exclusive C14N prefix list)
// would change what they compute.
func (r role) leaf() bool {
	switch r {
	case roleCanonicalization, roleSignatureMethod, roleTransform, roleDigestMethod, roleCertDigestMethod:
		return true
	}
	return r.text()
}

func (g *signatureReader) start(s *xmlScanner) error {
	r := roleSignature
	if len(g.roles) > 0 {
		parent := &g.roles[len(g.roles)-1]
		if parent.role.leaf() {
			return unsupported("element %s inside a value or an algorithm of the ds:Signature", s.raw())
		}
		r = childRole(parent.role, s)
		if !r.repeatable() {
			if parent.seen&(1<<r) != 0 {
				return unsupported("%s twice in the ds:Signature", s.raw())
			}
			parent.seen |= 1 << r
		}
	}
	g.roles = append(g.roles, openRole{role: r})
	if err := g.read(r, s); err != nil {
		return err
	}
	for _, c := range g.active() {
		c.start(s)
	}
	return nil
}

// read takes what the verifier needs from the start tag of an element of
// role r.
func (g *signatureReader) read(r role, s *xmlScanner) error {
	switch r {
	case roleSignature:
		g.id, g.hasID = attrLookup(s, "Id")
	case roleSignedInfo:
		g.inSignedInfo = true
		for i := range g.signedInfo {
			g.signedInfoBytes[i].Grow(2048) // a signer's SignedInfo, written at once
			g.signedInfo[i] = newStreamC14N(&g.signedInfoBytes[i], i == 1, 2048)
		}
	case roleCanonicalization:
		g.canon = attrValue(s, "Algorithm")
	case roleSignatureMethod:
		g.method = attrValue(s, "Algorithm")
	case roleReference:
		g.refs = append(g.refs, reference{uri: attrValue(s, "URI"), typ: attrValue(s, "Type")})
	case roleTransforms:
		g.refs[len(g.refs)-1].hasTransforms = true
	case roleTransform:
		ref := &g.refs[len(g.refs)-1]
		ref.transforms = append(ref.transforms, attrValue(s, "Algorithm"))
	case roleDigestMethod:
		g.refs[len(g.refs)-1].digestMethod = attrValue(s, "Algorithm")
	case roleQualifying:
		if g.seenQualifying {
			return unsupported("two QualifyingProperties in the ds:Signature")
		}
		g.seenQualifying = true
		g.target = attrValue(s, "Target")
	case roleSignedProperties:
		g.propsID = attrValue(s, "Id")
		g.inProps = true
		g.propsHash = streebog.New()
		g.props = newStreamC14N(g.propsHash, false, 2048)
	case roleCert:
		g.cert.found = true
	case roleCertDigestMethod:
		g.cert.digestMethod = attrValue(s, "Algorithm")
	}
	g.captured = g.captured[:0]
	return nil
}

// active lists the canonicalizers inside whose element the reader is.
func (g *signatureReader) active() []*streamC14N {
	g.canonicalizers = g.canonicalizers[:0]
	if g.inSignedInfo {
		g.canonicalizers = append(g.canonicalizers, g.signedInfo[:]...)
	}
	if g.inProps {
		g.canonicalizers = append(g.canonicalizers, g.props)
	}
	return g.canonicalizers
}

func (g *signatureReader) text(s *xmlScanner) error {
	if s.cdata {
		return unsupported("a CDATA section inside the ds:Signature")
	}
	if g.roles[len(g.roles)-1].role.text() {
		g.captured = append(g.captured, s.text...)
	}
	for _, c := range g.active() {
		if err := c.text(s.text); err != nil {
			return err
		}
	}
	return nil
}

func (g *signatureReader) end(s *xmlScanner) error {
	for _, c := range g.active() {
		if err := c.end(s); err != nil {
			return err
		}
	}
	r := g.roles[len(g.roles)-1].role
	g.roles = g.roles[:len(g.roles)-1]
	var value string
	if r.text() {
		value = string(g.captured)
	}
	switch r {
	case roleSignedInfo:
		g.inSignedInfo = false
	case roleSignedProperties:
		g.inProps = false
		g.propsSum = g.propsHash.Sum(nil)
	case roleDigestValue:
		g.refs[len(g.refs)-1].digestValue = &value
	case roleSignatureValue:
		g.value = &value
	case roleCertificate:
		g.certificate = &value
	case roleCertDigestValue:
		g.cert.digestValue = &value
	case roleIssuerName:
		g.cert.issuer = &value
	case roleSerial:
		g.cert.serial = &value
	}
	return nil
}

// attrLookup is the value of the element's unprefixed attribute local and
// whether it has one.
func attrLookup(s *xmlScanner, local string) (string, bool) {
	for _, a := range s.attrs {
		if a.name.prefix == nil && string(a.name.local) == local {
			return string(a.value), true
		}
	}
	return "", false
}

func attrValue(s *xmlScanner, local string) string {
	v, _ := attrLookup(s, local)
	return v
}

// dataSink takes the canonical form of the request without its signature
// and gives its digest.
type dataSink interface {
	io.Writer
	sum() ([]byte, error)
}

type hashSink struct{ hash.Hash }

func (h hashSink) sum() ([]byte, error) { return h.Sum(nil), nil }

// referenceSink compares the canonical form with the one the signer
// hashed; the same bytes have the digest the signer computed.
type referenceSink struct {
	ref     *Reference
	n       int // bytes written so far
	differs bool
}

func (r *referenceSink) Write(p []byte) (int, error) {
	if !r.differs {
		rest := r.ref.Canonical[r.n:]
		r.differs = len(p) > len(rest) || !bytes.Equal(p, rest[:len(p)])
	}
	r.n += len(p)
	return len(p), nil
}

func (r *referenceSink) sum() ([]byte, error) {
	if r.differs || r.n != len(r.ref.Canonical) {
		return nil, invalid("the request as written is not the one that was signed: its canonical form differs")
	}
	return r.ref.Digest, nil
}
