package xades

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/gismessage"
)

// treeVerify is the oracle VerifyEnvelope is held against: the bytes
// parsed into a tree (encoding/xml through etree), the Body's one element
// found by namespace, and Verify on it, as the packer checked what it
// archived before VerifyEnvelope (which found the Body by its prefix).
func treeVerify(data []byte) error {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return err
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != nsSOAP {
		return errors.New("no SOAP envelope")
	}
	var body *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Body" && c.NamespaceURI() == nsSOAP {
			body = c
			break
		}
	}
	if body == nil || len(body.ChildElements()) != 1 {
		return errors.New("no request element in the SOAP body")
	}
	_, err := Verify(body.ChildElements()[0])
	return err
}

// poison is what TestPoisonedTextSurvivesSigning puts into free text: line
// breaks of every kind, controls, non-characters, a byte that is not UTF-8,
// and what XML escapes.
const poison = "до\r\nпосле\rи\nещё\tи\vещё\x1b\x00\uffff\ufffe\xff & <b> \"q\" 'a' ]]> конец"

// signedPackage is a written package and the reference its signer hashed.
type signedPackage struct {
	data []byte
	ref  *Reference
}

// signedPackages are packages of every operation the packer builds,
// plain and with poisoned text, written as the packer writes them
// (gismessage.Compose, SignContent), and testEnvelope, whose request has
// line ends in its content, signed as a tree.
func signedPackages(t testing.TB) map[string]signedPackage {
	t.Helper()
	s := &Signer{Key: testKey(t)}
	out := map[string]signedPackage{}
	for name, m := range composedMessages(t) {
		out[name] = signMessage(t, s, m)
	}
	doc := parse(t, testEnvelope)
	out["testEnvelope"] = signTree(t, s, doc, request(doc))
	return out
}

// signMessage signs m as the packer does and writes it.
func signMessage(t testing.TB, s *Signer, m *gismessage.Message) signedPackage {
	t.Helper()
	ref, err := s.SignContent(m.Request, m.CanonicalItems())
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return signedPackage{data, ref}
}

// signTree signs req in doc as a tree and writes doc.
func signTree(t testing.TB, s *Signer, doc *etree.Document, req *etree.Element) signedPackage {
	t.Helper()
	ref, err := s.SignReference(req)
	if err != nil {
		t.Fatal(err)
	}
	data, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return signedPackage{data, ref}
}

// composedMessages are unsigned messages of every operation the packer
// builds, plain and with poisoned free text; each call composes them anew.
func composedMessages(t testing.TB) map[string]*gismessage.Message {
	t.Helper()
	hdr := func() gismessage.Header {
		return gismessage.Header{Date: time.Now(), MessageGUID: uuid.NewString(), OrgPPAGUID: uuid.NewString()}
	}
	out := map[string]*gismessage.Message{}
	add := func(name string, m *gismessage.Message, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	for _, op := range []gismessage.Operation{gismessage.Notifications, gismessage.SupplierNotifications} {
		r, notes := gisItems(op, 3, "")
		m, err := gismessage.Compose(op, hdr(), r, notes)
		add(string(op), m, err)
	}
	r, notes := gisItems(gismessage.Notifications, 2, poison)
	m, err := gismessage.Compose(gismessage.Notifications, hdr(), r, notes)
	add("poisoned "+string(gismessage.Notifications), m, err)
	for _, comment := range []string{"", "возврат", poison} {
		items := []gismessage.Cancellation{
			{TransportGUID: uuid.NewString(), OrderID: "00000000000000000000000000000001", Date: calendar.FromYMD(2026, 11, 22), Comment: comment},
			{TransportGUID: uuid.NewString(), OrderID: "12345", Date: calendar.FromYMD(2026, 11, 23), Comment: "ошибка"},
		}
		m, err := gismessage.ComposeCancellations(hdr(), items)
		add(fmt.Sprintf("%s comment %q", gismessage.Cancellations, comment), m, err)
	}
	return out
}

// The items a Message writes as bytes are signed as the tree holding them
// would be: the same canonical form, so the same digest; and the bytes it
// writes verify as written.
func TestSignContentAgreesWithTheTree(t *testing.T) {
	s := &Signer{Key: testKey(t)}
	for name, m := range composedMessages(t) {
		t.Run(name, func(t *testing.T) {
			p := signMessage(t, s, m)
			if _, err := VerifyWritten(p.data, p.ref); err != nil {
				t.Fatalf("as written: %v", err)
			}
			m.Request.RemoveChildAt(0) // the signature
			_, req, err := m.Tree()
			if err != nil {
				t.Fatal(err)
			}
			fromTree, err := s.SignReference(req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.ref.Canonical, fromTree.Canonical) {
				t.Errorf("canonical forms differ:\n%s\n%s", p.ref.Canonical, fromTree.Canonical)
			}
		})
	}
}

// outcome is how the two verifiers judged a document.
type outcome int

const (
	bothAccept outcome = iota
	bothRefuse
	unsupportedByBytes // the tree verifier accepts; VerifyEnvelope refuses what it does not implement
	malformedForBytes  // the tree verifier accepts; VerifyEnvelope refuses it as not well-formed
	treeMisreads       // VerifyEnvelope accepts, the tree verifier refuses (see judge)
)

var outcomeNames = []string{"both accept", "both refuse", "unsupported", "malformed", "tree misreads"}

func (o outcome) String() string { return outcomeNames[o] }

// judge runs both verifiers and classifies their verdicts; a verdict that
// fits no class fails the test. Given the reference the package was signed
// with, it also holds VerifyWritten to VerifyEnvelope's verdict. VerifyEnvelope may refuse what the tree
// verifier accepts only as unsupported or malformed (the latter checked
// against libxml2 by the callers), never for a signature that does not
// match; it may accept what the tree verifier refuses only where
// encoding/xml misreads the bytes, which the callers check against
// libxml2 and OpenSSL.
func judge(t *testing.T, name string, data []byte, ref *Reference) outcome {
	t.Helper()
	treeErr := treeVerify(data)
	_, err := VerifyEnvelope(data)
	if err != nil && !errors.Is(err, ErrInvalid) {
		t.Errorf("%s: VerifyEnvelope's error does not wrap ErrInvalid: %v", name, err)
	}
	if ref != nil {
		_, werr := VerifyWritten(data, ref)
		if (werr == nil) != (err == nil) || (werr != nil && !errors.Is(werr, ErrInvalid)) {
			t.Errorf("%s: VerifyWritten: %v; VerifyEnvelope: %v", name, werr, err)
		}
	}
	switch {
	case treeErr == nil && err == nil:
		return bothAccept
	case treeErr != nil && err != nil:
		return bothRefuse
	case err == nil:
		return treeMisreads
	case errors.Is(err, errUnsupported):
		return unsupportedByBytes
	case errors.Is(err, errSyntax):
		return malformedForBytes
	}
	t.Errorf("%s: the tree verifier accepts, VerifyEnvelope refuses: %v", name, err)
	return bothRefuse
}

func TestVerifyEnvelopeAcceptsWhatTheSignerWrites(t *testing.T) {
	packages := signedPackages(t)
	// A full package: its canonical form passes through many buffers.
	doc, req := gisRequest(t, gismessage.Notifications, 250)
	full := signTree(t, &Signer{Key: testKey(t)}, doc, req)
	packages["250 bank notifications"] = full
	for name, p := range packages {
		if got := judge(t, name, p.data, p.ref); got != bothAccept {
			t.Errorf("%s: %v", name, got)
		}
	}
	last := bytes.LastIndex(full.data, []byte("</base:TransportGUID>")) - 1
	full.data[last] ^= 1
	if got := judge(t, "the last TransportGUID changed", full.data, full.ref); got != bothRefuse {
		t.Errorf("the last TransportGUID of 250 changed: %v", got)
	}
}

// mutant is a change to a written package.
type mutant struct {
	name string
	data []byte
	want outcome
}

// replace replaces the nth (from 0) occurrence of old in data, or returns
// nil when there is none.
func replace(data []byte, old, new string, n int) []byte {
	at := 0
	for i := 0; ; i++ {
		j := bytes.Index(data[at:], []byte(old))
		if j < 0 {
			return nil
		}
		if i == n {
			return bytes.Join([][]byte{data[:at+j], []byte(new), data[at+j+len(old):]}, nil)
		}
		at += j + len(old)
	}
}

// The two verifiers agree on changes to the bytes that a parser reads as
// the same document (both accept), on changes to what is signed (both
// refuse), and differ only as judge allows, for the reasons listed here.
func TestVerifyEnvelopeAgreesWithTheTree(t *testing.T) {
	packages := signedPackages(t)
	for pkg, p := range packages {
		for _, m := range mutants(p.data) {
			if m.data == nil {
				continue // the package has no such place
			}
			if got := judge(t, pkg+"/"+m.name, m.data, p.ref); got != m.want {
				_, err := VerifyEnvelope(m.data)
				t.Errorf("%s/%s: %v, want %v (tree: %v; bytes: %v)", pkg, m.name, got, m.want, treeVerify(m.data), err)
			}
		}
	}
}

// mutants are the hand-made changes, each with the verdicts it must get.
func mutants(data []byte) []mutant {
	text := string(data)
	reqStart := strings.Index(text, "Request Id=")
	reqTag := text[strings.LastIndex(text[:reqStart], "<")+1 : reqStart+len("Request")]
	sigStart := strings.Index(text, "<ds:Signature ")
	sigEnd := strings.Index(text, "</ds:Signature>") + len("</ds:Signature>")
	firstItem := strings.Index(text[sigEnd:], "<") + sigEnd
	itemTag := text[firstItem+1 : firstItem+strings.IndexAny(text[firstItem:], " >")]
	digestValue := text[strings.Index(text, "<ds:DigestValue>")+len("<ds:DigestValue>"):]
	digestValue = digestValue[:strings.Index(digestValue, "<")]
	guid := text[strings.Index(text, "<base:TransportGUID>")+len("<base:TransportGUID>"):]
	guid = guid[:36]
	propsID := text[strings.Index(text, `<xades:SignedProperties Id="`)+len(`<xades:SignedProperties Id="`):]
	propsID = propsID[:strings.IndexByte(propsID, '"')]
	r := func(old, new string) []byte { return replace(data, old, new, 0) }
	last := func(old, new string) []byte { return replace(data, old, new, strings.Count(text, old)-1) }
	return []mutant{
		{"unchanged", data, bothAccept},

		// Read as the same document: both accept.
		{"attributes of the request reordered", r(`Id="signed-data-container" base:version="10.0.1.1"`, `base:version="10.0.1.1" Id="signed-data-container"`), bothAccept},
		{"attributes of a Reference reordered", r(`Id="`+text[strings.Index(text, `<ds:Reference Id="`)+len(`<ds:Reference Id="`):strings.Index(text, `-ref0"`)]+`-ref0" URI="#signed-data-container"`,
			`URI="#signed-data-container" Id="`+text[strings.Index(text, `<ds:Reference Id="`)+len(`<ds:Reference Id="`):strings.Index(text, `-ref0"`)]+`-ref0"`), bothAccept},
		{"single quotes", r(`Id="signed-data-container"`, `Id='signed-data-container'`), bothAccept},
		{"white space in tags", r(`<ds:SignedInfo>`, "<ds:SignedInfo \r\n\t>"), bothAccept},
		{"white space in an end tag", r(`</ds:SignedInfo>`, "</ds:SignedInfo\n>"), bothAccept},
		{"white space around =", r(`Id="signed-data-container"`, "Id \n= \t\"signed-data-container\""), bothAccept},
		{"an empty element written long", r(`#enveloped-signature"/>`, `#enveloped-signature"></ds:Transform>`), bothAccept},
		{"character references in text", r(guid, "&#"+fmt.Sprint(int(guid[0]))+";"+guid[1:8]+"&#x2D;"+guid[9:]), bothAccept},
		{"character reference for Cyrillic", r("ПАО", "&#x41F;А&#1054;"), bothAccept},
		{"character reference in an attribute", r(`Id="signed-data-container"`, `Id="signed&#45;data&#x2d;container"`), bothAccept},
		{"character reference in a DigestValue", r(digestValue, "&#"+fmt.Sprint(int(digestValue[0]))+";"+digestValue[1:]), bothAccept},
		{"a character reference for a space", r("ПАО Сбербанк", "ПАО&#32;Сбербанк"), bothAccept},
		{"&apos; for '", r("'", "&apos;"), bothAccept},
		{"&quot; written raw", r("&quot;", `"`), bothAccept},
		{"raw > written &gt;", r("&lt;b&gt;", "&lt;b>"), bothAccept},
		{"a comment in the data", r(guid, guid[:10]+"<!-- x - y -->"+guid[10:]), bothAccept},
		{"a comment between items", r("<"+itemTag, "<!----><"+itemTag), bothAccept},
		{"comments around the root", append([]byte("\n<!-- before -->\n"), append(data[len(`<?xml version="1.0" encoding="UTF-8"?>`):], "\n<!-- after -->\n"...)...), bothAccept},
		{"a comment in the header", r("<base:MessageGUID>", "<!-- header --><base:MessageGUID>"), bothAccept},
		{"a CDATA section for text", r(guid, "<![CDATA["+guid[:5]+"]]>"+guid[5:]), bothAccept},
		{"a CDATA section for escaped text", r("&amp;", "<![CDATA[&]]>"), bothAccept},
		{"a CDATA section for &lt;", r("&lt;", "<![CDATA[<]]>"), bothAccept},
		{"no XML declaration", data[len(`<?xml version="1.0" encoding="UTF-8"?>`):], bothAccept},
		{"XML declaration in single quotes with standalone", r(`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>`), bothAccept},
		{"CRLF for LF in content", r(">\n<", ">\r\n<"), bothAccept},
		{"CR for LF in content", r(">\n<", ">\r<"), bothAccept},
		{"CRLF for LF in poisoned text", r("\n", "\r\n"), bothAccept},
		{"line breaks between attributes", r(`" base:version`, "\"\r\n\tbase:version"), bothAccept},
		{"the same namespace redeclared in the data", r("<"+itemTag+">", "<"+itemTag+` xmlns:pm="http://dom.gosuslugi.ru/schema/integration/payment/">`), bothAccept},
		{"an unused namespace in the data", r("<"+itemTag+">", "<"+itemTag+` xmlns:zz="urn:unused">`), bothAccept},
		{"an unused default namespace in the data", r("<"+itemTag+">", "<"+itemTag+` xmlns="urn:default">`), bothAccept},
		{"ds redeclared on SignedInfo", r("<ds:SignedInfo>", `<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`), bothAccept},
		{"an unsigned part of the signature changed", r(`-sigvalue"`, `-sigvalue-x"`), bothAccept},
		{"SignatureValue wrapped", r(`-sigvalue">`, "-sigvalue\">\r\n "), bothAccept},
		{"X509Certificate wrapped", r("<ds:X509Certificate>", "<ds:X509Certificate>\n\t"), bothAccept},

		// Changes to what is signed: both refuse.
		{"a CR in text", r(guid, guid[:10]+"\r"+guid[10:]), bothRefuse},
		{"&#13; in text", r(guid, guid[:10]+"&#13;"+guid[10:]), bothRefuse},
		{"a TAB in an attribute", r(`Id="signed-data-container"`, "Id=\"signed-data\tcontainer\""), bothRefuse},
		{"CRLF in an attribute", r(`URI="#signed-data-container"`, "URI=\"#signed-data\r\ncontainer\""), bothRefuse},
		{"&#xA; in an attribute", r(`base:version="10.0.1.1"`, `base:version="10.0.1.1&#xA;"`), bothRefuse},
		{"a namespace rebound in the data", r("<"+itemTag+">", "<"+itemTag+` xmlns:base="urn:other">`), bothRefuse},
		{"a data prefix renamed", renamePrefix(data, itemTag), bothRefuse},
		{"the SOAP prefix renamed", []byte(strings.ReplaceAll(text, "soapenv", "env")), bothRefuse},
		{"a namespace declared on the request", r("<"+reqTag+" ", "<"+reqTag+` xmlns:zz="urn:zz" `), bothRefuse},
		{"a namespace declared on the Body", r("<soapenv:Body>", `<soapenv:Body xmlns:zz="urn:zz">`), bothRefuse},
		{"an element added", r("</"+itemTag+">", "<base:x/></"+itemTag+">"), bothRefuse},
		{"a character changed in SignedInfo", r("xml-exc-c14n#", "xml-exc-c14n%23"), bothRefuse},
		{"the signature moved", moveSignature(data, sigStart, sigEnd, itemTag), bothRefuse},
		{"a second request in the Body", r("</soapenv:Body>", "<pm:x/></soapenv:Body>"), bothRefuse},
		{"a processing instruction in the data", r("</"+itemTag+">", "<?pi x?></"+itemTag+">"), bothRefuse},
		{"an undefined entity", r("&amp;", "&nbsp;"), bothRefuse},
		{"a DTD with an entity used in the data", replace(r(`<base:TransportGUID>`, `<base:TransportGUID>&e;`), "?>", `?><!DOCTYPE soapenv:Envelope [<!ENTITY e "">]>`, 0), bothRefuse},
		{"]]> in text", r(guid, guid+"]]>"), bothRefuse},
		{"a NUL reference", r(guid, "&#0;"+guid), bothRefuse},
		{"an undeclared prefix in the data", r("</"+itemTag+">", "<zz:x/></"+itemTag+">"), bothRefuse},
		{"unbalanced", r("</"+itemTag+">", ""), bothRefuse},
		{"a signed DigestValue wrapped", r(digestValue, digestValue[:20]+"\r\n "+digestValue[20:]), bothRefuse},
		{"XML 1.1", r(`version="1.0"`, `version="1.1"`), bothRefuse},
		{"KeyInfo with another certificate", r("<ds:X509Certificate>", "<ds:X509Certificate>AAAA"), bothRefuse},

		// What VerifyEnvelope deliberately does not read: a signer of ours
		// never writes it.
		{"a DTD", r("?>", "?><!DOCTYPE soapenv:Envelope>"), unsupportedByBytes},
		{"a processing instruction in the header", r("<base:MessageGUID>", "<?pi x?><base:MessageGUID>"), unsupportedByBytes},
		{"a processing instruction after the root", append(slicesClone(data), "<?pi x?>"...), unsupportedByBytes},
		// etree reads any declared encoding as UTF-8; a receiver would not.
		{"another encoding", r(`encoding="UTF-8"`, `encoding="windows-1251"`), unsupportedByBytes},
		{"a byte order mark", append([]byte("\xEF\xBB\xBF"), data...), unsupportedByBytes},
		{"xml:lang in the data", r("<"+itemTag+">", "<"+itemTag+` xml:lang="ru">`), bothRefuse},
		{"xml:lang in the header", r("<base:RequestHeader>", `<base:RequestHeader xml:lang="ru">`), unsupportedByBytes},
		{"a comment in SignedInfo", r("<ds:SignatureMethod", "<!-- x --><ds:SignatureMethod"), unsupportedByBytes},
		{"a comment in the SignatureValue", r(`</ds:SignatureValue>`, `<!-- x --></ds:SignatureValue>`), unsupportedByBytes},
		{"a CDATA section in the SignatureValue", r(`</ds:SignatureValue>`, `<![CDATA[]]></ds:SignatureValue>`), unsupportedByBytes},
		{"KeyInfo twice", r("<ds:Object>", "<ds:KeyInfo/><ds:Object>"), unsupportedByBytes},
		{"an element in the SignatureValue", r(`</ds:SignatureValue>`, `<ds:x/></ds:SignatureValue>`), unsupportedByBytes},
		{"the request's Id on a header element", r("<base:RequestHeader>", `<base:RequestHeader Id="signed-data-container">`), unsupportedByBytes},
		{"the SignedProperties' Id on a header element", r("<base:RequestHeader>", `<base:RequestHeader Id="`+propsID+`">`), unsupportedByBytes},
		{"a relative namespace URI in the header", r("<base:RequestHeader>", `<base:RequestHeader xmlns:zz="zz">`), unsupportedByBytes},
		{"xml prefix declared", r("<"+itemTag+">", "<"+itemTag+` xmlns:xml="http://www.w3.org/XML/1998/namespace">`), unsupportedByBytes},

		// Not well-formed XML 1.0 with namespaces, which encoding/xml reads.
		// etree keeps the last of two attributes of one name.
		{"an attribute twice in the data", r(`Id="signed-data-container"`, `Id="signed-data-container" Id="signed-data-container"`), malformedForBytes},
		{"an attribute twice", r("<base:RequestHeader>", `<base:RequestHeader a="1" a="1">`), malformedForBytes},
		{"an attribute twice by namespace", r("<base:RequestHeader>", `<base:RequestHeader base:a="1" zz:a="1" xmlns:zz="http://dom.gosuslugi.ru/schema/integration/base/">`), malformedForBytes},
		{"a prefix undeclared", r("<base:RequestHeader>", `<base:RequestHeader xmlns:zz="">`), malformedForBytes},
		{"attributes not separated", r("<base:RequestHeader>", `<base:RequestHeader a="1"b="2">`), malformedForBytes},
		{"a comment with --", r("<base:MessageGUID>", "<!-- a -- b --><base:MessageGUID>"), bothRefuse},

		// Truncated.
		{"truncated in the data", data[:firstItem+100], bothRefuse},
		{"truncated in the signature", data[:sigStart+500], bothRefuse},
		{"truncated before the end", data[:len(data)-1], bothRefuse},
		{"the last end tag broken", last("</soapenv:Envelope>", "</soapenv:Envelope"), bothRefuse},
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// renamePrefix rebinds the first item's elements of its own prefix to
// another prefix for the same namespace: the canonical form keeps prefixes.
func renamePrefix(data []byte, itemTag string) []byte {
	prefix := itemTag[:strings.IndexByte(itemTag, ':')]
	text := string(data)
	i := strings.Index(text, "<"+itemTag)
	j := strings.Index(text, "</"+itemTag+">") + len("</"+itemTag+">")
	uri := text[strings.Index(text, "xmlns:"+prefix+`="`)+len("xmlns:"+prefix+`="`):]
	uri = uri[:strings.IndexByte(uri, '"')]
	item := strings.ReplaceAll(text[i:j], prefix+":", "q:")
	item = strings.Replace(item, ">", ` xmlns:q="`+uri+`">`, 1)
	return []byte(text[:i] + item + text[j:])
}

// moveSignature puts the signature after the first item.
func moveSignature(data []byte, sigStart, sigEnd int, itemTag string) []byte {
	text := string(data)
	itemEnd := strings.Index(text[sigEnd:], "</"+itemTag+">") + sigEnd + len("</"+itemTag+">")
	return []byte(text[:sigStart] + text[sigEnd:itemEnd] + text[sigStart:sigEnd] + text[itemEnd:])
}

// An algorithm with parameters VerifyEnvelope does not implement (an
// exclusive C14N prefix list, which would change the data's canonical
// form) is refused, though signed: the tree verifier ignores it.
func TestVerifyEnvelopeRefusesAlgorithmParameters(t *testing.T) {
	k := testKey(t)
	doc := parse(t, testEnvelope)
	if err := (&Signer{Key: k}).Sign(request(doc)); err != nil {
		t.Fatal(err)
	}
	transform := doc.FindElement("//ds:Transform[@Algorithm='" + ExcC14N + "']")
	transform.CreateElement("ec:InclusiveNamespaces").CreateAttr("PrefixList", "base")
	transform.ChildElements()[0].CreateAttr("xmlns:ec", ExcC14N)
	// Sign SignedInfo again, as a signer writing the prefix list would.
	si := doc.FindElement("//ds:SignedInfo")
	c14n, err := inclusiveC14N(si)
	if err != nil {
		t.Fatal(err)
	}
	value, err := sign(k.priv, k.base(), digest(c14n), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.FindElement("//ds:SignatureValue").SetText(b64(value))
	data, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if got := judge(t, "a prefix list", data, nil); got != unsupportedByBytes {
		t.Errorf("an InclusiveNamespaces prefix list: %v", got)
	}
}

// The verifier keeps the certificate it read last: each package is still
// verified with the certificate it carries, whichever came before.
func TestVerifyEnvelopeReadsEachPackagesCertificate(t *testing.T) {
	keys := []*Key{testKey(t), otherKey(t)}
	var packages [][]byte
	for _, k := range keys {
		doc, req := gisRequest(t, gismessage.SupplierNotifications, 2)
		if err := (&Signer{Key: k}).Sign(req); err != nil {
			t.Fatal(err)
		}
		data, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		packages = append(packages, data)
	}
	for _, i := range []int{0, 1, 0, 1} {
		cert, err := VerifyEnvelope(packages[i])
		if err != nil || !bytes.Equal(cert.Raw, keys[i].cert.Raw) {
			t.Fatalf("package %d: %v", i, err)
		}
	}
	swapped := bytes.Replace(packages[1], []byte(b64(keys[1].cert.Raw)), []byte(b64(keys[0].cert.Raw)), 1)
	if _, err := VerifyEnvelope(swapped); !errors.Is(err, ErrInvalid) {
		t.Errorf("the first key's certificate in the second's package after the first's: %v", err)
	}
}
