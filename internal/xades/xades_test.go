package xades

import (
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

var sharedKey = sync.OnceValues(GenerateTestKey)

// testKey is one throwaway key for the whole test binary.
func testKey(t testing.TB) *Key {
	t.Helper()
	k, err := sharedKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func otherKey(t testing.TB) *Key {
	t.Helper()
	k, err := GenerateTestKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// reparse serialises the document and parses it again, as a receiver does.
func reparse(t testing.TB, doc *etree.Document) *etree.Document {
	t.Helper()
	data, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, string(data))
}

func request(doc *etree.Document) *etree.Element { return doc.FindElement("//soapenv:Body/*") }

// signedEnvelope signs testEnvelope's request and returns the reparsed document.
func signedEnvelope(t testing.TB) *etree.Document {
	t.Helper()
	doc := parse(t, testEnvelope)
	if err := (&Signer{Key: testKey(t)}).Sign(request(doc)); err != nil {
		t.Fatal(err)
	}
	return reparse(t, doc)
}

// gisRequest builds a package with gisxml, the packer's builder: supplier
// notifications (8 elements an item) or bank notifications (24 elements an
// item, recipient requisites and purpose in Cyrillic).
func gisRequest(t testing.TB, op gismessage.Operation, items int) (*etree.Document, *etree.Element) {
	t.Helper()
	r, notes := gisItems(op, items, "")
	doc, req, err := gismessage.Build(op, gismessage.Header{Date: time.Now(), MessageGUID: uuid.NewString(), OrgPPAGUID: uuid.NewString()}, r, notes)
	if err != nil {
		t.Fatal(err)
	}
	return doc, req
}

// gisItems are a package's recipient (for bank notifications) and items,
// with extra appended to their free text.
func gisItems(op gismessage.Operation, items int, extra string) (*gismessage.Recipient, []gismessage.Notification) {
	notes := make([]gismessage.Notification, items)
	for i := range notes {
		notes[i] = gismessage.Notification{TransportGUID: uuid.NewString(), OrderID: fmt.Sprintf("%032d", i),
			OrderDate: calendar.FromYMD(2026, 11, 21), Amount: money.Kopecks(150000 + i), PaymentDocumentID: "12АБ345678-01-6101",
			AccountNumber: "ЛС-000123", Month: 10, Year: 2026,
			Purpose: `Взнос на капитальный ремонт за октябрь 2026 г., лицевой счёт 000123 & пени` + extra}
	}
	var r *gismessage.Recipient
	if op == gismessage.Notifications {
		r = &gismessage.Recipient{INN: "7701234567", KPP: "770101001", Name: `Фонд капитального ремонта многоквартирных домов города "Москва"` + extra,
			BankName: "ПАО Сбербанк" + extra, BankBIK: "044525225", PaymentRecipient: "УФК по г. Москве (Фонд капитального ремонта)" + extra,
			OperatingAccount: "40703810938000012345", CorrespondentAccount: "30101810400000000225"}
	}
	return r, notes
}

func TestSignVerify(t *testing.T) {
	k := testKey(t)
	tests := []struct {
		name string
		doc  func(t *testing.T) *etree.Document
	}{
		{"namespaces on the envelope only", func(t *testing.T) *etree.Document { return parse(t, testEnvelope) }},
		{"supplier package", func(t *testing.T) *etree.Document {
			d, _ := gisRequest(t, gismessage.SupplierNotifications, 3)
			return d
		}},
		{"bank package over several output buffers", func(t *testing.T) *etree.Document { d, _ := gisRequest(t, gismessage.Notifications, 100); return d }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc(t)
			if err := (&Signer{Key: k}).Sign(request(doc)); err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(request(doc)); err != nil {
				t.Errorf("in memory: %v", err)
			}
			received := request(reparse(t, doc))
			cert, err := Verify(received)
			if err != nil {
				t.Fatalf("after a round trip: %v", err)
			}
			if !slices.Equal(cert.Raw, k.cert.Raw) {
				t.Error("Verify returned another certificate")
			}
			if v, err := xsdcheck.New(xsdcheck.PaymentTypes); err == nil {
				if err := v.Element(received); err != nil {
					t.Errorf("the signed request does not validate: %v", err)
				}
			}
		})
	}
}

// The signature has exactly the elements, order, Ids and algorithms of the
// profile in the package comment, nothing more.
func TestSignatureShape(t *testing.T) {
	doc := parse(t, testEnvelope)
	k := testKey(t)
	// A fixed moment inside the test certificate's validity (the signer refuses others).
	at := k.Certificate().NotBefore.Add(time.Hour + 5*time.Millisecond)
	now := func() time.Time { return at }
	if err := (&Signer{Key: k, Clock: now}).Sign(request(doc)); err != nil {
		t.Fatal(err)
	}
	sig := request(doc).ChildElements()[0]
	id := sig.SelectAttrValue("Id", "")
	if !regexp.MustCompile(`^xmldsig-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("Signature Id %q", id)
	}
	var got []string
	var walk func(el *etree.Element, depth int)
	walk = func(el *etree.Element, depth int) {
		line := strings.Repeat(" ", depth) + el.FullTag()
		for _, a := range el.Attr {
			if a.Space != "xmlns" {
				line += " " + a.FullKey() + "=" + strings.ReplaceAll(a.Value, id, "ID")
			}
		}
		if el.Tag == "SigningTime" || el.Tag == "X509IssuerName" || el.Tag == "X509SerialNumber" {
			line += " " + el.Text()
		}
		got = append(got, line)
		for _, c := range el.ChildElements() {
			walk(c, depth+1)
		}
	}
	walk(sig, 0)
	want := []string{
		"ds:Signature Id=ID",
		" ds:SignedInfo",
		"  ds:CanonicalizationMethod Algorithm=http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
		"  ds:SignatureMethod Algorithm=urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
		"  ds:Reference Id=ID-ref0 URI=#signed-data-container",
		"   ds:Transforms",
		"    ds:Transform Algorithm=http://www.w3.org/2000/09/xmldsig#enveloped-signature",
		"    ds:Transform Algorithm=http://www.w3.org/2001/10/xml-exc-c14n#",
		"   ds:DigestMethod Algorithm=urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
		"   ds:DigestValue",
		"  ds:Reference Type=http://uri.etsi.org/01903#SignedProperties URI=#ID-signedprops",
		"   ds:DigestMethod Algorithm=urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
		"   ds:DigestValue",
		" ds:SignatureValue Id=ID-sigvalue",
		" ds:KeyInfo",
		"  ds:X509Data",
		"   ds:X509Certificate",
		" ds:Object",
		"  xades:QualifyingProperties Target=#ID",
		"   xades:SignedProperties Id=ID-signedprops",
		"    xades:SignedSignatureProperties",
		"     xades:SigningTime " + calendar.Timestamp(at),
		"     xades:SigningCertificate",
		"      xades:Cert",
		"       xades:CertDigest",
		"        ds:DigestMethod Algorithm=urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
		"        ds:DigestValue",
		"       xades:IssuerSerial",
		"        ds:X509IssuerName CN=gis-payments test,O=Test,C=RU",
		"        ds:X509SerialNumber " + k.cert.SerialNumber.String(),
	}
	if !slices.Equal(got, want) {
		t.Errorf("signature:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v, _ := decode(sig.FindElement("ds:SignatureValue")); len(v) != 64 {
		t.Errorf("SignatureValue has %d bytes", len(v))
	}
	if ns := sig.FindElement(".//xades:QualifyingProperties").SelectAttrValue("xmlns:xades", ""); ns != NsXAdES {
		t.Errorf("xmlns:xades = %q", ns)
	}
}

// Signing inserts the signature and changes nothing else.
func TestSignOnlyInserts(t *testing.T) {
	doc := parse(t, testEnvelope)
	before, _ := doc.WriteToString()
	req := request(doc)
	if err := (&Signer{Key: testKey(t)}).Sign(req); err != nil {
		t.Fatal(err)
	}
	req.RemoveChildAt(0)
	if after, _ := doc.WriteToString(); after != before {
		t.Errorf("the document changed:\n%s\nwas:\n%s", after, before)
	}
}

func TestSignRefuses(t *testing.T) {
	tests := []struct {
		name string
		el   func(t *testing.T) *etree.Element
	}{
		{"no Id", func(t *testing.T) *etree.Element {
			req := request(parse(t, testEnvelope))
			req.RemoveAttr("Id")
			return req
		}},
		{"already signed", func(t *testing.T) *etree.Element { return request(signedEnvelope(t)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := tt.el(t)
			n := len(el.ChildElements())
			if err := (&Signer{Key: testKey(t)}).Sign(el); err == nil {
				t.Error("signed")
			}
			if len(el.ChildElements()) != n {
				t.Error("the element changed")
			}
		})
	}
}

// Other signers canonicalize SignedInfo with exclusive C14N; the verifier
// follows CanonicalizationMethod.
func TestVerifyExclusiveSignedInfo(t *testing.T) {
	k := testKey(t)
	doc := signedEnvelope(t)
	sig := request(doc).ChildElements()[0]
	si := sig.FindElement("ds:SignedInfo")
	si.FindElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", ExcC14N)
	if _, err := Verify(request(doc)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an inclusive signature verified as exclusive: %v", err)
	}
	c14n, err := exclusiveC14N(si, nil)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := sign(k.priv, k.base(), digest(c14n), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sig.FindElement("ds:SignatureValue").SetText(b64(sv))
	if _, err := Verify(request(reparse(t, doc))); err != nil {
		t.Error(err)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	other := otherKey(t)
	tests := []struct {
		name   string
		tamper func(doc *etree.Document)
	}{
		{"amount", func(doc *etree.Document) { doc.FindElement("//pm:Amount").SetText("1500.01") }},
		{"an item removed", func(doc *etree.Document) { request(doc).RemoveChild(request(doc).ChildElements()[2]) }},
		{"signing time", func(doc *etree.Document) {
			doc.FindElement("//xades:SigningTime").SetText("2020-01-01T00:00:00.000+03:00")
		}},
		{"certificate swapped", func(doc *etree.Document) { doc.FindElement("//ds:X509Certificate").SetText(b64(other.cert.Raw)) }},
		{"certificate and SigningCertificate swapped", func(doc *etree.Document) {
			doc.FindElement("//ds:X509Certificate").SetText(b64(other.cert.Raw))
			doc.FindElement("//xades:CertDigest/ds:DigestValue").SetText(b64(digest(other.cert.Raw)))
			doc.FindElement("//ds:X509SerialNumber").SetText(other.cert.SerialNumber.String())
		}},
		{"signature value", func(doc *etree.Document) {
			v := doc.FindElement("//ds:SignatureValue")
			raw, _ := decode(v)
			raw[10] ^= 1
			v.SetText(b64(raw))
		}},
		{"reference to a missing element", func(doc *etree.Document) { request(doc).CreateAttr("Id", "another-id") }},
		{"Id moved to another element", func(doc *etree.Document) {
			request(doc).RemoveAttr("Id")
			request(doc).ChildElements()[1].CreateAttr("Id", "signed-data-container")
		}},
		{"SignedProperties reference to a missing element", func(doc *etree.Document) {
			doc.FindElement("//xades:SignedProperties").CreateAttr("Id", "elsewhere")
		}},
		{"QualifyingProperties aimed elsewhere", func(doc *etree.Document) {
			doc.FindElement("//xades:QualifyingProperties").CreateAttr("Target", "#elsewhere")
		}},
		{"a used prefix rebound on the envelope", func(doc *etree.Document) {
			doc.Root().CreateAttr("xmlns:bills", "urn:other")
		}},
		// Inclusive C14N of SignedInfo renders the envelope's namespaces:
		// the sender must not touch the envelope after signing.
		{"a namespace added to the envelope", func(doc *etree.Document) { doc.Root().CreateAttr("xmlns:x", "urn:x") }},
		{"signature not the first child", func(doc *etree.Document) {
			req := request(doc)
			sig := req.ChildElements()[0]
			req.RemoveChild(sig)
			req.AddChild(sig)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := signedEnvelope(t)
			tt.tamper(doc)
			_, err := Verify(request(reparse(t, doc)))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify after tampering: %v", err)
			}
			t.Log(err)
		})
	}
}

func benchmarkSign(b *testing.B, op gismessage.Operation, items int) {
	doc, req := gisRequest(b, op, items)
	s := &Signer{Key: testKey(b)}
	for b.Loop() {
		if err := s.Sign(req); err != nil {
			b.Fatal(err)
		}
		req.RemoveChildAt(0)
	}
	data, _ := doc.WriteToBytes()
	b.ReportMetric(float64(len(data)), "request-bytes")
}

// BenchmarkSign250 signs full packages of 250: supplier notifications (the
// УК/РСО maximum) and bank notifications.
func BenchmarkSign250(b *testing.B) {
	b.Run("supplier", func(b *testing.B) { benchmarkSign(b, gismessage.SupplierNotifications, 250) })
	b.Run("bank", func(b *testing.B) { benchmarkSign(b, gismessage.Notifications, 250) })
}

// BenchmarkSign500 signs a full package of bank notifications (the УФКР maximum).
func BenchmarkSign500(b *testing.B) { benchmarkSign(b, gismessage.Notifications, 500) }
