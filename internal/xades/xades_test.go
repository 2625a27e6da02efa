package xades

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/civil"
	"github.com/gispayments/gis-payments/internal/gisxml"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func reversed(b []byte) []byte {
	c := slices.Clone(b)
	slices.Reverse(c)
	return c
}

// RFC 6986 §10.1 and §10.2 print the messages and hashes as big numbers:
// the bytes fed to and returned by the function are those numbers reversed.
func TestStreebogRFC6986(t *testing.T) {
	tests := []struct{ message, hash string }{
		{"323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130",
			"00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"},
		{"fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1",
			"508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"},
	}
	for _, tt := range tests {
		got := digest(reversed(unhex(tt.message)))
		if !bytes.Equal(got, reversed(unhex(tt.hash))) {
			t.Errorf("Streebog-256 = %x, want the reverse of %s", got, tt.hash)
		}
	}
}

// fixedReader hands out k, so a signature can be compared with a published one.
type fixedReader []byte

func (r fixedReader) Read(p []byte) (int, error) { return copy(p, r), nil }

// GOST R 34.10-2012 Appendix A.1 (= RFC 7091 §A.1, the 256-bit example on
// the test curve): key d, digest value e, nonce k give r and s.
func TestGOST3410Example(t *testing.T) {
	d := unhex("7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28")
	e := unhex("2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5")
	k := unhex("77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3")
	r := unhex("41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493")
	s := unhex("01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40")
	priv, err := gost.NewPrivateKey(gost.CurveIdGostR34102001TestParamSet(), reversed(d))
	if err != nil {
		t.Fatal(err)
	}
	// The hash bytes are e's little-endian form (§6.1: α is the number they encode).
	sig, err := sign(priv, reversed(e), fixedReader(k))
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(s), r...); !bytes.Equal(sig, want) {
		t.Fatalf("signature\n got %X\nwant %X (s || r)", sig, want)
	}
	if ok, _ := gost.Verify(&priv.PublicKey, reversed(e), sig); !ok {
		t.Error("the published signature does not verify")
	}
	// And on the curve the project uses, many times over: go-cryptobin's verifier accepts ours.
	k2 := testKey(t)
	for i := range 50 {
		d := digest([]byte{byte(i)})
		s, err := sign(k2.priv, d, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := gost.Verify(&k2.priv.PublicKey, d, s); !ok {
			t.Fatalf("signature %d does not verify", i)
		}
	}
	if new(big.Int).SetBytes(d).Cmp(priv.D) != 0 {
		t.Error("key parsed in the wrong byte order")
	}
}

func testKey(t testing.TB) *Key {
	t.Helper()
	k, err := GenerateTestKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedRequest builds a supplier request inside an envelope whose
// namespaces are declared on the Envelope only, and signs it.
func signedRequest(t testing.TB, k *Key, items int) (*etree.Document, *etree.Element) {
	t.Helper()
	var notes []gisxml.Notification
	for i := range items {
		notes = append(notes, gisxml.Notification{TransportGUID: uuid.NewString(), OrderDate: civil.FromYMD(2026, 11, 21),
			Amount: money.Kopecks(100 + i), PaymentDocumentID: "12АБ345678-01-6101", Month: 10, Year: 2026,
			Purpose: `Оплата "ЖКУ" & пени`})
	}
	doc, req, err := gisxml.Build(gisxml.SupplierNotifications, gisxml.Header{Date: time.Now(), MessageGUID: uuid.NewString(),
		OrgPPAGUID: uuid.NewString()}, nil, notes)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Signer{Key: k}).Sign(req); err != nil {
		t.Fatal(err)
	}
	return doc, req
}

// reparse serialises and parses the document again, as the receiver does.
func reparse(t testing.TB, doc *etree.Document) *etree.Element {
	t.Helper()
	data, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(data); err != nil {
		t.Fatal(err)
	}
	return d.FindElement("//soapenv:Body/*")
}

func TestSignVerify(t *testing.T) {
	k := testKey(t)
	doc, _ := signedRequest(t, k, 3)
	req := reparse(t, doc)
	cert, err := Verify(req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert.Raw, k.cert.Raw) {
		t.Error("Verify returned another certificate")
	}
	sig := req.ChildElements()[0]
	for _, want := range []string{C14N10, SignatureMethod, DigestMethod, Enveloped, ExcC14N} {
		found := false
		for _, el := range sig.FindElements(".//*[@Algorithm]") {
			found = found || el.SelectAttrValue("Algorithm", "") == want
		}
		if !found {
			t.Errorf("no %s in the signature", want)
		}
	}
	if v, err := xsdcheck.New(xsdcheck.PaymentTypes); err == nil {
		if err := v.Element(req); err != nil {
			t.Errorf("the signed request does not validate: %v", err)
		}
	}
}

func TestTamperingIsDetected(t *testing.T) {
	k := testKey(t)
	other := testKey(t)
	tests := []struct {
		name   string
		tamper func(req *etree.Element)
	}{
		{"amount", func(req *etree.Element) { req.FindElement(".//pm:Amount").SetText("999.00") }},
		{"an item removed", func(req *etree.Element) { req.RemoveChild(req.ChildElements()[1]) }},
		{"signing time", func(req *etree.Element) {
			req.FindElement(".//xades:SigningTime").SetText("2020-01-01T00:00:00.000+03:00")
		}},
		{"certificate swapped", func(req *etree.Element) {
			req.FindElement(".//ds:X509Certificate").SetText(b64(other.cert.Raw))
		}},
		{"signature value", func(req *etree.Element) {
			v := req.FindElement(".//ds:SignatureValue")
			raw, _ := decode(v)
			raw[10] ^= 1
			v.SetText(b64(raw))
		}},
		{"reference to a missing element", func(req *etree.Element) { req.CreateAttr("Id", "another-id") }},
		{"id moved to another element", func(req *etree.Element) {
			req.RemoveAttr("Id")
			req.ChildElements()[1].CreateAttr("Id", gisxml.SignedID)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := signedRequest(t, k, 2)
			req := reparse(t, doc)
			tt.tamper(req)
			if _, err := Verify(req); !errors.Is(err, ErrInvalid) {
				t.Errorf("Verify after tampering: %v", err)
			}
		})
	}
}

func TestKeyPEMRoundTrip(t *testing.T) {
	k := testKey(t)
	keyPEM, certPEM, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(keyPEM, certPEM)
	if err != nil || !back.priv.Equal(k.priv) {
		t.Fatalf("round trip: %v", err)
	}
	_, otherCert, _ := testKey(t).PEM()
	if _, err := ParseKey(keyPEM, otherCert); err == nil {
		t.Error("a key with another's certificate was accepted")
	}
}

// BenchmarkSign250 builds and signs a full supplier package.
func BenchmarkSign250(b *testing.B) {
	k := testKey(b)
	for b.Loop() {
		signedRequest(b, k, 250)
	}
}

// The signer's fast exclusive canonicalization equals goxmldsig's on the
// requests the project builds, awkward text included.
func TestFastExcC14NMatchesLibrary(t *testing.T) {
	for _, items := range []int{1, 7} {
		doc, req := signedRequest(t, testKey(t), items)
		_ = doc
		sig := req.ChildElements()[0]
		lib, err := excC14N(req, sig)
		if err != nil {
			t.Fatal(err)
		}
		if fast := excC14NFast(req, sig); !bytes.Equal(fast, lib) {
			t.Fatalf("fast c14n differs:\n%s\nlibrary:\n%s", fast, lib)
		}
		libSI, _ := excC14N(sig, nil)
		if fast := excC14NFast(sig, nil); !bytes.Equal(fast, libSI) {
			t.Fatalf("fast c14n of the signature differs:\n%s\nlibrary:\n%s", fast, libSI)
		}
	}
}

func TestFastExcC14NEdgeCases(t *testing.T) {
	doc := etree.NewDocument()
	src := "<r:root xmlns:r=\"urn:r\" xmlns:u=\"urn:unused\" xmlns:a=\"urn:a\"><r:x b=\"2\" a:z=\"1\" a=\"&lt;&quot;&#xA;&#x9;\">t &amp; &lt; &gt; &#xD; ü</r:x>" +
		"<a:y xmlns:a=\"urn:other\"><r:empty/></a:y></r:root>"
	if err := doc.ReadFromString(src); err != nil {
		t.Fatal(err)
	}
	lib, err := excC14N(doc.Root(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fast := excC14NFast(doc.Root(), nil); !bytes.Equal(fast, lib) {
		t.Fatalf("fast:\n%s\nlibrary:\n%s", fast, lib)
	}
}
