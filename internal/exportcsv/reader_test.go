package exportcsv

import (
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// each calls fn with every row or problem the reader returns, up to
// io.EOF or until fn returns false.
func each(rd *Reader, fn func(row Row, err error) bool) {
	for {
		var row Row
		err := rd.Next(&row)
		if errors.Is(err, io.EOF) || !fn(row, err) {
			return
		}
	}
}

func readAll(t *testing.T, name string, kind Kind, data string, lim Limits) ([]Row, *Reader, error) {
	t.Helper()
	rd, err := NewReader(name, kind, strings.NewReader(data), lim)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	var all Errors // held rows and file-level problems, in file order
	var failed error
	each(rd, func(row Row, err error) bool {
		var h *Held
		var e *Error
		switch {
		case errors.As(err, &h):
			all.Add(h.Err)
		case errors.As(err, &e):
			all.Add(e)
		case err != nil:
			failed = err
			return false
		default:
			rows = append(rows, row)
		}
		return true
	})
	if failed != nil {
		return rows, rd, failed
	}
	if all.Len() == 0 {
		return rows, rd, rd.Errors().Err()
	}
	return rows, rd, &all
}

func TestReadsFormats(t *testing.T) {
	tests := []struct {
		name, data string
		kind       Kind
		encoding   string
		delim      string
		want       []string // date|bill|main|fine per row
	}{
		{
			name: "utf8 semicolon, decimal comma, thousands spaces, both date formats",
			kind: Billing, encoding: "utf-8", delim: ";",
			data: BillingHeader + "2026-11-21;B1;S1;SV1;LS1;1 234,50;0\n21.11.2026;B2;S1;SV1;LS2;10.5;1,05\n",
			want: []string{"2026-11-21|B1|1234.50|0.00", "2026-11-21|B2|10.50|1.05"},
		},
		{
			name: "comma delimiter with quoted decimal-comma amounts and BOM",
			kind: Billing, encoding: "utf-8", delim: ",",
			data: "\ufeffdate,bill_number,supplier_id,service_id,account_number,main_sum,fine_sum\n2026-11-21,B1,S1,SV1,LS1,\"1 000,00\",\"0,50\"\n",
			want: []string{"2026-11-21|B1|1000.00|0.50"},
		},
		{
			name: "Russian headers in any case, extra column ignored, blank line skipped",
			kind: Billing, encoding: "utf-8", delim: ";",
			data: "Дата;Номер счёта;Код поставщика;Код услуги;Лицевой счет;Сумма;Пени;Комментарий\n01.11.2026;Б-1;П1;У1;ЛС 1;100;0;примечание\n\n",
			want: []string{"2026-11-01|Б-1|100.00|0.00"},
		},
		{
			name: "CRLF line ends, quoted values with doubled quotes and delimiters, an empty last value",
			kind: Acquiring, encoding: "utf-8", delim: ";",
			data: strings.ReplaceAll(AcquiringHeader, "\n", ";payment_purpose\r\n") +
				"2026-11-21;O1;2026-11-21;\"B;1\";S1;SV1;LS1;1;0;\"Оплата \"\"ЖКУ\"\"\"\r\n" +
				"2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;2;0;\r\n",
			want: []string{"2026-11-21|B;1|1.00|0.00", "2026-11-21|B2|2.00|0.00"},
		},
		{
			name: "windows-1251",
			kind: Acquiring, encoding: "windows-1251", delim: ";",
			data: win1251("Дата;Номер операции;Дата операции;Номер счета;Поставщик;Услуга;Лицевой счет;Сумма;Пени;Назначение платежа\n" +
				"21.11.2026;0001;21.11.2026;Б1;П1;У1;ЛС1;50,00;0,00;Оплата ЖКУ \"ноябрь\" & пени\n"),
			want: []string{"2026-11-21|Б1|50.00|0.00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rd, err := readAll(t, "f.csv", tt.kind, tt.data, Limits{})
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if f := rd.Format(); f.Encoding != tt.encoding || f.Delimiter != tt.delim {
				t.Errorf("format = %+v, want %s %q", f, tt.encoding, tt.delim)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Date.String()+"|"+r.BillNumber+"|"+r.Main.String()+"|"+r.Fine.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestAcquiringOptionalColumns(t *testing.T) {
	data := "date;order_id;order_date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum;payment_document_id;gis_service_id;unified_account_number;period;payment_purpose\n" +
		"2026-11-21;ORD1;20.11.2026;B1;S1;SV1;LS1;10;0;12АВ345678-01-6101;12АВ345678-01;12АВ345678;10.2026;Оплата \"ЖКУ\" & пени\n"
	rows, _, err := readAll(t, "a.csv", Acquiring, data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.OrderID != "ORD1" || r.OrderDate.String() != "2026-11-20" || r.PaymentDocumentID != "12АВ345678-01-6101" ||
		r.GISServiceID != "12АВ345678-01" || r.UnifiedAccountNumber != "12АВ345678" || r.PeriodMonth != 10 ||
		r.PeriodYear != 2026 || r.PaymentPurpose != `Оплата "ЖКУ" & пени` || r.Line != 2 {
		t.Fatalf("row = %+v", r)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		data string
		lim  Limits
		want string // the first error, as the user sees it
	}{
		{"empty file", Billing, "", Limits{}, `b.csv: file is empty: a header row is required`},
		{"blank file", Billing, " \n\n", Limits{}, `b.csv: file is empty: a header row is required`},
		{"missing column", Billing, "date;bill_number;supplier_id;service_id;account_number;main_sum\n", Limits{},
			`b.csv: line 1: missing column fine_sum`},
		{"wrong delimiter", Billing, "date|bill_number|supplier_id\n", Limits{},
			`b.csv: line 1: missing column date, bill_number, supplier_id, service_id, account_number, main_sum, fine_sum (the header has one column; the delimiter must be ';' or ',')`},
		{"acquiring uploaded as billing", Billing, AcquiringHeader, Limits{},
			`b.csv: line 1: wrong kind of file: column order_id marks a bank (acquiring) registry, but the file was uploaded as billing`},
		{"billing uploaded as acquiring", Acquiring, BillingHeader, Limits{},
			`b.csv: line 1: wrong kind of file: no order_id column, so this is not a bank (acquiring) registry; missing column order_id, order_date`},
		{"duplicate column", Billing, "date;bill_number;supplier_id;service_id;account_number;main_sum;fine_sum;сумма\n", Limits{},
			`b.csv: line 1, column "сумма": column main_sum appears twice (also column 6)`},
		{"bad number", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS1;12,3,4;0\n", Limits{},
			`b.csv: line 2, column "main_sum": bad number "12,3,4": not a number`},
		{"three decimals", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS1;1;0,005\n", Limits{},
			`b.csv: line 2, column "fine_sum": bad number "0,005": more than two decimal places`},
		{"empty amount", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS1;;0\n", Limits{},
			`b.csv: line 2, column "main_sum": bad number "": empty amount`},
		{"bad date", Billing, BillingHeader + "31.02.2026;B1;S1;SV1;LS1;1;0\n", Limits{},
			`b.csv: line 2, column "date": bad date "31.02.2026": not a date (want YYYY-MM-DD or DD.MM.YYYY)`},
		{"bad order date", Acquiring, AcquiringHeader + "2026-11-21;O1;2026/11/21;B1;S1;SV1;LS1;1;0\n", Limits{},
			`b.csv: line 2, column "order_date": bad date "2026/11/21": not a date (want YYYY-MM-DD or DD.MM.YYYY)`},
		{"negative amount", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS1;-5,00;0\n", Limits{},
			`b.csv: line 2, column "main_sum": negative amount -5.00`},
		{"negative fine", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS1;5;-0,01\n", Limits{},
			`b.csv: line 2, column "fine_sum": negative amount -0.01`},
		{"empty key field", Billing, BillingHeader + "2026-11-21;;S1;SV1;LS1;5;0\n", Limits{},
			`b.csv: line 2, column "bill_number": empty value`},
		{"empty order id", Acquiring, AcquiringHeader + "2026-11-21;;2026-11-21;B1;S1;SV1;LS1;1;0\n", Limits{},
			`b.csv: line 2, column "order_id": empty value`},
		{"wrong field count", Billing, BillingHeader + "2026-11-21;B1;S1\n", Limits{},
			`b.csv: line 2: 3 fields, the header has 7`},
		{"bad period", Acquiring, strings.TrimSuffix(AcquiringHeader, "\n") + ";period\n2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1;0;13.2026\n", Limits{},
			`b.csv: line 2, column "period": bad period "13.2026": want MM.YYYY`},
		{"malformed quotes", Billing, BillingHeader + "2026-11-21;\"B1;S1;SV1;LS1;1;0\n", Limits{},
			`b.csv: line 2, column "bill_number": the quote that opens this value is never closed`},
		{"invalid utf-8 after a utf-8 start", Billing, BillingHeader + strings.Repeat("2026-11-21;B;S1;SV1;LS1;1;0\n", 3000) + "2026-11-21;B1;S1;SV1;LS\xff;1;0\n", Limits{},
			`b.csv: line 3002, column "#5": not valid UTF-8 (the start of the file is UTF-8: save the whole file in one encoding)`},
		{"NUL byte", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS\x001;1;0\n", Limits{},
			`b.csv: line 2, column "#5": contains a NUL byte: not a text file`},
		{"too many bytes", Billing, BillingHeader + strings.Repeat("2026-11-21;B1;S1;SV1;LS1;1;0\n", 10), Limits{MaxBytes: 100},
			`b.csv: file too large: over 100 bytes`},
		{"too many rows", Billing, BillingHeader + "2026-11-21;B1;S1;SV1;LS1;1;0\n2026-11-21;B2;S1;SV1;LS1;1;0\n", Limits{MaxRows: 1},
			`b.csv: line 3: file too large: over 1 rows`},
		{"value too long", Billing, BillingHeader + "2026-11-21;" + strings.Repeat("B", 1001) + ";S1;SV1;LS1;1;0\n", Limits{},
			`b.csv: line 2, column "bill_number": value longer than 1000 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, "b.csv", tt.kind, tt.data, tt.lim)
			list, ok := AsErrors(err)
			if !ok {
				t.Fatalf("error = %v, want export errors", err)
			}
			if got := list.List[0].Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// Every bad row is reported, not just the first.
func TestCollectsAllRowErrors(t *testing.T) {
	data := BillingHeader + "2026-11-21;B1;S1;SV1;LS1;x;0\n2026-11-21;B2;S1;SV1;LS1;1;0\n2026-11-99;B3;S1;SV1;LS1;1;0\n"
	rows, _, err := readAll(t, "b.csv", Billing, data, Limits{})
	list, _ := AsErrors(err)
	if list == nil || len(list.List) != 2 || list.List[0].Line != 2 || list.List[1].Line != 4 || len(rows) != 1 {
		t.Fatalf("rows=%d errors=%v", len(rows), err)
	}
}

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"Номер счёта":       "номер счета",
		" BILL-NUMBER ":     "bill number",
		"bill_number":       "bill number",
		"\"Лицевой  счет\"": "лицевой счет",
	} {
		if got := normalizeHeader(in); got != want {
			t.Errorf("normalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func win1251(s string) string {
	out, err := charmap.Windows1251.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return out
}

// A quote that closes a value must end it, and a quote left open must not
// take the following rows into one value: the file would reconcile with
// rows missing. Each case names the line and column at fault.
func TestQuotes(t *testing.T) {
	head := strings.TrimSuffix(AcquiringHeader, "\n") + ";payment_purpose\n"
	row := func(order, purpose string) string {
		return "2026-11-21;" + order + ";2026-11-21;B" + order + ";S1;SV1;LS1;1;0;" + purpose + "\n"
	}
	tests := []struct {
		name string
		data string
		rows int    // good rows read
		want string // the first error; "" for none
	}{
		{"a bare quote inside a value is text", head + row("1", `Оплата "ЖКУ" за ноябрь`) + row("2", `x"`), 2, ""},
		{"a quoted value with doubled quotes", head + row("1", `"Оплата ""ЖКУ"" за ноябрь"`) + row("2", "x"), 2, ""},
		{"text after the closing quote", head + row("1", `"ЖКУ" за ноябрь`) + row("2", "x") + row("3", "y"), 2,
			`a.csv: line 2, column "payment_purpose": text after the closing quote: quote the whole value and double the quotes inside it, e.g. """ЖКУ"" за ноябрь"`},
		{"text after a closing quote mid-row", head + "2026-11-21;O1;2026-11-21;\"B1\"x;S1;SV1;LS1;1;0;p\n" + row("2", "x"), 1,
			`a.csv: line 2, column "bill_number": text after the closing quote: quote the whole value and double the quotes inside it, e.g. """ЖКУ"" за ноябрь"`},
		{"a quote never closed", head + row("1", "x") + row("2", `"ЖКУ за ноябрь`) + row("3", "y"), 1,
			`a.csv: line 3, column "payment_purpose": the quote that opens this value is not closed on its line: the value would run over the rows up to line 4 (close the quote, or double it if it is part of the text)`},
		{"a quote never closed until a later bare quote", head + row("1", `"ЖКУ за ноябрь`) + row("2", "x") + row("3", `Оплата ЖКУ"`), 1,
			`a.csv: line 2, column "payment_purpose": the quote that opens this value is not closed on its line: the value would run over the rows up to line 3 (close the quote, or double it if it is part of the text)`},
		{"a quote never closed in the last row", head + row("1", "x") + row("2", `"ЖКУ за ноябрь`), 1,
			`a.csv: line 3, column "payment_purpose": the quote that opens this value is never closed`},
		{"a quoted value over two lines", head + row("1", "\"Оплата ЖКУ\nза ноябрь\"") + row("2", "x"), 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := readAll(t, "a.csv", Acquiring, tt.data, Limits{})
			got := ""
			if list, ok := AsErrors(err); ok {
				got = list.List[0].Error()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || len(rows) != tt.rows {
				t.Errorf("%d rows, error:\n got %s\nwant %s", len(rows), got, tt.want)
			}
		})
	}
}

// Text that would not survive in signed XML: line breaks and tabs in a
// purpose become spaces; in any other column they, and characters XML 1.0
// does not allow anywhere, are errors naming the line and column. Lengths
// count characters, not bytes.
func TestTextValues(t *testing.T) {
	head := strings.TrimSuffix(AcquiringHeader, "\n") + ";payment_purpose\n"
	row := func(account, purpose string) string {
		return "2026-11-21;O1;2026-11-21;B1;S1;SV1;" + account + ";1;0;" + purpose + "\n"
	}
	long := strings.Repeat("Ж", 600)
	tests := []struct {
		name, data string
		purpose    string // the purpose read, when no error
		want       string // the first error
	}{
		{"CRLF in a quoted purpose", head + row("LS1", "\"Оплата\r\nЖКУ\""), "Оплата ЖКУ", ""},
		{"LF in a quoted purpose", head + row("LS1", "\"Оплата\nЖКУ\""), "Оплата ЖКУ", ""},
		{"lone CR in a purpose", head + row("LS1", "Оплата\rЖКУ"), "Оплата ЖКУ", ""},
		{"TAB in a purpose", head + row("LS1", "Оплата\tЖКУ"), "Оплата ЖКУ", ""},
		{"control characters in a purpose", head + row("LS1", "Оплата\vЖКУ\x1b[0m\uffff"), "Оплата ЖКУ [0m", ""},
		{"600 Cyrillic characters of purpose", head + row("LS1", long), long, ""},
		{"1001 Cyrillic characters of purpose", head + row("LS1", long+strings.Repeat("ж", 401)), "",
			`a.csv: line 2, column "payment_purpose": value longer than 1000 characters`},
		{"a line break in an account number", head + row("\"LS\n1\"", "x"), "",
			`a.csv: line 2, column "account_number": contains a line break (U+000A): the value must be on one line`},
		{"a lone CR in an account number", head + row("LS\r1", "x"), "",
			`a.csv: line 2, column "account_number": contains a line break (U+000D): the value must be on one line`},
		{"a tab in a bill number", strings.Replace(head+row("LS1", "x"), "B1", "B\t1", 1), "",
			`a.csv: line 2, column "bill_number": contains a tab (U+0009): the value must be on one line`},
		{"VT in an account number", head + row("LS\v1", "x"), "",
			`a.csv: line 2, column "account_number": contains U+000B, a character XML does not allow`},
		{"ESC in an order id", strings.Replace(head+row("LS1", "x"), "O1", "O\x1b1", 1), "",
			`a.csv: line 2, column "order_id": contains U+001B, a character XML does not allow`},
		{"U+FFFE in an account number", head + row("LS\ufffe1", "x"), "",
			`a.csv: line 2, column "account_number": contains U+FFFE, a character XML does not allow`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := readAll(t, "a.csv", Acquiring, tt.data, Limits{})
			if tt.want != "" {
				list, ok := AsErrors(err)
				if !ok || list.List[0].Error() != tt.want {
					t.Errorf("error:\n got %v\nwant %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].PaymentPurpose != tt.purpose {
				t.Errorf("rows %+v, want purpose %q", rows, tt.purpose)
			}
		})
	}
}
