package gismessage

import (
	"fmt"
	"strconv"

	"github.com/beevik/etree"
)

// DocumentDetails asks GIS for the payment documents (and ЖКУ services) of
// a consumer (экспорт реквизитов платёжных документов): one query per
// message, answered asynchronously through getState like the imports.
const DocumentDetails Operation = "exportPaymentDocumentDetails"

// DocumentDetailsVersion is the request's base:version: the schema leaves
// it free and names 11.0.1.1, 12.2.0.1 and 13.1.0.1; the newest is asked.
const DocumentDetailsVersion = "13.1.0.1"

// NothingFound is GIS's whole-message answer to a query that found
// nothing: INT002012, "По запросу в ГИС ЖКХ ничего не найдено".
const NothingFound = "INT002012"

// DocumentQuery is what a bank registry row can ask by. The schema takes a
// PaymentDocumentID, a ServiceID, a FIAS house GUID with the premises and
// an account or document number, or a unified account number (ЕЛС), the
// last two optionally for a year and month. Bank registries carry no FIAS
// house GUID, and a row with a document or service id needs no lookup, so
// the query is the ЕЛС of a period.
type DocumentQuery struct {
	UnifiedAccountNumber string // 10 characters
	Year, Month          int
}

// Check says why q cannot be asked, or nil.
func (q DocumentQuery) Check() error {
	if err := plain("unified_account_number", q.UnifiedAccountNumber); err != nil {
		return err
	}
	switch {
	case runes(q.UnifiedAccountNumber) != 10:
		return fmt.Errorf("unified_account_number %q must be 10 characters, it has %d", q.UnifiedAccountNumber, runes(q.UnifiedAccountNumber))
	case q.Month < 1 || q.Month > 12 || q.Year < 1920 || q.Year > 2050:
		return fmt.Errorf("period %02d.%d is out of range", q.Month, q.Year)
	}
	return nil
}

// BuildDocumentQuery returns the SOAP envelope of one query and its
// request element (the one to sign).
func BuildDocumentQuery(h Header, q DocumentQuery) (*etree.Document, *etree.Element, error) {
	if err := q.Check(); err != nil {
		return nil, nil, fmt.Errorf("gisxml: %w", err)
	}
	doc, req := envelope(DocumentDetails, h)
	req.CreateAttr("base:version", DocumentDetailsVersion)
	text(req, "base:Year", strconv.Itoa(q.Year))
	text(req, "base:Month", strconv.Itoa(q.Month))
	text(req, "acc:UnifiedAccountNumber", q.UnifiedAccountNumber)
	return doc, req, nil
}

// PaymentDocument is what an answer says of one payment document (Charge)
// or one ЖКУ service without charges (Service): the identifiers a supplier
// notification can name, and the account they belong to.
type PaymentDocument struct {
	PaymentDocumentID    string // 18 characters, empty for a Service
	ServiceID            string // 13 characters, optional for a Charge
	AccountNumber        string
	UnifiedAccountNumber string
	Year, Month          int // of a Charge, when GIS gives them
}

// ParseDocumentDetails reads the exportPaymentDocumentDetailsResult of a
// processed getStateResult element; ok is false when it has none. An
// identifier of the wrong length is an error: it would be refused (or
// worse, name another document) when sent back.
func ParseDocumentDetails(result *etree.Element) (docs []PaymentDocument, ok bool, err error) {
	res := Child(result, NsPayment, "exportPaymentDocumentDetailsResult")
	if res == nil {
		return nil, false, nil
	}
	items := res.ChildElements()
	if charge := Child(res, NsPayment, "Charge"); charge != nil {
		items = charge.ChildElements()
	}
	for _, el := range items {
		if el.NamespaceURI() != NsPayment || (el.Tag != "PaymentDocument" && el.Tag != "Service") {
			continue
		}
		d := PaymentDocument{PaymentDocumentID: ChildText(el, NsBills, "PaymentDocumentID"),
			ServiceID: ChildText(el, NsAccount, "ServiceID"), AccountNumber: ChildText(el, NsAccount, "AccountNumber"),
			UnifiedAccountNumber: ChildText(el, NsAccount, "UnifiedAccountNumber")}
		d.Year, _ = strconv.Atoi(ChildText(el, NsBase, "Year"))
		d.Month, _ = strconv.Atoi(ChildText(el, NsBase, "Month"))
		switch {
		case d.PaymentDocumentID == "" && d.ServiceID == "":
			return nil, true, fmt.Errorf("%s without a PaymentDocumentID or ServiceID", el.Tag)
		case d.PaymentDocumentID != "" && runes(d.PaymentDocumentID) != 18:
			return nil, true, fmt.Errorf("PaymentDocumentID %q is not 18 characters", d.PaymentDocumentID)
		case d.ServiceID != "" && runes(d.ServiceID) != 13:
			return nil, true, fmt.Errorf("ServiceID %q is not 13 characters", d.ServiceID)
		}
		docs = append(docs, d)
	}
	return docs, true, nil
}

// Child is el's first child element named tag in namespace ns, or nil.
func Child(el *etree.Element, ns, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// ChildText is the text of Child, or "".
func ChildText(el *etree.Element, ns, tag string) string {
	if c := Child(el, ns, tag); c != nil {
		return c.Text()
	}
	return ""
}
