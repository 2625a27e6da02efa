package gismessage

import (
	"strings"
	"testing"
)

// Signed as every request is, the query validates against the official
// schema (ЕЛС of a period, base:version 13.1.0.1) and verifies.
func TestSignedDocumentQueryValidates(t *testing.T) {
	payment := paymentSchema(t)
	doc, req, err := BuildDocumentQuery(header, DocumentQuery{UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10})
	if err != nil {
		t.Fatal(err)
	}
	signValid(t, payment, req)
	if got := doc.FindElement("//pm:exportPaymentDocumentDetailsRequest").SelectAttrValue("base:version", ""); got != DocumentDetailsVersion {
		t.Errorf("version %q", got)
	}
	// The validator must refuse what Check refuses, or the above proves nothing.
	req.FindElement("acc:UnifiedAccountNumber").SetText("12АБ34567")
	if err := payment.Element(req); err == nil {
		t.Error("the schema accepted a 9-character ЕЛС")
	}
}

func TestDocumentQueryCheck(t *testing.T) {
	for _, tt := range []struct {
		q    DocumentQuery
		want string
	}{
		{DocumentQuery{UnifiedAccountNumber: "123", Year: 2026, Month: 1}, "must be 10 characters"},
		{DocumentQuery{UnifiedAccountNumber: "12345\t7890", Year: 2026, Month: 1}, "tab"},
		{DocumentQuery{UnifiedAccountNumber: "1234567890", Year: 2026, Month: 13}, "out of range"},
		{DocumentQuery{UnifiedAccountNumber: "1234567890"}, "out of range"},
	} {
		if _, _, err := BuildDocumentQuery(header, tt.q); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.q, err, tt.want)
		}
	}
}
