// Package exportgen writes synthetic billing and acquiring exports of any
// size, deterministically from a seed, with a known mix of outcomes: most
// rows match, some differ by a kopeck or more, some are on one side only.
package exportgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	"golang.org/x/text/encoding/charmap"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/money"
)

// Spec describes what to generate.
type Spec struct {
	Rows        int           // billing rows; acquiring has about as many
	Days        int           // spread over this many days ending at Last
	Last        calendar.Date // the last day
	Seed        uint64
	Mismatch    float64 // share of keys whose sums differ
	OneSided    float64 // share of keys present on one side only (half each way)
	Windows1251 bool    // write the acquiring file in Windows-1251
}

// Counts is what the generated pair must reconcile to.
type Counts struct {
	Matched, Mismatched, BillingOnly, AcquiringOnly int
}

var purposes = []string{
	`Оплата ЖКУ за период`,
	`Оплата "ЖКУ" & пени`,
	`Взнос на капремонт; квитанция`,
	`Плата за содержание, ремонт`,
}

// Write writes the billing and acquiring exports and returns the expected
// counts. The OrderIDs are 32 characters, as GIS requires.
func Write(spec Spec, billing, acquiring io.Writer) (Counts, error) {
	if spec.Days <= 0 {
		spec.Days = 1
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(billing, 1<<16)
	var aw *bufio.Writer
	if spec.Windows1251 {
		aw = bufio.NewWriterSize(charmap.Windows1251.NewEncoder().Writer(acquiring), 1<<16)
	} else {
		aw = bufio.NewWriterSize(acquiring, 1<<16)
	}
	bw.WriteString(exportcsv.BillingHeader)
	aw.WriteString("Дата;Номер операции;Дата операции;Номер счета;Код поставщика;Код услуги;Лицевой счет;Сумма;Пени;Идентификатор ЖКУ;Период;Назначение платежа\n")
	var c Counts
	buf := make([]byte, 0, 256)
	for i := range spec.Rows {
		day := spec.Last.AddDays(-rng.IntN(spec.Days))
		bill := fmt.Sprintf("%010d", 1_000_000+i)
		supplier := fmt.Sprintf("S%03d", rng.IntN(40))
		service := fmt.Sprintf("SV%02d", rng.IntN(12))
		account := fmt.Sprintf("%08d", rng.IntN(90_000_000)+10_000_000)
		main := money.Kopecks(rng.IntN(1_500_000) + 1)
		fine := money.Kopecks(0)
		if rng.IntN(10) == 0 {
			fine = money.Kopecks(rng.IntN(50_000))
		}
		aMain, aFine := main+fine, money.Kopecks(0) // banks often fold the fine in
		r := rng.Float64()
		writeBilling, writeAcquiring := true, true
		switch {
		case r < spec.OneSided/2:
			writeAcquiring = false
			c.BillingOnly++
		case r < spec.OneSided:
			writeBilling = false
			c.AcquiringOnly++
		case r < spec.OneSided+spec.Mismatch:
			aMain += money.Kopecks(rng.IntN(100) + 1)
			c.Mismatched++
		default:
			c.Matched++
		}
		if writeBilling {
			buf = buf[:0]
			buf = fmt.Appendf(buf, "%s;%s;%s;%s;%s;", day, bill, supplier, service, account)
			buf = appendComma(buf, main)
			buf = append(buf, ';')
			buf = appendComma(buf, fine)
			buf = append(buf, '\n')
			bw.Write(buf)
		}
		if writeAcquiring {
			buf = buf[:0]
			y, m, _ := day.Time().Date()
			buf = fmt.Appendf(buf, "%s;%032x;%s;%s;%s;%s;%s;", ddmmyyyy(day), uint64(i)*2654435761+spec.Seed, ddmmyyyy(day),
				bill, supplier, service, account)
			buf = appendComma(buf, aMain)
			buf = append(buf, ';')
			buf = appendComma(buf, aFine)
			buf = fmt.Appendf(buf, ";%010d-%02d;%02d.%d;\"%s\"\n", i, rng.IntN(100), int(m), y, quote(purposes[i%len(purposes)]))
			aw.Write(buf)
		}
	}
	if err := bw.Flush(); err != nil {
		return c, err
	}
	return c, aw.Flush()
}

func ddmmyyyy(d calendar.Date) string { return d.Time().Format("02.01.2006") }

// appendComma writes an amount the way Russian exports do: decimal comma.
func appendComma(b []byte, k money.Kopecks) []byte {
	b = k.AppendText(b)
	b[len(b)-3] = ','
	return b
}

func quote(s string) string {
	out := make([]byte, 0, len(s)+4)
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(out)
}
