package gismessage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xades"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

var recipient = &Recipient{INN: "7702345678", KPP: "770201001", Name: `НО «Фонд капремонта» & "Ко"`,
	BankName: "ПАО Сбербанк", BankBIK: "044525225", PaymentRecipient: "НО «Фонд капремонта»",
	OperatingAccount: "40703810938000000001", CorrespondentAccount: "30101810400000000225"}

var header = Header{Date: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), MessageGUID: uuid.NewString(),
	OrgPPAGUID: "8a2d4c6e-1f3b-4a5c-8d7e-9f0a1b2c3d4e", OperatorSignature: true}

// items makes n awkward notifications: Cyrillic, quotes, ampersands and
// angle brackets in purposes, kopecks, large amounts, optional fields
// present and absent in turn.
func items(n int) []Notification {
	out := make([]Notification, n)
	for i := range out {
		out[i] = Notification{
			TransportGUID: uuid.NewString(),
			OrderID:       fmt.Sprintf("%032x", i+1),
			OrderDate:     calendar.FromYMD(2026, 11, 21),
			Amount:        money.Kopecks(1 + i*99_999_937%10_000_000_000_00),
			Purpose:       fmt.Sprintf(`Оплата "ЖКУ" & пени <ноябрь> №%d`, i),
			AccountNumber: fmt.Sprintf("ЛС-%08d", i),
		}
		switch i % 3 {
		case 0:
			out[i].PaymentDocumentID = "12АБ345678-01-6101"
			out[i].Month, out[i].Year = 10, 2026
		case 1:
			out[i].ServiceID = "12АБ345678-01"
			out[i].UnifiedAccountNumber = "12АБ345678"
		default:
			out[i].PaymentDocumentID = "99ЯЯ999999-99-9999"
		}
	}
	return out
}

func TestRequestsValidateAgainstTheOfficialSchema(t *testing.T) {
	payment := paymentSchema(t)
	base, _ := xsdcheck.New(xsdcheck.Base)
	for _, op := range []Operation{Notifications, SupplierNotifications} {
		for _, n := range []int{1, 250, 251, 500, 501} {
			t.Run(fmt.Sprintf("%s/%d", op, n), func(t *testing.T) {
				doc, req, err := Build(op, header, recipient, items(n))
				if n > op.MaxItems() {
					if err == nil {
						t.Fatalf("built %d items for %s", n, op)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := payment.Element(req); err != nil {
					t.Fatal(err)
				}
				if err := base.Element(doc.FindElement("//base:RequestHeader")); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// The validator itself must catch a broken request, or the test above proves nothing.
func TestSchemaRejectsBrokenRequests(t *testing.T) {
	payment := paymentSchema(t)
	tests := []struct {
		name  string
		op    Operation
		spoil func(doc string) string
	}{
		{"rubles with one decimal", SupplierNotifications, func(d string) string {
			return strings.Replace(d, "<pm:Amount>0.01</pm:Amount>", "<pm:Amount>0.5</pm:Amount>", 1)
		}},
		{"kopecks with a fraction", Notifications, func(d string) string {
			return strings.Replace(d, "<pb:Amount>1</pb:Amount>", "<pb:Amount>1.5</pb:Amount>", 1)
		}},
		{"no RecipientInfo", Notifications, func(d string) string {
			i, j := strings.Index(d, "<pb:RecipientInfo>"), strings.Index(d, "</pb:RecipientInfo>")
			return d[:i] + d[j+len("</pb:RecipientInfo>"):]
		}},
		{"Year after Month in OrderPeriod", SupplierNotifications, func(d string) string {
			return strings.Replace(d, "<base:Month>10</base:Month><base:Year>2026</base:Year>", "<base:Year>2026</base:Year><base:Month>10</base:Month>", 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, req, err := Build(tt.op, header, recipient, items(1))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range prefixes {
				req.CreateAttr("xmlns:"+p.prefix, p.ns)
			}
			doc.SetRoot(req)
			s, _ := doc.WriteToString()
			spoiled := tt.spoil(s)
			if spoiled == s {
				t.Fatalf("the spoiler changed nothing in:\n%s", s)
			}
			if err := payment.Bytes([]byte(spoiled)); err == nil {
				t.Errorf("schema accepted:\n%s", spoiled)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	good := items(1)[0]
	tests := []struct {
		name   string
		op     Operation
		change func(*Notification)
		want   string
	}{
		{"short order id", Notifications, func(n *Notification) { n.OrderID = "123" }, "order_id \"123\" must be 32 characters"},
		{"zero amount", Notifications, func(n *Notification) { n.Amount = 0 }, "not positive"},
		{"payment document id length", SupplierNotifications, func(n *Notification) { n.PaymentDocumentID = "12АБ" }, "must be 18 characters"},
		{"no document nor service for a supplier", SupplierNotifications, func(n *Notification) { n.PaymentDocumentID, n.ServiceID = "", "" },
			"neither payment_document_id nor gis_service_id"},
		{"no identification for a bank notification", Notifications, func(n *Notification) {
			n.PaymentDocumentID, n.ServiceID, n.UnifiedAccountNumber, n.AccountNumber = "", "", "", ""
		}, "no payer identification"},
		{"unified account length", Notifications, func(n *Notification) { n.UnifiedAccountNumber = "123" }, "must be 10 characters"},
		{"supplier amount too large", SupplierNotifications, func(n *Notification) { n.Amount = 100_000_000_000_00 }, "exceeds 11 integer digits"},
		{"a purpose of 1000 Cyrillic characters (2000 bytes)", Notifications, func(n *Notification) { n.Purpose = strings.Repeat("Ж", 1000) }, ""},
		{"a purpose of 1001 characters", Notifications, func(n *Notification) { n.Purpose = strings.Repeat("Ж", 1001) }, "longer than 1000 characters"},
		{"order id may be short for a supplier", SupplierNotifications, func(n *Notification) { n.OrderID = "1" }, ""},
	}
	for _, tt := range tests {
		n := good
		tt.change(&n)
		err := tt.op.Check(&n)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := CheckRecipient(&Recipient{INN: "7702345678"}); err == nil {
		t.Error("a recipient without requisites passed")
	}
}

// poisons are values that the signer's canonical form and the serialized
// XML (or the receiver's parser) used to read differently: CR and CRLF,
// which XML parsers turn into LF; characters XML 1.0 does not allow, which
// the serializer replaced; invalid UTF-8.
var poisons = map[string]string{
	"CRLF":          "до\r\nпосле",
	"lone CR":       "до\rпосле",
	"LF":            "до\nпосле",
	"TAB":           "до\tпосле",
	"VT":            "до\vпосле",
	"ESC":           "до\x1bпосле",
	"NUL":           "до\x00после",
	"U+FFFE":        "до\ufffeпосле",
	"U+FFFF":        "до\uffffпосле",
	"invalid UTF-8": "до\xffпосле",
}

// Every free-text field takes any poison and the package still verifies
// after a round trip through bytes, and still validates.
func TestPoisonedTextSurvivesSigning(t *testing.T) {
	key, err := xades.GenerateTestKey()
	if err != nil {
		t.Fatal(err)
	}
	payment, xsdErr := xsdcheck.New(xsdcheck.PaymentTypes)
	fields := map[string]func(*Recipient, *Notification, string){
		"payment purpose":   func(_ *Recipient, n *Notification, v string) { n.Purpose = v },
		"organisation name": func(r *Recipient, _ *Notification, v string) { r.Name = v },
		"bank name":         func(r *Recipient, _ *Notification, v string) { r.BankName = v },
		"payment recipient": func(r *Recipient, _ *Notification, v string) { r.PaymentRecipient = v },
	}
	for field, set := range fields {
		for poison, value := range poisons {
			t.Run(field+"/"+poison, func(t *testing.T) {
				r := *recipient
				list := items(2)
				set(&r, &list[0], value)
				if err := Notifications.Check(&list[0]); err != nil {
					t.Fatalf("free text held back: %v", err)
				}
				if err := CheckRecipient(&r); err != nil {
					t.Fatalf("recipient refused: %v", err)
				}
				doc, req, err := Build(Notifications, header, &r, list)
				if err != nil {
					t.Fatal(err)
				}
				if err := (&xades.Signer{Key: key}).Sign(req); err != nil {
					t.Fatal(err)
				}
				data, err := doc.WriteToBytes()
				if err != nil {
					t.Fatal(err)
				}
				back := etree.NewDocument()
				if err := back.ReadFromBytes(data); err != nil {
					t.Fatalf("the package does not parse: %v", err)
				}
				got := back.FindElement("//soapenv:Body/*")
				if _, err := xades.Verify(got); err != nil {
					t.Errorf("after a round trip: %v", err)
				}
				if _, err := xades.VerifyEnvelope(data); err != nil {
					t.Errorf("from the bytes: %v", err)
				}
				if xsdErr == nil {
					if err := payment.Element(got); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
}

// Identifiers are not cleaned but held back: a changed account number
// would place the payment elsewhere, and AccountNumber's pattern refuses
// a line break anyway.
func TestPoisonedIdentifiersAreHeld(t *testing.T) {
	fields := map[string]func(*Notification, string){
		"account_number":         func(n *Notification, v string) { n.AccountNumber = "ЛС" + v },
		"order_id":               func(n *Notification, v string) { n.OrderID = v + strings.Repeat("0", 32-len([]rune(v))) },
		"payment_document_id":    func(n *Notification, v string) { n.PaymentDocumentID = v + strings.Repeat("0", 18-len([]rune(v))) },
		"gis_service_id":         func(n *Notification, v string) { n.ServiceID = v + strings.Repeat("0", 13-len([]rune(v))) },
		"unified_account_number": func(n *Notification, v string) { n.UnifiedAccountNumber = v + strings.Repeat("0", 10-len([]rune(v))) },
	}
	for field, set := range fields {
		for poison, value := range poisons {
			n := items(1)[0]
			set(&n, value)
			err := Notifications.Check(&n)
			if err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("%s with %s: %v", field, poison, err)
			}
		}
	}
	r := *recipient
	r.OperatingAccount = "4070381093800000000\n"
	if err := CheckRecipient(&r); err == nil {
		t.Error("an operating account with a line break passed")
	}
}

// paymentSchema is the official payment schema's validator; the test is
// skipped where the schemas are not beside the project.
func paymentSchema(t *testing.T) *xsdcheck.Validator {
	t.Helper()
	v, err := xsdcheck.New(xsdcheck.PaymentTypes)
	if errors.Is(err, xsdcheck.ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signValid signs req as every request is signed, then checks that it
// still validates (the signature is its first child) and verifies.
func signValid(t *testing.T, payment *xsdcheck.Validator, req *etree.Element) {
	t.Helper()
	key, err := xades.GenerateTestKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := (&xades.Signer{Key: key}).Sign(req); err != nil {
		t.Fatal(err)
	}
	if err := payment.Element(req); err != nil {
		t.Fatal(err)
	}
	if _, err := xades.Verify(req); err != nil {
		t.Fatal(err)
	}
}

// IsGUID takes exactly what the schema's GUIDType pattern takes.
func TestIsGUIDIsTheSchemaPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	valid := "0192f5c8-7a1b-7c3d-9e4f-A0B1C2D3E4F5"
	cases := []string{"", valid, valid + "0", valid[1:], strings.ToUpper(valid), "0192f5c87a1b-7c3d-9e4f-a0b1c2d3e4f5-"}
	// Every byte in every position of a valid GUID.
	for i := range len(valid) {
		for c := range 256 {
			cases = append(cases, valid[:i]+string([]byte{byte(c)})+valid[i+1:])
		}
	}
	for _, s := range cases {
		if IsGUID(s) != pattern.MatchString(s) {
			t.Errorf("IsGUID(%q) = %v, the pattern says %v", s, IsGUID(s), !IsGUID(s))
		}
	}
}

// BenchmarkCompose writes a full package of each import: what the packer
// does for every package before signing it.
func BenchmarkCompose(b *testing.B) {
	for _, op := range []Operation{SupplierNotifications, Notifications} {
		list := items(op.MaxItems())
		b.Run(string(op), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compose(op, header, recipient, list); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
