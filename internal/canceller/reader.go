package canceller

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xmltext"
)

// Row is one cancellation asked for: the payment by its order id, or by
// its bill number, day and amount.
type Row struct {
	Line    int
	OrderID string
	Bill    string
	Day     calendar.Date
	Amount  money.Kopecks
	Date    calendar.Date // cancellation_date
	Comment string
}

type column int

const (
	cOrderID column = iota
	cBill
	cDay
	cAmount
	cDate
	cComment
	numColumns
)

var columnNames = [numColumns]string{"order_id", "bill_number", "date", "amount", "cancellation_date", "reason"}

// aliases are the header names accepted for each column (folded by
// exportcsv.NormalizeHeader), with the Russian ones the other exports use.
var aliases = func() map[string]column {
	m := map[string]column{}
	add := func(c column, names ...string) {
		for _, n := range append(names, columnNames[c]) {
			m[exportcsv.NormalizeHeader(n)] = c
		}
	}
	add(cOrderID, "номер операции", "идентификатор операции", "уникальный номер платежа", "id операции")
	add(cBill, "номер счета", "номер квитанции", "номер платежного документа", "счет", "bill")
	add(cDay, "дата", "дата платежа", "дата оплаты", "payment_date")
	add(cAmount, "сумма", "сумма платежа", "main_sum")
	add(cDate, "дата аннулирования", "дата отмены", "дата возврата")
	add(cComment, "comment", "причина", "комментарий", "основание")
	return m
}()

// Header is the header of a cancellations export with every column.
const Header = "order_id;bill_number;date;amount;cancellation_date;reason\n"

// Reader reads a cancellations export.
type Reader struct {
	file string
	rec  *exportcsv.Records
	col  [numColumns]int
}

// NewReader reads the header: cancellation_date is required, and order_id
// or all of bill_number, date and amount. Problems are *exportcsv.Errors.
func NewReader(file string, r io.Reader, limits exportcsv.Limits) (*Reader, error) {
	rec, err := exportcsv.NewRecords(file, r, limits)
	if err != nil {
		return nil, err
	}
	rd := &Reader{file: file, rec: rec}
	for i := range rd.col {
		rd.col[i] = -1
	}
	problems := &exportcsv.Errors{}
	for i, name := range rec.Header() {
		c, ok := aliases[exportcsv.NormalizeHeader(name)]
		if !ok {
			continue
		}
		if rd.col[c] >= 0 {
			problems.Add(&exportcsv.Error{File: file, Line: 1, Column: name,
				Msg: fmt.Sprintf("column %s appears twice (also column %d)", columnNames[c], rd.col[c]+1)})
			continue
		}
		rd.col[c] = i
	}
	byBill := rd.col[cBill] >= 0 && rd.col[cDay] >= 0 && rd.col[cAmount] >= 0
	switch {
	case rd.col[cDate] < 0:
		problems.Add(&exportcsv.Error{File: file, Line: 1, Msg: "missing column cancellation_date"})
	case rd.col[cOrderID] < 0 && !byBill:
		problems.Add(&exportcsv.Error{File: file, Line: 1,
			Msg: "missing column order_id, or bill_number, date and amount: a cancellation must name its payment"})
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Next reads the next row; io.EOF at the end, a *exportcsv.Error for a bad
// row (reading may go on), other errors for the file.
func (r *Reader) Next() (*Row, error) {
	rec, line, err := r.rec.Next()
	if err != nil {
		return nil, err
	}
	get := func(c column) string {
		if i := r.col[c]; i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	bad := func(c column, msg string) error {
		return &exportcsv.Error{File: r.file, Line: line, Column: columnNames[c], Msg: msg}
	}
	for _, c := range []column{cOrderID, cBill, cDay, cAmount, cDate} {
		if j, ch := xmltext.Unsafe(get(c)); j >= 0 {
			return nil, bad(c, fmt.Sprintf("contains %U, which an identifier, number or date cannot hold", ch))
		}
	}
	row := &Row{Line: line, OrderID: get(cOrderID), Bill: get(cBill)}
	if row.Date, err = calendar.ParseDate(get(cDate)); err != nil {
		return nil, bad(cDate, fmt.Sprintf("bad date %q: want YYYY-MM-DD or DD.MM.YYYY", get(cDate)))
	}
	// The reason is free text for people, sent as Comment: cleaned like a
	// payment's purpose, and refused rather than cut when too long.
	row.Comment = strings.TrimSpace(xmltext.Line(get(cComment)))
	if n := utf8.RuneCountInString(row.Comment); n > gismessage.MaxCommentRunes {
		return nil, bad(cComment, fmt.Sprintf("%d characters, GIS takes at most %d", n, gismessage.MaxCommentRunes))
	}
	if row.OrderID != "" {
		return row, nil
	}
	if row.Bill == "" {
		return nil, bad(cOrderID, "empty value: give order_id, or bill_number, date and amount")
	}
	if row.Day, err = calendar.ParseDate(get(cDay)); err != nil {
		return nil, bad(cDay, fmt.Sprintf("bad date %q: want YYYY-MM-DD or DD.MM.YYYY", get(cDay)))
	}
	if row.Amount, err = money.Parse(get(cAmount)); err != nil || row.Amount <= 0 {
		if err == nil {
			err = errors.New("not positive")
		}
		return nil, bad(cAmount, fmt.Sprintf("bad amount %q: %v", get(cAmount), err))
	}
	return row, nil
}
