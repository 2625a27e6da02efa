package exportcsv

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/calendar"
)

// Row-level problems come back as *Held with the row filled as far as it
// could be read, and reading goes on; file-level ones are plain *Error.
func TestRowLevelAndFileLevelProblems(t *testing.T) {
	head := strings.TrimSuffix(AcquiringHeader, "\n") + ";operation_type\n"
	tests := []struct {
		name, line string
		held       bool
		column     string
	}{
		{"bad number", "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;ten;0;", true, "main_sum"},
		{"bad date", "2026-13-21;O1;2026-11-21;B1;S1;SV1;LS1;1;0;", true, "date"},
		{"empty key field", "2026-11-21;O1;2026-11-21;B1;;SV1;LS1;1;0;", true, "supplier_id"},
		{"over-long value", "2026-11-21;O1;2026-11-21;" + strings.Repeat("Б", 1001) + ";S1;SV1;LS1;1;0;", true, "bill_number"},
		{"over-long ASCII value", "2026-11-21;O1;2026-11-21;B1;S1;SV1;" + strings.Repeat("7", 1001) + ";1;0;", true, "account_number"},
		{"control character", "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS\x071;1;0;", true, "account_number"},
		{"unknown operation type", "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1;0;обмен", true, "operation_type"},
		{"negative part beside a positive one", "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;5;-1;", true, "fine_sum"},
		{"wrong field count", "2026-11-21;O1;2026-11-21;B1", false, ""},
		{"text after a closing quote (rows merged by quotes)", `2026-11-21;O1;2026-11-21;"B1"x;S1;SV1;LS1;1;0;`, false, "bill_number"},
		{"NUL byte (not a text file)", "2026-11-21;O1;2026-11-21;B\x001;S1;SV1;LS1;1;0;", false, "#4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := NewReader("a.csv", Acquiring, strings.NewReader(head+tt.line+"\n2026-11-21;O9;2026-11-21;B9;S1;SV1;LS1;1;0;\n"), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var row Row
			err = rd.Next(&row)
			var h *Held
			var e *Error
			switch {
			case tt.held && !errors.As(err, &h):
				t.Fatalf("error = %v, want a held row", err)
			case tt.held && (h.Err.Line != 2 || h.Err.Column != tt.column || row.OrderID != "O1" || rd.HeldRows() != 1):
				t.Errorf("held %v, row %+v", h.Err, row)
			case !tt.held && (errors.As(err, &h) || !errors.As(err, &e) || e.Line != 2 || e.Column != tt.column):
				t.Fatalf("error = %#v, want a file-level problem at line 2, column %q", err, tt.column)
			}
			if err := rd.Next(&row); err != nil || row.OrderID != "O9" {
				t.Errorf("the next row: %v %+v", err, row)
			}
		})
	}
}

func TestRefundsRecognized(t *testing.T) {
	data := strings.TrimSuffix(AcquiringHeader, "\n") + ";Тип операции\n" +
		"2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;-100,50;0;\n" +
		"2026-11-21;O2;2026-11-21;B1;S1;SV1;LS1;100;5;Возврат\n" +
		"2026-11-21;O3;2026-11-21;B1;S1;SV1;LS1;100;0;Оплата\n"
	rows, _, err := readAll(t, "a.csv", Acquiring, data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !rows[0].Refund || rows[0].Total() != 10050 || !rows[1].Refund || rows[1].Total() != 10500 || rows[2].Refund {
		t.Errorf("rows %+v", rows)
	}
	// In a billing export a negative amount is a bad row, not a refund.
	_, _, err = readAll(t, "b.csv", Billing, BillingHeader+"2026-11-21;B1;S1;SV1;LS1;-1;0\n", Limits{})
	if err == nil || !strings.Contains(err.Error(), "negative amount") {
		t.Errorf("error = %v", err)
	}
}

// The reader remembers the last date it parsed; every row must still get
// what calendar.ParseDate says of its own text, bad dates included.
func TestRepeatedDatesReadAsParsed(t *testing.T) {
	texts := []string{"2026-02-30", "", "2026-11-2", "21.11.2026 ", " 2026-11-21", "31.11.2026", "2026-1-11"}
	for day := 1; day <= 31; day++ {
		texts = append(texts, fmt.Sprintf("2026-%02d-%02d", day%12+1, day), fmt.Sprintf("%02d.%02d.2026", day, day%3+10))
	}
	var data strings.Builder
	data.WriteString(BillingHeader)
	var want []string
	for i := range 1000 {
		d := texts[(i*7+i/3)%len(texts)]
		want = append(want, d)
		fmt.Fprintf(&data, "%s;B%d;S1;SV1;LS1;1,00;0\n", d, i)
	}
	rd, err := NewReader("b.csv", Billing, strings.NewReader(data.String()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range want {
		var row Row
		err := rd.Next(&row)
		date, perr := calendar.ParseDate(strings.TrimSpace(d))
		var h *Held
		switch {
		case perr == nil && (err != nil || row.Date != date):
			t.Fatalf("row %d, date %q: %v, %v; want %v", i, d, row.Date, err, date)
		case perr != nil && (!errors.As(err, &h) || h.Err.Column != "date"):
			t.Fatalf("row %d, date %q: %v; want it held for its date", i, d, err)
		}
	}
}

// Past the 63rd column the checks cannot use checkShape's bits: a file
// with its columns there must be checked value by value all the same.
func TestColumnsPastTheSixtyThird(t *testing.T) {
	pad := strings.Repeat("x;", 64)
	header := strings.Repeat("extra;", 64) + BillingHeader
	data := header + pad + "2026-11-21;B1;S1;SV1;LS1;1;0\n" +
		pad + "2026-11-21;B2;S1;SV1;LS\x071;1;0\n" +
		pad + "2026-11-21;" + strings.Repeat("7", 1001) + ";S1;SV1;LS1;1;0\n"
	rd, err := NewReader("b.csv", Billing, strings.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var row Row
	if err := rd.Next(&row); err != nil || row.BillNumber != "B1" {
		t.Fatalf("first row: %+v, %v", row, err)
	}
	for _, column := range []string{"account_number", "bill_number"} {
		var h *Held
		if err := rd.Next(&row); !errors.As(err, &h) || h.Err.Column != column {
			t.Fatalf("%v, want the row held for its %s", err, column)
		}
	}
}

// The purpose is free text: control characters become spaces, but one
// longer than 1000 characters holds its row, whatever the other values.
func TestPurposeOnlyRefusedForLength(t *testing.T) {
	head := strings.TrimSuffix(AcquiringHeader, "\n") + ";payment_purpose\n"
	row := "2026-11-21;O1;2026-11-21;B1;S1;SV1;LS1;1;0;"
	for _, tt := range []struct {
		purpose, want string
		held          bool
	}{
		{"Оплата\tЖКУ", "Оплата ЖКУ", false},
		{strings.Repeat("Ж", 1000), strings.Repeat("Ж", 1000), false},
		{strings.Repeat("7", 1000), strings.Repeat("7", 1000), false},
		{strings.Repeat("Ж", 1001), "", true},
		{strings.Repeat("7", 1001), "", true},
	} {
		rd, err := NewReader("a.csv", Acquiring, strings.NewReader(head+row+tt.purpose+"\n"), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var r Row
		err = rd.Next(&r)
		var h *Held
		switch {
		case tt.held && (!errors.As(err, &h) || h.Err.Column != "payment_purpose"):
			t.Errorf("a purpose of %d bytes: %v, want the row held for it", len(tt.purpose), err)
		case !tt.held && (err != nil || r.PaymentPurpose != tt.want):
			t.Errorf("a purpose of %d bytes: %q, %v; want %q", len(tt.purpose), r.PaymentPurpose, err, tt.want)
		}
	}
}
