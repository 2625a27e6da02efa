package xades

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/pubkey/gost"

	"github.com/gispayments/gis-payments/internal/gismessage"
)

// These tests hold our GOST pieces against OpenSSL's GOST engine (Debian:
// libengine-gost-openssl), an implementation independent of go-cryptobin
// and ours. They skip where openssl or the engine is missing.

type openSSL struct {
	t   testing.TB
	bin string
	dir string
}

func newOpenSSL(t testing.TB) *openSSL {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	if out, err := exec.Command(bin, "engine", "gost").CombinedOutput(); err != nil {
		t.Skipf("openssl has no GOST engine (apt-get install libengine-gost-openssl): %s", out)
	}
	return &openSSL{t: t, bin: bin, dir: t.TempDir()}
}

// run runs openssl with the engine loaded and returns its combined output.
func (o *openSSL) run(args ...string) (string, error) {
	args = slices.Insert(args, 1, "-engine", "gost")
	out, err := exec.Command(o.bin, args...).CombinedOutput()
	return string(out), err
}

func (o *openSSL) must(args ...string) string {
	o.t.Helper()
	out, err := o.run(args...)
	if err != nil {
		o.t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (o *openSSL) file(name string, data []byte) string {
	o.t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		o.t.Fatal(err)
	}
	return p
}

func (o *openSSL) read(path string) []byte {
	o.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		o.t.Fatal(err)
	}
	return data
}

// signedInfo signs testEnvelope with k and returns the document, its
// SignedInfo and the canonical SignedInfo the SignatureValue covers.
func signedInfo(t *testing.T, k *Key) (*etree.Document, *etree.Element, []byte) {
	doc := parse(t, testEnvelope)
	if err := (&Signer{Key: k}).Sign(request(doc)); err != nil {
		t.Fatal(err)
	}
	si := doc.FindElement("//ds:SignedInfo")
	c14n, err := inclusiveC14N(si)
	if err != nil {
		t.Fatal(err)
	}
	return doc, si, c14n
}

func TestOpenSSLStreebog(t *testing.T) {
	o := newOpenSSL(t)
	_, _, c14n := signedInfo(t, testKey(t))
	inputs := map[string][]byte{
		"empty":                {},
		"RFC 6986 M1":          reversed(unhex("323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130")),
		"canonical SignedInfo": c14n,
		"a megabyte":           bytes.Repeat([]byte("Оплата ЖКУ; "), 1<<20/len("Оплата ЖКУ; ")),
	}
	for name, data := range inputs {
		in, out := o.file("in", data), filepath.Join(o.dir, "out")
		o.must("dgst", "-md_gost12_256", "-binary", "-out", out, in)
		if got := o.read(out); !bytes.Equal(got, digest(data)) {
			t.Errorf("%s: openssl %x, ours %x", name, got, digest(data))
		}
	}
}

// OpenSSL reads our certificate and PKCS#8 key, and accepts our
// SignatureValue (s || r) over the canonical SignedInfo.
func TestOpenSSLVerifiesOurs(t *testing.T) {
	o := newOpenSSL(t)
	k := testKey(t)
	keyPEM, certPEM, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	cert := o.file("cert.pem", certPEM)
	pub := filepath.Join(o.dir, "pub.pem")
	o.must("x509", "-in", cert, "-pubkey", "-noout", "-out", pub)
	keyPub := filepath.Join(o.dir, "keypub.pem")
	o.must("pkey", "-in", o.file("key.pem", keyPEM), "-pubout", "-out", keyPub)
	if !bytes.Equal(o.read(pub), o.read(keyPub)) {
		t.Error("openssl derives another public key from our private key than our certificate holds")
	}
	if out := o.must("verify", "-CAfile", cert, cert); !strings.Contains(out, "OK") {
		t.Errorf("openssl does not accept the certificate's self-signature: %s", out)
	}

	doc, _, c14n := signedInfo(t, k)
	value, _ := decode(doc.FindElement("//ds:SignatureValue"))
	data := o.file("signedinfo.xml", c14n)
	tests := []struct {
		name  string
		value []byte
		ok    bool
	}{
		{"s || r", value, true},
		{"r || s", slices.Concat(value[32:], value[:32]), false},
		{"a bit flipped", append(slices.Clone(value[:63]), value[63]^1), false},
	}
	for _, tt := range tests {
		out, err := o.run("dgst", "-md_gost12_256", "-verify", pub, "-signature", o.file("sig.bin", tt.value), data)
		if ok := err == nil && strings.Contains(out, "Verified OK"); ok != tt.ok {
			t.Errorf("%s: openssl says %q", tt.name, out)
		}
	}
}

// We read a key and certificate OpenSSL made, and accept a SignatureValue
// OpenSSL computed.
func TestWeVerifyOpenSSL(t *testing.T) {
	o := newOpenSSL(t)
	keyPath, certPath := filepath.Join(o.dir, "key.pem"), filepath.Join(o.dir, "cert.pem")
	o.must("genpkey", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", "-out", keyPath)
	o.must("req", "-x509", "-new", "-key", keyPath, "-subj", "/CN=OpenSSL GOST/O=Test/C=RU", "-md_gost12_256", "-days", "1", "-out", certPath)
	k, err := LoadKeyFiles(keyPath, certPath)
	if err != nil {
		t.Fatal(err)
	}
	text := o.must("pkey", "-in", keyPath, "-text", "-noout")
	x := regexp.MustCompile(`X:([0-9A-F]+)`).FindStringSubmatch(text)
	if want, ok := new(big.Int).SetString(x[1], 16); !ok || want.Cmp(k.priv.X) != 0 {
		t.Errorf("public key x %X, openssl says %s", k.priv.X, x[1])
	}

	doc, si, c14n := signedInfo(t, k)
	sigPath := filepath.Join(o.dir, "sig.bin")
	o.must("dgst", "-md_gost12_256", "-sign", keyPath, "-out", sigPath, o.file("signedinfo.xml", c14n))
	value := o.read(sigPath)
	if ok, _ := gost.Verify(&k.priv.PublicKey, digest(c14n), value); !ok {
		t.Fatalf("go-cryptobin rejects OpenSSL's signature %x", value)
	}
	si.Parent().FindElement("ds:SignatureValue").SetText(b64(value))
	if _, err := Verify(request(reparse(t, doc))); err != nil {
		t.Errorf("with OpenSSL's SignatureValue: %v", err)
	}
}

// A package with line breaks and characters XML 1.0 does not allow in its
// text, as written, checked by other implementations end to end: libxml2
// parses and canonicalizes the bytes (xmllint --exc-c14n, --c14n), OpenSSL
// hashes the request and verifies the SignatureValue over SignedInfo. A CR
// the signer hashed as "&#xD;" but wrote raw made GIS compute another
// digest; this is how GIS, not our verifier, reads the package.
func TestOpenSSLVerifiesPoisonedPackage(t *testing.T) {
	o := newOpenSSL(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed")
	}
	k := testKey(t)
	doc, req := gisRequest(t, gismessage.Notifications, 3)
	poison := "до\r\nпосле\rи\vещё\x1b\uffff\ufffe\xff"
	for _, tag := range []string{"pb:PaymentPurpose", "pb:Name", "pb:BankName", "pb:PaymentRecipient"} {
		el := req.FindElement(".//" + tag)
		// The builder's way in: what a value from the database becomes.
		el.SetText(gismessage.Text(el.Text() + poison))
	}
	if err := (&Signer{Key: k}).Sign(req); err != nil {
		t.Fatal(err)
	}
	data, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	envDecls := regexp.MustCompile(`<soapenv:Envelope([^>]*)>`).FindStringSubmatch(text)[1]
	// cut returns the element named by tag, standalone, with every namespace
	// declaration in scope at it copied onto it, and skip cut out of it.
	cut := func(tag, decls, skip string) string {
		i, j := strings.Index(text, "<"+tag), strings.Index(text, "</"+tag+">")+len("</"+tag+">")
		el := text[i:j]
		if skip != "" {
			a, b := strings.Index(el, "<"+skip), strings.Index(el, "</"+skip+">")+len("</"+skip+">")
			el = el[:a] + el[b:]
		}
		return "<" + tag + decls + el[len(tag)+1:]
	}
	libxml := func(mode, xml string) []byte {
		out, err := exec.Command(xmllint, mode, o.file("in.xml", []byte(xml))).Output()
		if err != nil {
			t.Fatalf("xmllint %s: %v", mode, err)
		}
		return out
	}
	digestOf := func(b []byte) []byte {
		out := filepath.Join(o.dir, "digest")
		o.must("dgst", "-md_gost12_256", "-binary", "-out", out, o.file("c14n", b))
		return o.read(out)
	}

	reqTag := "pm:" + string(gismessage.Notifications) + "Request"
	want, _ := base64.StdEncoding.DecodeString(regexp.MustCompile(`<ds:DigestValue>([^<]*)</ds:DigestValue>`).FindStringSubmatch(text)[1])
	if got := digestOf(libxml("--exc-c14n", cut(reqTag, envDecls, "ds:Signature"))); !bytes.Equal(got, want) {
		t.Errorf("libxml2 and OpenSSL digest the request as %x, the signature says %x", got, want)
	}
	sigDecl := ` xmlns:ds="` + NsDS + `"`
	signedInfo := libxml("--c14n", cut("ds:SignedInfo", envDecls+sigDecl, ""))
	value, _ := decode(doc.FindElement("//ds:SignatureValue"))
	keyPEM, _, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(o.dir, "pub.pem")
	o.must("pkey", "-in", o.file("key.pem", keyPEM), "-pubout", "-out", pub)
	if out, err := o.run("dgst", "-md_gost12_256", "-verify", pub, "-signature", o.file("sig.bin", value), o.file("si.xml", signedInfo)); err != nil || !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl on libxml2's SignedInfo: %v %s", err, out)
	}
}
