// Package gisxml builds the SOAP messages of the GIS ZhKKh asynchronous
// payment service (PaymentAsync) as the official schemas define them
// (release 16.3.0.0, payment/hcs-payment-types.xsd and lib/). Every
// element sits in the namespace of the schema that declares it: the
// schemas, not guesses, decide.
package gismessage

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xmltext"
)

// Namespaces and the prefixes this package writes them with.
const (
	NsSoap          = "http://schemas.xmlsoap.org/soap/envelope/"
	NsBase          = "http://dom.gosuslugi.ru/schema/integration/base/"
	NsPayment       = "http://dom.gosuslugi.ru/schema/integration/payment/"
	NsPaymentsBase  = "http://dom.gosuslugi.ru/schema/integration/payments-base/"
	NsBills         = "http://dom.gosuslugi.ru/schema/integration/bills-base/"
	NsAccount       = "http://dom.gosuslugi.ru/schema/integration/account-base/"
	NsOrganizations = "http://dom.gosuslugi.ru/schema/integration/organizations-base/"
)

var prefixes = [...]struct{ prefix, ns string }{
	{"soapenv", NsSoap}, {"base", NsBase}, {"pm", NsPayment}, {"pb", NsPaymentsBase},
	{"bills", NsBills}, {"acc", NsAccount}, {"org", NsOrganizations},
}

// Operation is a PaymentAsync import operation; its SOAPAction is "urn:" + it.
type Operation string

const (
	// Notifications is for regional capital-repair funds (УФКР): up to 500
	// items, amounts in kopecks, the recipient's bank requisites required.
	Notifications Operation = "importNotificationsOfOrderExecution"
	// SupplierNotifications is for management companies and resource
	// suppliers (УК/РСО): up to 250 items, amounts in rubles.
	SupplierNotifications Operation = "importSupplierNotificationsOfOrderExecution"
)

// MaxItems is the schema's maxOccurs for each operation.
func (op Operation) MaxItems() int {
	if op == Notifications || op == Cancellations {
		return 500
	}
	return 250
}

// SOAPAction is the HTTP SOAPAction header for the operation.
func (op Operation) SOAPAction() string { return "urn:" + string(op) }

// SchemaVersion is the fixed base:version of the request elements.
const SchemaVersion = "10.0.1.1"

// SignedID is the Id of the request element, which the signature references.
const SignedID = "signed-data-container"

// Header is the RequestHeader.
type Header struct {
	Date              time.Time
	MessageGUID       string
	OrgPPAGUID        string
	OperatorSignature bool // IsOperatorSignature: signed by the information system's operator
}

// Recipient is the organisation payments are made to (RecipientInfo).
type Recipient struct {
	INN, KPP, Name                      string
	BankName, BankBIK, PaymentRecipient string
	OperatingAccount                    string
	CorrespondentAccount                string
}

// Notification is one payment to report.
type Notification struct {
	TransportGUID        string
	OrderID              string
	OrderDate            calendar.Date
	Amount               money.Kopecks
	PaymentDocumentID    string
	ServiceID            string // the GIS ЖКУ id (account-base:ServiceID), not the billing's service code
	UnifiedAccountNumber string
	AccountNumber        string
	Purpose              string
	Month, Year          int // the period paid for; 0 when unknown
}

var accountPattern = regexp.MustCompile(`[0-9а-яА-Яa-zA-Z]`)

// IsGUID reports whether s has the schema's GUIDType form,
// [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:
// checked byte by byte, as every payment's TransportGUID is, going out and
// coming back (a regular expression cost the packer 0.13 s of CPU over
// 300 000 payments).
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// Text is the one way text goes into a request: every value Build writes
// passes through it, so no line break, TAB or character XML 1.0 does not
// allow reaches the signer (see internal/xmltext for why it must not).
func Text(s string) string { return xmltext.Line(s) }

// plain says why an identifier cannot be sent as is: identifiers are held
// back rather than cleaned, since a changed one names another payer.
func plain(name, v string) error {
	if i, _ := xmltext.Unsafe(v); i >= 0 {
		return fmt.Errorf("%s %q contains a line break, tab, control character or invalid UTF-8", name, v)
	}
	return nil
}

// Check says why n cannot be sent with op, or nil. It mirrors the schema's
// limits and the identification GIS needs, so a payment is held back with
// a reason instead of being sent wrong.
func (op Operation) Check(n *Notification) error {
	for _, f := range []struct{ name, v string }{{"order_id", n.OrderID}, {"payment_document_id", n.PaymentDocumentID},
		{"gis_service_id", n.ServiceID}, {"unified_account_number", n.UnifiedAccountNumber}, {"account_number", n.AccountNumber}} {
		if err := plain(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case !IsGUID(n.TransportGUID):
		return fmt.Errorf("TransportGUID %q is not a GUID", n.TransportGUID)
	case n.Amount <= 0:
		return fmt.Errorf("amount %s is not positive", n.Amount)
	case n.PaymentDocumentID != "" && runes(n.PaymentDocumentID) != 18:
		return fmt.Errorf("payment_document_id %q must be 18 characters, it has %d", n.PaymentDocumentID, runes(n.PaymentDocumentID))
	case n.ServiceID != "" && runes(n.ServiceID) != 13:
		return fmt.Errorf("gis_service_id %q must be 13 characters, it has %d", n.ServiceID, runes(n.ServiceID))
	case n.Month != 0 && (n.Month < 1 || n.Month > 12 || n.Year < 1920 || n.Year > 2050):
		return fmt.Errorf("period %02d.%d is out of range", n.Month, n.Year)
	}
	if op == SupplierNotifications {
		if n.PaymentDocumentID == "" && n.ServiceID == "" {
			return fmt.Errorf("neither payment_document_id nor gis_service_id: GIS needs one to place a supplier's payment")
		}
		if n.Amount >= 100_000_000_000*100 { // totalDigits 13 with 2 decimals
			return fmt.Errorf("amount %s exceeds 11 integer digits", n.Amount)
		}
		return nil
	}
	switch {
	case runes(n.OrderID) != 32:
		return fmt.Errorf("order_id %q must be 32 characters for GIS, it has %d", n.OrderID, runes(n.OrderID))
	case runes(Text(n.Purpose)) > 1000:
		return fmt.Errorf("payment_purpose is longer than 1000 characters")
	case n.UnifiedAccountNumber != "" && runes(n.UnifiedAccountNumber) != 10:
		return fmt.Errorf("unified_account_number %q must be 10 characters, it has %d", n.UnifiedAccountNumber, runes(n.UnifiedAccountNumber))
	case n.AccountNumber != "" && (runes(n.AccountNumber) > 30 || !accountPattern.MatchString(n.AccountNumber)):
		return fmt.Errorf("account_number %q must be 1 to 30 characters with a letter or digit", n.AccountNumber)
	case n.PaymentDocumentID == "" && n.UnifiedAccountNumber == "" && n.ServiceID == "" && n.AccountNumber == "":
		return fmt.Errorf("no payer identification: one of payment_document_id, unified_account_number, gis_service_id or account_number is needed")
	}
	return nil
}

// CheckRecipient says why r cannot be used in bank notifications, or nil.
// The names are free text and go through Text; the numbers must be digits
// (a stray line break would break their schema patterns).
func CheckRecipient(r *Recipient) error {
	switch {
	case !digits(r.INN, 10) && !digits(r.INN, 12):
		return fmt.Errorf("organisation INN %q must be 10 or 12 digits", r.INN)
	case len(r.INN) == 10 && !digits(r.KPP, 9):
		return fmt.Errorf("organisation INN %s is a legal entity's, so a 9-digit KPP is required", r.INN)
	case len(r.INN) == 12 && r.KPP != "" && !digits(r.KPP, 9):
		return fmt.Errorf("organisation KPP %q must be 9 digits", r.KPP)
	case strings.TrimSpace(Text(r.BankName)) == "" || strings.TrimSpace(Text(r.PaymentRecipient)) == "" ||
		!digits(r.BankBIK, 9) || !digits(r.OperatingAccount, 20):
		return fmt.Errorf("organisation lacks bank requisites (bank_name, payment_recipient, bank_bik, operating_account as digits): GIS requires RecipientInfo/PaymentInformation")
	case runes(Text(r.BankName)) > 255:
		return fmt.Errorf("bank_name is longer than 255 characters")
	case runes(Text(r.PaymentRecipient)) > 4000:
		return fmt.Errorf("payment_recipient is longer than 4000 characters")
	case r.CorrespondentAccount != "" && !digits(r.CorrespondentAccount, 20):
		return fmt.Errorf("correspondent_account must be 20 digits")
	}
	return nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Compose returns the message of one package of op. Items must have
// passed Check.
func Compose(op Operation, h Header, r *Recipient, items []Notification) (*Message, error) {
	if len(items) == 0 || len(items) > op.MaxItems() {
		return nil, fmt.Errorf("gisxml: %d items, %s takes 1 to %d", len(items), op, op.MaxItems())
	}
	if op == Notifications {
		if err := CheckRecipient(r); err != nil {
			return nil, fmt.Errorf("gisxml: %w", err)
		}
	}
	doc, req := envelope(op, h)
	w := newItemWriter(req)
	for i := range items {
		if op == Notifications {
			w.notification(r, &items[i])
		} else {
			w.supplierNotification(&items[i])
		}
		if i == 0 {
			w.reserve(len(items))
		}
	}
	return w.message(doc, req), nil
}

// Build returns the SOAP envelope for one package as a tree, and its
// request element (the one to sign).
func Build(op Operation, h Header, r *Recipient, items []Notification) (*etree.Document, *etree.Element, error) {
	m, err := Compose(op, h, r, items)
	if err != nil {
		return nil, nil, err
	}
	return m.Tree()
}

// envelope is the SOAP envelope with h as its RequestHeader and the empty
// request element of op (signed-data-container) in its Body.
func envelope(op Operation, h Header) (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement("soapenv:Envelope")
	for _, p := range prefixes {
		env.CreateAttr("xmlns:"+p.prefix, p.ns)
	}
	hdr := env.CreateElement("soapenv:Header").CreateElement("base:RequestHeader")
	text(hdr, "base:Date", calendar.Timestamp(h.Date))
	text(hdr, "base:MessageGUID", h.MessageGUID)
	text(hdr, "base:orgPPAGUID", h.OrgPPAGUID)
	if h.OperatorSignature {
		text(hdr, "base:IsOperatorSignature", "true")
	}
	req := env.CreateElement("soapenv:Body").CreateElement("pm:" + string(op) + "Request")
	req.CreateAttr("Id", SignedID)
	req.CreateAttr("base:version", SchemaVersion)
	return doc, req
}

func text(parent *etree.Element, tag, value string) *etree.Element {
	e := parent.CreateElement(tag)
	e.SetText(Text(value))
	return e
}

// notification writes pm:NotificationOfOrderExecutionType: the children of
// payments-base:NotificationOfOrderExecutionType are in payments-base,
// except the ref= elements, which keep their own namespaces.
func (w *itemWriter) notification(r *Recipient, n *Notification) {
	w.start("pm:NotificationOfOrderExecutionType")
	w.start("pb:RecipientInfo")
	w.text("org:INN", r.INN)
	if len(r.INN) == 12 { // an individual entrepreneur
		w.text("pb:EntprFIO", clipRunes(r.Name, 160))
	} else {
		w.start("pb:Legal")
		w.text("org:KPP", r.KPP)
		w.text("pb:Name", clipRunes(r.Name, 4000))
		w.end()
	}
	w.start("pb:PaymentInformation")
	w.text("pb:RecipientINN", r.INN)
	w.opt("pb:RecipientKPP", r.KPP)
	w.text("pb:BankName", r.BankName)
	w.text("pb:PaymentRecipient", r.PaymentRecipient)
	w.text("pb:BankBIK", r.BankBIK)
	w.text("pb:operatingAccountNumber", r.OperatingAccount)
	w.opt("pb:CorrespondentBankAccount", r.CorrespondentAccount)
	w.end()
	w.end()
	w.start("pb:OrderInfo")
	w.text("pb:OrderID", n.OrderID)
	w.formatted("pb:OrderDate", n.OrderDate.AppendText(w.value[:0]))
	w.formatted("pb:Amount", strconv.AppendInt(w.value[:0], int64(n.Amount), 10)) // kopecks
	w.opt("pb:PaymentPurpose", n.Purpose)
	w.opt("bills:PaymentDocumentID", n.PaymentDocumentID)
	if n.Month != 0 {
		w.formatted("base:Year", strconv.AppendInt(w.value[:0], int64(n.Year), 10))
		w.formatted("base:Month", strconv.AppendInt(w.value[:0], int64(n.Month), 10))
	}
	w.opt("acc:UnifiedAccountNumber", n.UnifiedAccountNumber)
	if n.ServiceID != "" {
		w.start("pb:Service")
		w.text("acc:ServiceID", n.ServiceID)
		w.end()
	}
	w.opt("acc:AccountNumber", n.AccountNumber)
	w.end()
	w.text("base:TransportGUID", n.TransportGUID)
	w.end()
}

// supplierNotification writes pm:SupplierNotificationOfOrderExecution,
// whose own children are in the payment namespace.
func (w *itemWriter) supplierNotification(n *Notification) {
	w.start("pm:SupplierNotificationOfOrderExecution")
	w.formatted("pm:OrderDate", n.OrderDate.AppendText(w.value[:0]))
	if n.Month != 0 {
		w.start("pm:OrderPeriod")
		w.formatted("base:Month", strconv.AppendInt(w.value[:0], int64(n.Month), 10)) // Month before Year here
		w.formatted("base:Year", strconv.AppendInt(w.value[:0], int64(n.Year), 10))
		w.end()
	}
	if n.PaymentDocumentID != "" {
		w.text("bills:PaymentDocumentID", n.PaymentDocumentID)
	} else {
		w.text("acc:ServiceID", n.ServiceID)
	}
	w.formatted("pm:Amount", n.Amount.AppendText(w.value[:0])) // rubles, two decimals
	w.text("base:TransportGUID", n.TransportGUID)
	w.end()
}

func clipRunes(s string, n int) string {
	s = Text(s) // clip what will be written
	if runes(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
