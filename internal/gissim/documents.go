package gissim

import (
	"fmt"
	"strconv"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/gismessage"
)

// HoldDocuments seeds the payment documents GIS holds for a unified
// account number and period, which exportPaymentDocumentDetails lists.
// A document without a PaymentDocumentID is a ЖКУ service without charges.
func (s *Sim) HoldDocuments(q gismessage.DocumentQuery, docs ...gismessage.PaymentDocument) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.documents[documentKey(q)] = append(s.documents[documentKey(q)], docs...)
}

func documentKey(q gismessage.DocumentQuery) string {
	return fmt.Sprintf("%s|%d|%02d", q.UnifiedAccountNumber, q.Year, q.Month)
}

// lookup answers a validated exportPaymentDocumentDetailsRequest: the
// documents held for its ЕЛС and period, or the whole-message
// INT002012 ("nothing found") GIS gives an empty search.
func (s *Sim) lookup(m *message, req *etree.Element) *message {
	year, _ := strconv.Atoi(text(req, gismessage.NsBase, "Year"))
	month, _ := strconv.Atoi(text(req, gismessage.NsBase, "Month"))
	q := gismessage.DocumentQuery{UnifiedAccountNumber: text(req, gismessage.NsAccount, "UnifiedAccountNumber"), Year: year, Month: month}
	docs := s.documents[documentKey(q)]
	if len(docs) == 0 {
		m.err = &msgError{gismessage.NothingFound, "По запросу в ГИС ЖКХ ничего не найдено"}
		return m
	}
	m.docs = docs
	return m
}

// writeDocuments writes an exportPaymentDocumentDetailsResult: a Charge
// listing the payment documents, or, when none has a PaymentDocumentID,
// the ЖКУ services. The details GIS adds (executor, requisites, sums) are
// the schema's required minimum, with fixed values.
func writeDocuments(res *etree.Element, docs []gismessage.PaymentDocument) {
	out := res.CreateElement("ns13:exportPaymentDocumentDetailsResult")
	out.CreateAttr("xmlns:bills", gismessage.NsBills)
	out.CreateAttr("xmlns:acc", gismessage.NsAccount)
	out.CreateAttr("xmlns:org", gismessage.NsOrganizations)
	var charged []gismessage.PaymentDocument
	for _, d := range docs {
		if d.PaymentDocumentID != "" {
			charged = append(charged, d)
		}
	}
	if len(charged) > 0 {
		charge := out.CreateElement("ns13:Charge")
		for _, d := range charged {
			pd := charge.CreateElement("ns13:PaymentDocument")
			pd.CreateElement("bills:PaymentDocumentID").SetText(d.PaymentDocumentID)
			optional(pd, "acc:UnifiedAccountNumber", d.UnifiedAccountNumber)
			optional(pd, "acc:AccountNumber", d.AccountNumber)
			optional(pd, "acc:ServiceID", d.ServiceID)
			details := pd.CreateElement("ns13:PaymentDocumentDetails")
			executor(details)
			details.CreateElement("ns13:Reminder").SetText("0")
			if d.Month != 0 {
				pd.CreateElement("base:Year").SetText(strconv.Itoa(d.Year))
				pd.CreateElement("base:Month").SetText(strconv.Itoa(d.Month))
			}
		}
		return
	}
	for _, d := range docs {
		sv := out.CreateElement("ns13:Service")
		sv.CreateElement("acc:UnifiedAccountNumber").SetText(d.UnifiedAccountNumber)
		optional(sv, "acc:AccountNumber", d.AccountNumber)
		sv.CreateElement("acc:ServiceID").SetText(d.ServiceID)
		sv.CreateElement("ns13:ServiceIDGuid").SetText("00000000-0000-4000-8000-000000000001")
		executor(sv)
	}
}

func optional(parent *etree.Element, tag, value string) {
	if value != "" {
		parent.CreateElement(tag).SetText(value)
	}
}

// executor writes the ExecutorInformation both answers carry.
func executor(parent *etree.Element) {
	ex := parent.CreateElement("ns13:ExecutorInformation")
	ex.CreateElement("org:INN").SetText("7707083893")
	legal := ex.CreateElement("ns13:Legal")
	legal.CreateElement("org:KPP").SetText("770701001")
	legal.CreateElement("ns13:Name").SetText("ООО «Управляющая компания»")
	ex.CreateElement("ns13:PaymentInformation")
	ex.CreateElement("ns13:MailingAddress").SetText("г. Москва, ул. Примерная, д. 1")
}
