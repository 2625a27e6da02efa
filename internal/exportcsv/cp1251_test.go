package exportcsv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Headers in Windows-1251 whose Russian names make a file's start invalid
// UTF-8, so it is read as Windows-1251 whatever follows.
var cp1251Headers = []struct {
	kind   Kind
	header string
}{
	{Billing, "Дата;Номер счета;Код поставщика;Код услуги;Лицевой счет;Сумма;Пени;Прочее\r\n"},
	{Acquiring, "Дата;Номер операции;Дата операции;Номер счета;Код поставщика;Код услуги;Лицевой счет;Сумма;Пени;" +
		"ИПД;Идентификатор ЖКУ;ЕЛС;Период;Назначение платежа;Тип операции\n"},
}

// nastyRows are the rows the seed corpus and the random files are made of:
// quotes (doubled, unclosed, over lines), CRLF, control characters, every
// kind of Windows-1251 high byte (0x98 is no character), bad dates and
// amounts, over-long values, refunds.
var nastyRows = []string{
	"2026-11-21;B1;S1;SV1;LS1;1 234,50;0;x",
	"21.11.2026;O1;21.11.2026;B1;S1;SV1;LS1;10.5;1,05;ИПД1;ЖКУ1;ЕЛС1;11.2026;\"Оплата \"\"ЖКУ\"\" & пени\";оплата",
	"2026-11-21;O2;2026-11-21;B2;S1;SV1;LS1;-5;0;;;;;возврат;",
	"2026-13-21;O3;2026-11-21;B3;S1;SV1;LS1;ten;0;;;;;;",
	"2026-11-21;O4;2026-11-21;\"B4\"x;S1;SV1;LS1;1;0;;;;;;",
	"2026-11-21;O5;2026-11-21;\"B5;S1;SV1;LS1;1;0;;;;;;",
	"2026-11-21;O6;2026-11-21;B6;S1;SV1;\"LS\r\n6\";1;0;;;;;\"две\nстроки\";",
	"2026-11-21;O7;2026-11-21;B\x077;S1;SV1;LS\t1;1;0;;;;;\x01\x98\xff;",
	"2026-11-21;O8;2026-11-21;B8\x00;S1;SV1;LS1;1;0;;;;;;",
	"2026-11-21;O9;2026-11-21;" + strings.Repeat("\xc1", 1001) + ";S1;SV1;LS1;1;0;;;;;;",
	"2026-11-21;O10;2026-11-21;B10;S1;SV1;LS1;1;0;;;;13.2026;" + strings.Repeat("\xe0б", 600) + ";",
	"  2026-11-21 ; O11 ;2026-11-21; B11\xa0; S1 ;SV1;\x98;0,01;-0,01;;;;;;обмен",
	"2026-11-21;O12",
	"",
	"\"",
	"\"\"\"\"",
	";;;;;;;;;;;;;;",
	"2026-02-30;O13;30.02.2026;B13;S1;SV1;LS1;1e3;0x10;;;;;;",
	"2026-11-21;\xab\xbb;2026-11-21;\xb9\xa8\xb8;\x80\x81\x82;\x83\x84\x85\x86;\x87\x88\x89;99999999999999999999;0;;;;;;",
}

// The reader decodes Windows-1251 only where it must; it must read a file
// exactly as the same text in UTF-8: the same rows, errors, held rows and
// counts, on every seed and on whatever else the fuzzer finds.
func FuzzWindows1251ReadsAsUTF8(f *testing.F) {
	for i, row := range nastyRows {
		f.Add(uint8(i), to1251(row+"\n"+nastyRows[(i+1)%len(nastyRows)]+"\r\n"))
	}
	rnd := rand.New(rand.NewPCG(11, 1251))
	for i := range 300 {
		f.Add(uint8(i), randomRows(rnd))
	}
	f.Fuzz(func(t *testing.T, h uint8, body string) {
		hd := cp1251Headers[int(h)%len(cp1251Headers)]
		raw := to1251(hd.header) + body
		text, err := charmap.Windows1251.NewDecoder().String(raw)
		if err != nil {
			t.Fatal(err)
		}
		got := readTrace(hd.kind, raw)
		if want := readTrace(hd.kind, text); got != want {
			t.Fatalf("%q read as Windows-1251:\n%s\nread as UTF-8:\n%s", raw, got, want)
		}
	})
}

// randomRows is a file body cut and spliced from nastyRows, with random
// bytes put in, a byte of the file cut out now and then.
func randomRows(rnd *rand.Rand) string {
	var b []byte
	for range 1 + rnd.IntN(8) {
		row := []byte(to1251(nastyRows[rnd.IntN(len(nastyRows))]))
		for range rnd.IntN(3) {
			at := rnd.IntN(len(row) + 1)
			row = append(row[:at], append([]byte{byte(rnd.IntN(256))}, row[at:]...)...)
		}
		if len(row) > 0 && rnd.IntN(4) == 0 {
			at := rnd.IntN(len(row))
			row = append(row[:at], row[at+1:]...)
		}
		b = append(b, row...)
		b = append(b, []string{"\n", "\r\n", "\r", ""}[rnd.IntN(4)]...)
	}
	return string(b)
}

// to1251 is s in Windows-1251: its UTF-8 characters encoded, the bytes
// that are not UTF-8 (written as \x escapes above) kept as they are.
func to1251(s string) string {
	var b []byte
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if e, ok := charmap.Windows1251.EncodeRune(r); ok && r != utf8.RuneError {
			b = append(b, e)
		} else {
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return string(b)
}

// readTrace is everything a reader says about a file, one line per call.
func readTrace(kind Kind, data string) string {
	var out strings.Builder
	rd, err := NewReader("f.csv", kind, strings.NewReader(data), Limits{})
	if err != nil {
		return fmt.Sprintf("NewReader: %v", describe(err))
	}
	each(rd, func(row Row, err error) bool {
		var h *Held
		switch {
		case errors.As(err, &h):
			fmt.Fprintf(&out, "held %+v amounts=%v dated=%v row %+v\n", *h.Err, h.Amounts, h.Dated, row)
		case err != nil:
			fmt.Fprintf(&out, "error %s\n", describe(err))
		default:
			fmt.Fprintf(&out, "row %+v\n", row)
		}
		return true
	})
	from, to, ok := rd.Dates()
	fmt.Fprintf(&out, "rows %d held %d dates %v %v %v errors %s", rd.Rows(), rd.HeldRows(), from, to, ok, describe(rd.Errors()))
	return out.String()
}

func describe(err error) string {
	if es, ok := AsErrors(err); ok && es != nil {
		var b strings.Builder
		for _, e := range es.List {
			fmt.Fprintf(&b, "%+v; ", *e)
		}
		return fmt.Sprintf("%s dropped %d", b.String(), es.Dropped)
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return fmt.Sprintf("%+v", *e)
	}
	if err == nil || reflect.ValueOf(err).IsNil() {
		return "none"
	}
	return err.Error()
}

// decode1251 writes through a pointer bounded by its one check: with the
// room it asks for, 3×len(src)+1, and the widest characters (€ takes
// three bytes), after ASCII words or not, nothing past that room changes.
func TestDecode1251StaysInItsRoom(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for _, src := range [][]byte{bytes.Repeat([]byte{0x88}, n), bytes.Repeat([]byte("ascii \x88\x88"), n)[:n]} {
			want, err := charmap.Windows1251.NewDecoder().Bytes(src)
			if err != nil {
				t.Fatal(err)
			}
			room := 3*len(src) + 1
			buf := bytes.Repeat([]byte{0xAA}, room+8)
			w := decode1251(buf[:room], src)
			if !bytes.Equal(buf[:w], want) {
				t.Fatalf("%x: decoded %q, want %q", src, buf[:w], want)
			}
			if !bytes.Equal(buf[room:], bytes.Repeat([]byte{0xAA}, 8)) {
				t.Fatalf("%x: wrote past its room: % x", src, buf[room:])
			}
		}
	}
}
