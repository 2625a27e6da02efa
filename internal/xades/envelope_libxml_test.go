package xades

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/gismessage"
)

// libxml judges written envelopes with implementations we did not write:
// libxml2 (xmllint) parses and canonicalizes the bytes, OpenSSL's GOST
// engine digests and verifies.
type libxml struct {
	*openSSL
	xmllint string
}

func newLibxml(t testing.TB) *libxml {
	o := newOpenSSL(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed")
	}
	return &libxml{o, xmllint}
}

// malformed reports whether libxml2 finds the document not well-formed, or
// breaking Namespaces in XML (which xmllint reports without failing).
func (l *libxml) malformed(data []byte) bool {
	out, err := exec.Command(l.xmllint, "--nonet", "--noout", l.file("doc.xml", data)).CombinedOutput()
	return err != nil || bytes.Contains(out, []byte("error"))
}

var (
	startTags = map[string]*regexp.Regexp{}
	xmlnsAttr = regexp.MustCompile(`xmlns(?::([\w-]+))?\s*=\s*("[^"]*"|'[^']*')`)
)

// startTag finds the first start tag of the element named qname: its
// position and text.
func startTag(text, qname string) (int, string) {
	re, ok := startTags[qname]
	if !ok {
		re = regexp.MustCompile(`<` + regexp.QuoteMeta(qname) + `[\s/>][^>]*>`)
		startTags[qname] = re
	}
	loc := re.FindStringIndex(text)
	if loc == nil {
		return -1, ""
	}
	return loc[0], text[loc[0]:loc[1]]
}

// cut returns the element qname standalone, with the namespace
// declarations of the ancestors (their start tags, outermost first) it
// does not make itself, and without the element skip in it.
func cut(text, qname string, ancestors []string, skip string) (string, error) {
	i, tag := startTag(text, qname)
	if i < 0 {
		return "", fmt.Errorf("no %s", qname)
	}
	end := regexp.MustCompile(`</` + regexp.QuoteMeta(qname) + `\s*>`).FindStringIndex(text[i:])
	if end == nil {
		return "", fmt.Errorf("no end of %s", qname)
	}
	el := text[i : i+end[1]]
	if skip != "" {
		a, _ := startTag(el, skip)
		b := regexp.MustCompile(`</` + regexp.QuoteMeta(skip) + `\s*>`).FindStringIndex(el)
		if a < 0 || b == nil {
			return "", fmt.Errorf("no %s to leave out", skip)
		}
		el = el[:a] + el[b[1]:]
	}
	own := map[string]bool{}
	for _, m := range xmlnsAttr.FindAllStringSubmatch(tag, -1) {
		own[m[1]] = true
	}
	scope := map[string]string{}
	var order []string
	for _, a := range ancestors {
		_, atag := startTag(text, a)
		for _, m := range xmlnsAttr.FindAllStringSubmatch(atag, -1) {
			if _, seen := scope[m[1]]; !seen {
				order = append(order, m[1])
			}
			scope[m[1]] = m[2]
		}
	}
	var decls strings.Builder
	for _, p := range order {
		if own[p] {
			continue
		}
		if p == "" {
			fmt.Fprintf(&decls, " xmlns=%s", scope[p])
		} else {
			fmt.Fprintf(&decls, " xmlns:%s=%s", p, scope[p])
		}
	}
	return "<" + qname + decls.String() + el[len(qname)+1:], nil
}

// comment is a comment outside CDATA sections and attribute values, where
// the changes tested put none.
var comment = regexp.MustCompile(`<!--(?s:.*?)-->`)

// verify checks the signature of a written envelope with libxml2's
// canonical forms and OpenSSL: both reference digests and the
// SignatureValue, with the key of the certificate in KeyInfo. The values
// are read with etree. xmllint's canonical forms keep comments, so they
// are cut out of the text first, as C14N without comments drops them.
func (l *libxml) verify(data []byte) error {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return err
	}
	text := comment.ReplaceAllString(string(data), "")
	req := request(doc)
	if req == nil {
		return errors.New("no request")
	}
	reqName := req.FullTag()
	env, body := doc.Root().FullTag(), req.Parent().FullTag()
	refs := doc.FindElements("//ds:SignedInfo/ds:Reference/ds:DigestValue")
	if len(refs) != 2 {
		return errors.New("not two references")
	}
	digestOf := func(mode, qname string, ancestors []string, skip string) ([]byte, error) {
		el, err := cut(text, qname, ancestors, skip)
		if err != nil {
			return nil, err
		}
		c14n, err := exec.Command(l.xmllint, "--nonet", mode, l.file("in.xml", []byte(el))).Output()
		if err != nil {
			return nil, fmt.Errorf("xmllint %s %s: %v", mode, qname, err)
		}
		out := filepath.Join(l.dir, "digest")
		if _, err := l.run("dgst", "-md_gost12_256", "-binary", "-out", out, l.file("c14n", c14n)); err != nil {
			return nil, err
		}
		return l.read(out), nil
	}
	sigScope := []string{env, body, reqName, "ds:Signature"}
	checks := []struct {
		mode, qname string
		ancestors   []string
		skip        string
		want        *etree.Element
	}{
		{"--exc-c14n", reqName, []string{env, body}, "ds:Signature", refs[0]},
		{"--c14n", "xades:SignedProperties", append(sigScope, "ds:Object", "xades:QualifyingProperties"), "", refs[1]},
	}
	for _, c := range checks {
		got, err := digestOf(c.mode, c.qname, c.ancestors, c.skip)
		if err != nil {
			return err
		}
		if want, _ := decode(c.want); !bytes.Equal(got, want) {
			return fmt.Errorf("libxml2 and OpenSSL digest %s as %x, the signature says %x", c.qname, got, want)
		}
	}
	return l.verifySignedInfo(doc, text, sigScope)
}

func (l *libxml) verifySignedInfo(doc *etree.Document, text string, scope []string) error {
	mode := "--c14n"
	if doc.FindElement("//ds:CanonicalizationMethod").SelectAttrValue("Algorithm", "") == ExcC14N {
		mode = "--exc-c14n"
	}
	si, err := cut(text, "ds:SignedInfo", scope, "")
	if err != nil {
		return err
	}
	c14n, err := exec.Command(l.xmllint, "--nonet", mode, l.file("si.xml", []byte(si))).Output()
	if err != nil {
		return fmt.Errorf("xmllint SignedInfo: %v", err)
	}
	der, _ := decode(doc.FindElement("//ds:X509Certificate"))
	value, _ := decode(doc.FindElement("//ds:SignatureValue"))
	pub := filepath.Join(l.dir, "pub.pem")
	if out, err := l.run("x509", "-inform", "DER", "-in", l.file("cert.der", der), "-pubkey", "-noout", "-out", pub); err != nil {
		return fmt.Errorf("openssl x509: %v %s", err, out)
	}
	out, err := l.run("dgst", "-md_gost12_256", "-verify", pub, "-signature", l.file("sig.bin", value), l.file("si.c14n", c14n))
	if err != nil || !strings.Contains(out, "Verified OK") {
		return fmt.Errorf("openssl on libxml2's SignedInfo: %v %s", err, out)
	}
	return nil
}

// settle checks against libxml2 and OpenSSL the verdicts where the two
// verifiers differ: what VerifyEnvelope calls malformed libxml2 must find
// malformed, and what it accepts and the tree verifier refuses must verify
// with libxml2's canonical forms.
func (l *libxml) settle(t *testing.T, name string, data []byte, got outcome) {
	t.Helper()
	switch got {
	case malformedForBytes:
		if !l.malformed(data) {
			t.Errorf("%s: VerifyEnvelope refuses it as malformed, libxml2 reads it: %q", name, data)
		}
	case treeMisreads:
		if err := l.verify(data); err != nil {
			t.Errorf("%s: VerifyEnvelope accepts, libxml2 and OpenSSL do not: %v", name, err)
		}
	}
}

// The hand-made changes judged by other implementations: each one both
// verifiers accept verifies with libxml2's canonical forms and OpenSSL,
// and the differences hold as settle requires.
func TestVerifyEnvelopeMutantsWithLibxml(t *testing.T) {
	l := newLibxml(t)
	checked := 0
	for pkg, p := range signedPackages(t) {
		if !strings.HasPrefix(pkg, "poisoned") {
			continue
		}
		for _, m := range mutants(p.data) {
			if m.data == nil {
				continue
			}
			name := pkg + "/" + m.name
			got := judge(t, name, m.data, p.ref)
			l.settle(t, name, m.data, got)
			if got == bothAccept {
				if err := l.verify(m.data); err != nil {
					t.Errorf("%s: both verifiers accept, libxml2 and OpenSSL do not: %v", name, err)
				}
				checked++
			}
		}
	}
	t.Logf("%d accepted changes verified with libxml2 and OpenSSL", checked)
}

// A parser turns TAB, CR and LF in an attribute value into spaces (XML 1.0
// §3.3.3); encoding/xml keeps them, so the tree verifier refuses a package
// a receiver accepts, and accepts one a receiver refuses. VerifyEnvelope
// reads them as libxml2 does.
func TestVerifyEnvelopeNormalizesAttributeValues(t *testing.T) {
	l := newLibxml(t)
	doc, req := gisRequest(t, gismessage.SupplierNotifications, 2)
	req.ChildElements()[0].CreateAttr("note", "a b c")
	ref, err := (&Signer{Key: testKey(t)}).SignReference(req)
	if err != nil {
		t.Fatal(err)
	}
	data, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{"\t", "\n", "\r\n", "\r"} {
		m := replace(data, `note="a b c"`, `note="a`+ws+`b c"`, 0)
		got := judge(t, fmt.Sprintf("%q", ws), m, ref)
		if got != treeMisreads {
			t.Errorf("%q for a space in an attribute: %v", ws, got)
		}
		l.settle(t, fmt.Sprintf("%q", ws), m, got)
	}
	if got := judge(t, "&#9;", replace(data, `note="a b c"`, `note="a&#9;b c"`, 0), ref); got != bothRefuse {
		t.Errorf("a character reference for TAB in an attribute: %v", got)
	}

	// The other way round: etree writes a TAB or LF in an attribute raw,
	// the signer hashed it as a character reference, and only the tree
	// verifier accepts the package.
	doc, req = gisRequest(t, gismessage.SupplierNotifications, 2)
	req.ChildElements()[0].CreateAttr("note", "a\tb\nc")
	if ref, err = (&Signer{Key: testKey(t)}).SignReference(req); err != nil {
		t.Fatal(err)
	}
	if data, err = doc.WriteToBytes(); err != nil {
		t.Fatal(err)
	}
	if err := treeVerify(data); err != nil {
		t.Errorf("the tree verifier: %v", err)
	}
	if _, err := VerifyEnvelope(data); !errors.Is(err, ErrInvalid) {
		t.Errorf("VerifyEnvelope accepts a TAB and a LF written raw in an attribute: %v", err)
	}
	if _, err := VerifyWritten(data, ref); !errors.Is(err, ErrInvalid) {
		t.Errorf("VerifyWritten accepts a TAB and a LF written raw in an attribute: %v", err)
	}
	if err := l.verify(data); err == nil {
		t.Error("libxml2 and OpenSSL accept a TAB and a LF written raw in an attribute")
	}
}

// Single-byte changes to the signed request of small packages (every
// position of one with line ends in its content, every third of a poisoned
// one; two replacement bytes each) get verdicts judge allows, and those
// settle checks; every fourth change both accept verifies with libxml2
// and OpenSSL.
func TestVerifyEnvelopeSingleByteChanges(t *testing.T) {
	l := newLibxml(t)
	packages := signedPackages(t)
	for name, stride := range map[string]int{"testEnvelope": 1, "poisoned " + string(gismessage.Notifications): 3} {
		singleByteChanges(t, l, packages[name], stride)
	}
}

func singleByteChanges(t *testing.T, l *libxml, p signedPackage, stride int) {
	data := p.data
	start := bytes.Index(data, []byte("<pm:"))
	end := bytes.LastIndex(data, []byte("</soapenv:Body>"))
	alternatives := []byte{' ', '<', '>', '&', '\r', '"', 'A', 0x80, '\n', ':', '/', '\t'}
	counts := map[outcome]int{}
	for i := start; i < end; i += stride {
		for _, k := range []int{i, i + 5} {
			c := alternatives[k%len(alternatives)]
			if c == data[i] {
				c ^= 1
			}
			m := bytes.Clone(data)
			m[i] = c
			name := fmt.Sprintf("byte %d %q→%q", i, data[i], c)
			got := judge(t, name, m, p.ref)
			counts[got]++
			l.settle(t, name, m, got)
			if got == bothAccept && counts[got]%4 == 1 {
				if err := l.verify(m); err != nil {
					t.Errorf("%s: both verifiers accept, libxml2 and OpenSSL do not: %v", name, err)
				}
			}
		}
	}
	t.Logf("%d of %d bytes changed: %v", (end-start+stride-1)/stride, end-start, counts)
	if counts[bothAccept] == 0 || counts[bothRefuse] == 0 {
		t.Errorf("the changes do not exercise both verdicts: %v", counts)
	}
}
