package exportcsv

import (
	"strings"

	"github.com/gispayments/gis-payments/internal/contract"
)

// Kind is the kind of an export file, named after the folder it is uploaded to.
type Kind = contract.FileKind

const (
	Billing   = contract.Billing
	Acquiring = contract.Acquiring
)

// ParseKind accepts the folder names under incoming/.
func ParseKind(s string) (Kind, bool) {
	switch Kind(s) {
	case Billing, Acquiring:
		return Kind(s), true
	}
	return "", false
}

type field int

const (
	fDate field = iota
	fOrderID
	fOrderDate
	fBillNumber
	fSupplierID
	fServiceID
	fAccountNumber
	fMainSum
	fFineSum
	fPaymentDocumentID
	fGISServiceID
	fUnifiedAccountNumber
	fPeriod
	fPaymentPurpose
	fOperationType
	numFields
)

// columnNames are the canonical header names, as the design spells them.
var columnNames = [numFields]string{
	"date", "order_id", "order_date", "bill_number", "supplier_id", "service_id",
	"account_number", "main_sum", "fine_sum", "payment_document_id", "gis_service_id",
	"unified_account_number", "period", "payment_purpose", "operation_type",
}

// aliases maps a normalised header (see normalizeHeader) to its field. The
// Russian names are the ones billing systems and bank registries use.
var aliases = func() map[string]field {
	m := map[string]field{}
	add := func(f field, names ...string) {
		m[normalizeHeader(columnNames[f])] = f
		for _, n := range names {
			m[normalizeHeader(n)] = f
		}
	}
	add(fDate, "дата", "дата платежа", "дата оплаты", "payment_date")
	add(fOrderID, "номер операции", "идентификатор операции", "уникальный номер платежа", "id операции")
	add(fOrderDate, "дата операции", "дата поручения", "дата распоряжения")
	add(fBillNumber, "номер счета", "номер квитанции", "номер платежного документа", "счет", "bill")
	add(fSupplierID, "код поставщика", "поставщик", "ид поставщика", "supplier")
	add(fServiceID, "код услуги", "услуга", "ид услуги", "service")
	add(fAccountNumber, "лицевой счет", "номер лицевого счета", "лс", "account")
	add(fMainSum, "сумма", "основная сумма", "сумма платежа", "сумма основная", "amount")
	add(fFineSum, "пени", "сумма пени", "пеня", "fine")
	add(fPaymentDocumentID, "идентификатор платежного документа", "ид платежного документа", "ипд")
	add(fGISServiceID, "идентификатор жку", "ид жку")
	add(fUnifiedAccountNumber, "единый лицевой счет", "елс")
	add(fPeriod, "период", "расчетный период", "период оплаты")
	add(fPaymentPurpose, "назначение платежа", "назначение")
	add(fOperationType, "тип операции", "вид операции")
	return m
}()

// normalizeHeader folds case, ё, quotes and the separators people put
// between words, so "Номер счёта", "номер_счета" and "BILL-NUMBER " compare equal.
func normalizeHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	s = strings.ReplaceAll(s, "ё", "е")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch r {
		case '_', '-', ' ', '\t', '.', '"', '\u00a0':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// required lists the columns each kind must have; the others are optional.
var required = map[Kind][]field{
	Billing:   {fDate, fBillNumber, fSupplierID, fServiceID, fAccountNumber, fMainSum, fFineSum},
	Acquiring: {fDate, fOrderID, fOrderDate, fBillNumber, fSupplierID, fServiceID, fAccountNumber, fMainSum, fFineSum},
}

// onlyAcquiring are the columns whose presence marks a bank registry.
var onlyAcquiring = []field{fOrderID, fOrderDate}

// BillingHeader and AcquiringHeader are the header rows of the two kinds
// of export with their required columns, `;`-separated, as the generator
// and the tests write them.
const (
	BillingHeader   = "date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum\n"
	AcquiringHeader = "date;order_id;order_date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum\n"
)
