package xades

import (
	"bytes"
	"testing"

	"github.com/beevik/etree"
)

// testEnvelope is a supplier request whose namespaces, used and unused, are
// all declared on the Envelope, as gisxml writes them.
const testEnvelope = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" xmlns:pm="http://dom.gosuslugi.ru/schema/integration/payment/" xmlns:bills="http://dom.gosuslugi.ru/schema/integration/bills-base/" xmlns:acc="http://dom.gosuslugi.ru/schema/integration/account-base/">
<soapenv:Header><base:RequestHeader><base:Date>2026-11-21T10:00:00.000+03:00</base:Date><base:MessageGUID>5f0b7c2e-0c64-4d8c-9d7b-1b2f8a7d6e01</base:MessageGUID><base:orgPPAGUID>0e6d2b1a-3c4f-4a5b-8c9d-7e6f5a4b3c2d</base:orgPPAGUID></base:RequestHeader></soapenv:Header>
<soapenv:Body><pm:importSupplierNotificationsOfOrderExecutionRequest Id="signed-data-container" base:version="10.0.1.1">
<pm:SupplierNotificationOfOrderExecution><pm:OrderDate>2026-11-21</pm:OrderDate><pm:OrderPeriod><base:Month>10</base:Month><base:Year>2026</base:Year></pm:OrderPeriod><bills:PaymentDocumentID>12АБ345678-01-6101</bills:PaymentDocumentID><pm:Amount>1500.00</pm:Amount><base:TransportGUID>8d1e6b1c-2f3a-4b5c-9d8e-7f6a5b4c3d21</base:TransportGUID></pm:SupplierNotificationOfOrderExecution>
<pm:SupplierNotificationOfOrderExecution><pm:OrderDate>2026-11-20</pm:OrderDate><acc:ServiceID>12АБ345678901</acc:ServiceID><pm:Amount>99.50</pm:Amount><base:TransportGUID>1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d</base:TransportGUID></pm:SupplierNotificationOfOrderExecution>
</pm:importSupplierNotificationsOfOrderExecutionRequest></soapenv:Body></soapenv:Envelope>`

// ownExclusive is writeExclusive into memory.
func ownExclusive(el *etree.Element) ([]byte, error) {
	var b bytes.Buffer
	err := writeExclusive(&b, el, nil)
	return b.Bytes(), err
}

func parse(t testing.TB, xml string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		t.Fatal(err)
	}
	return doc
}

// Exclusive C14N of the request in its envelope declares on each element
// only the namespaces it uses that no output ancestor declared.
func TestExclusiveC14NInEnvelope(t *testing.T) {
	req := parse(t, testEnvelope).FindElement("//pm:importSupplierNotificationsOfOrderExecutionRequest")
	const pm = `xmlns:pm="http://dom.gosuslugi.ru/schema/integration/payment/"`
	const base = `xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/"`
	want := `<pm:importSupplierNotificationsOfOrderExecutionRequest ` + base + ` ` + pm + ` Id="signed-data-container" base:version="10.0.1.1">
<pm:SupplierNotificationOfOrderExecution><pm:OrderDate>2026-11-21</pm:OrderDate><pm:OrderPeriod><base:Month>10</base:Month><base:Year>2026</base:Year></pm:OrderPeriod>` +
		`<bills:PaymentDocumentID xmlns:bills="http://dom.gosuslugi.ru/schema/integration/bills-base/">12АБ345678-01-6101</bills:PaymentDocumentID><pm:Amount>1500.00</pm:Amount><base:TransportGUID>8d1e6b1c-2f3a-4b5c-9d8e-7f6a5b4c3d21</base:TransportGUID></pm:SupplierNotificationOfOrderExecution>
<pm:SupplierNotificationOfOrderExecution><pm:OrderDate>2026-11-20</pm:OrderDate><acc:ServiceID xmlns:acc="http://dom.gosuslugi.ru/schema/integration/account-base/">12АБ345678901</acc:ServiceID><pm:Amount>99.50</pm:Amount><base:TransportGUID>1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d</base:TransportGUID></pm:SupplierNotificationOfOrderExecution>
</pm:importSupplierNotificationsOfOrderExecutionRequest>`
	lib, err := exclusiveC14N(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	own, err := ownExclusive(req)
	if err != nil {
		t.Fatal(err)
	}
	if string(lib) != want {
		t.Errorf("goxmldsig:\n%s\nwant:\n%s", lib, want)
	}
	if string(own) != want {
		t.Errorf("writeExclusive:\n%s\nwant:\n%s", own, want)
	}
}

// Inclusive C14N of an element in its envelope renders every namespace in
// scope, in prefix order.
func TestInclusiveC14NInEnvelope(t *testing.T) {
	amount := parse(t, testEnvelope).FindElement("//pm:Amount")
	want := `<pm:Amount xmlns:acc="http://dom.gosuslugi.ru/schema/integration/account-base/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" xmlns:bills="http://dom.gosuslugi.ru/schema/integration/bills-base/" xmlns:pm="http://dom.gosuslugi.ru/schema/integration/payment/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">1500.00</pm:Amount>`
	got, err := inclusiveC14N(amount)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// The signer's writer and goxmldsig agree on what the requests can contain
// and on the corners of the algorithm.
func TestWriteExclusiveMatchesLibrary(t *testing.T) {
	tests := []struct{ name, xml, path string }{
		{"request in envelope", testEnvelope, "//pm:importSupplierNotificationsOfOrderExecutionRequest"},
		{"escaping", `<r:root xmlns:r="urn:r"><r:x a="&lt;&quot;&#xA;&#x9;&#xD;&amp;>'">t &amp; &lt; &gt; &#xD; "'ü</r:x></r:root>`, "/r:root"},
		{"attribute order", `<r:root xmlns:r="urn:r" xmlns:a="urn:a"><r:x b="2" a:z="1" a="1"/></r:root>`, "/r:root"},
		{"prefix redeclared", `<r:root xmlns:r="urn:r" xmlns:a="urn:a"><a:y xmlns:a="urn:other"><a:z/></a:y><a:w/></r:root>`, "/r:root"},
		{"default namespace", `<root xmlns="urn:d" xmlns:p="urn:p"><child><p:x><inner xmlns=""/></p:x></child></root>`, "/root"},
		{"inner element of a default namespace", `<root xmlns="urn:d"><child><leaf>x</leaf></child></root>`, "/root/child"},
		{"comments and processing instructions", `<r:root xmlns:r="urn:r"><!-- gone --><?pi data?><r:x/></r:root>`, "/r:root"},
		{"CDATA", `<r:root xmlns:r="urn:r"><![CDATA[a < b & c]]></r:root>`, "/r:root"},
		{"xml attributes", `<r:root xmlns:r="urn:r"><r:x xml:lang="ru"/></r:root>`, "/r:root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := parse(t, tt.xml).FindElement(tt.path)
			lib, err := exclusiveC14N(el, nil)
			if err != nil {
				t.Fatal(err)
			}
			own, err := ownExclusive(el)
			if err != nil {
				t.Fatal(err)
			}
			if string(own) != string(lib) {
				t.Errorf("writeExclusive:\n%s\ngoxmldsig:\n%s", own, lib)
			}
		})
	}
}

// With the signature left out (the enveloped-signature transform), as
// the verifier hashes a signed request, both canonicalizers agree too.
func TestWriteExclusiveSkipsTheSignature(t *testing.T) {
	el := parse(t, testEnvelope).FindElement("//pm:importSupplierNotificationsOfOrderExecutionRequest")
	before, err := exclusiveC14N(el, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NsDS)
	el.InsertChildAt(0, sig)
	lib, err := exclusiveC14N(el, sig)
	if err != nil {
		t.Fatal(err)
	}
	var own bytes.Buffer
	if err := writeExclusive(&own, el, sig); err != nil {
		t.Fatal(err)
	}
	if own.String() != string(lib) || own.String() != string(before) {
		t.Errorf("writeExclusive without the signature:\n%s\ngoxmldsig:\n%s\nbefore signing:\n%s", own.String(), lib, before)
	}
}

func TestWriteExclusiveUndeclaredPrefix(t *testing.T) {
	el := etree.NewElement("p:x")
	if _, err := ownExclusive(el); err == nil {
		t.Error("an undeclared prefix was written")
	}
}

// Attributes sort by namespace URI, then local name (xml-c14n §2.2: "lexicographic
// order with namespace URI as the primary key"), where goxmldsig looks at
// local names first.
func TestWriteExclusiveSortsAttributesByNamespace(t *testing.T) {
	el := parse(t, `<r:x xmlns:r="urn:r" xmlns:a="urn:z" xmlns:b="urn:a" a:p="1" b:q="2" c="3"/>`).Root()
	want := `<r:x xmlns:a="urn:z" xmlns:b="urn:a" xmlns:r="urn:r" c="3" b:q="2" a:p="1"></r:x>`
	if got, err := ownExclusive(el); err != nil || string(got) != want {
		t.Errorf("got  %s (%v)\nwant %s", got, err, want)
	}
}
