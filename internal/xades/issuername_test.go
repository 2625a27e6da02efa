package xades

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/deatil/go-cryptobin/pubkey/gost"
	"github.com/deatil/go-cryptobin/x509"
	"github.com/gispayments/gis-payments/internal/clock"
)

// issuerSubject is a CA name as Russian qualified certificates carry it:
// Cyrillic values, street, INN, OGRN, SNILS, emailAddress, and characters
// RFC 4514 escapes (quotes, a comma, a leading and a trailing space).
const issuerSubject = `/C=RU/ST=77 г. Москва/L=Москва/street=ул. Сущёвский вал, д. 18/O=ООО "Тест; Плюс"+OU=УЦ` +
	`/CN= Тестовый УЦ <1>#2 /INN=007710000001/OGRN=1027700000001/SNILS=12345678901/OGRNIP=304770000000012/emailAddress=ca@example.ru`

// TestIssuerNameAsOpenSSL compares our X509IssuerName with what OpenSSL
// prints for the same certificate (-nameopt RFC2253,-esc_msb: RFC 2253 with
// UTF-8 left as it is, as it goes into XML). No spelling differs.
func TestIssuerNameAsOpenSSL(t *testing.T) {
	o := newOpenSSL(t)
	o.must("req", "-x509", "-newkey", "gost2012_256", "-pkeyopt", "paramset:A", "-nodes", "-utf8",
		"-keyout", o.dir+"/key.pem", "-out", o.dir+"/cert.pem", "-days", "30", "-subj", issuerSubject)
	want := strings.TrimSpace(strings.TrimPrefix(o.must("x509", "-in", o.dir+"/cert.pem", "-noout", "-issuer", "-nameopt", "RFC2253,-esc_msb"), "issuer="))
	want = want[strings.LastIndex(want, "issuer=")+len("issuer="):] // after the engine's banner
	block, _ := pem.Decode(o.read(o.dir + "/cert.pem"))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := IssuerName(cert.RawIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("X509IssuerName\n got %s\nwant %s (OpenSSL)", got, want)
	}
	if !sameName(got, cert.Issuer.Names) {
		t.Errorf("the verifier's parser does not read %s as the issuer", got)
	}
	// The whole signature with this certificate: the key OpenSSL made signs
	// and the verifier takes the name.
	k, err := ParseKey(o.read(o.dir+"/key.pem"), o.read(o.dir+"/cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	doc := parse(t, testEnvelope)
	if err := (&Signer{Key: k}).Sign(request(doc)); err != nil {
		t.Fatal(err)
	}
	if name := doc.FindElement("//ds:X509IssuerName").Text(); name != want {
		t.Errorf("signed X509IssuerName %s", name)
	}
	if _, err := Verify(request(doc)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// selfSigned makes a certificate whose issuer is the raw name given.
func selfSigned(t *testing.T, rawName []byte, notBefore, notAfter time.Time) *Key {
	t.Helper()
	priv, err := gost.GenerateKey(rand.Reader, gost.CurveIdGostR34102001CryptoProAParamSet())
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), RawSubject: rawName, NotBefore: notBefore, NotAfter: notAfter,
		SignatureAlgorithm: x509.GOST3410WithGOST34112012256}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return newKey(priv, cert)
}

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type atvSET []atv

func str(tag int, s string) asn1.RawValue { return asn1.RawValue{Tag: tag, Bytes: []byte(s)} }

func bmp(s string) asn1.RawValue {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return asn1.RawValue{Tag: asn1.TagBMPString, Bytes: b}
}

// TestIssuerNameRoundTrip: what the writer writes, the verifier's parser
// (dn.go) reads back as the certificate's attributes, for every string
// type, the Russian attributes, an unknown OID (#hex) and escapes.
func TestIssuerNameRoundTrip(t *testing.T) {
	oid := func(s ...int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier(s) }
	name := []atvSET{
		{{oid(2, 5, 4, 6), str(asn1.TagPrintableString, "RU")}},
		{{oid(2, 5, 4, 8), bmp("Санкт-Петербург")}},
		{{oid(2, 5, 4, 9), str(asn1.TagUTF8String, "Невский пр., д. 1 + корп. 2")}},
		{{oid(1, 2, 643, 100, 4), str(asn1.TagNumericString, "7810000001")}, {oid(1, 2, 643, 100, 1), str(asn1.TagNumericString, "1027800000001")}},
		{{oid(1, 2, 643, 3, 131, 1, 1), str(asn1.TagNumericString, "007810000001")}},
		{{oid(1, 2, 643, 100, 5), str(asn1.TagNumericString, "304780000000012")}},
		{{oid(1, 2, 643, 100, 3), str(asn1.TagNumericString, "12345678901")}},
		{{oid(1, 2, 840, 113549, 1, 9, 1), str(asn1.TagIA5String, "ca@example.ru")}},
		{{oid(1, 2, 3, 4), str(asn1.TagUTF8String, "unknown")}},
		{{oid(2, 5, 4, 3), str(asn1.TagUTF8String, `#1 "УЦ"\ <тест>;  `)}},
	}
	raw, err := asn1.Marshal(name)
	if err != nil {
		t.Fatal(err)
	}
	k := selfSigned(t, raw, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	got, err := IssuerName(k.cert.RawIssuer)
	if err != nil {
		t.Fatal(err)
	}
	want := `CN=\#1 \"УЦ\"\\ \<тест\>\; \ ,1.2.3.4=#0C07756E6B6E6F776E,emailAddress=ca@example.ru,SNILS=12345678901,` +
		`OGRNIP=304780000000012,INN=007810000001,OGRN=1027800000001+INNLE=7810000001,street=Невский пр.\, д. 1 \+ корп. 2,` +
		`ST=Санкт-Петербург,C=RU`
	if got != want {
		t.Errorf("X509IssuerName\n got %s\nwant %s", got, want)
	}
	if !sameName(got, k.cert.Issuer.Names) {
		t.Errorf("the verifier's parser does not read %s as the issuer %v", got, k.cert.Issuer.Names)
	}
	if sameName(strings.Replace(got, "SNILS=12345678901", "SNILS=12345678902", 1), k.cert.Issuer.Names) {
		t.Error("another SNILS passed as the same name")
	}
	// The verifier takes a whole signature made with this certificate.
	doc := parse(t, testEnvelope)
	if err := (&Signer{Key: k}).Sign(request(doc)); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(request(doc)); err != nil {
		t.Errorf("verify: %v", err)
	}
	if _, err := IssuerName([]byte{0x30, 0x03, 0x02, 0x01, 0x00}); err == nil {
		t.Error("a name that is no RDN sequence was written")
	}
}

// TestSignerRefusesInvalidCertificate: an expired or not yet valid
// certificate signs nothing, at the moment of signing.
func TestSignerRefusesInvalidCertificate(t *testing.T) {
	raw, _ := asn1.Marshal(pkix.Name{CommonName: "expiry"}.ToRDNSequence())
	notBefore := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := time.Date(2026, 12, 31, 21, 0, 0, 0, time.UTC)
	k := selfSigned(t, raw, notBefore, notAfter)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{notAfter.Add(time.Second), "the signing certificate (CN=expiry) expired on 2026-12-31 21:00:00 UTC"},
		{notBefore.Add(-time.Second), "the signing certificate (CN=expiry) is not valid before 2026-01-01 00:00:00 UTC"},
	} {
		doc := parse(t, testEnvelope)
		err := (&Signer{Key: k, Clock: clock.At(c.at)}).Sign(request(doc))
		var verr *CertificateValidityError
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("at %v: %v", c.at, err)
		}
		if len(request(doc).ChildElements()) > 0 && request(doc).ChildElements()[0].Tag == "Signature" {
			t.Error("a signature was inserted")
		}
	}
	at := notAfter.Add(-36 * time.Hour)
	if err := (&Signer{Key: k, Clock: clock.At(at)}).Sign(request(parse(t, testEnvelope))); err != nil {
		t.Errorf("inside the validity: %v", err)
	}
	if d := k.DaysLeft(at); d != 1 {
		t.Errorf("DaysLeft = %d, want 1", d)
	}
}
