package matcher

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/exportcsv"
)

// Entries whose hashes share the slot, the tag or both must each be found,
// replaced only by their own key, and survive the table's growth.
func TestTableKeepsEveryEntry(t *testing.T) {
	var hashes []uint64
	for i := range 3000 {
		h := uint64(i%7)<<32 | uint64(i%5) // few tags, few home slots: long probe runs
		h |= uint64(i) << 40               // yet every hash differs
		hashes = append(hashes, h)
	}
	var tb *table
	tb = newTable(1, func(e uint32) uint64 { return hashes[e] })
	sameAs := func(h uint64) func(uint32) bool { return func(e uint32) bool { return hashes[e] == h } }
	for i, h := range hashes {
		if _, ok := tb.find(h, sameAs(h)); ok {
			t.Fatalf("entry %d found before it was put", i)
		}
		tb.put(h, uint32(i), sameAs(h))
	}
	for i, h := range hashes {
		if e, ok := tb.find(h, sameAs(h)); !ok || e != uint32(i) {
			t.Fatalf("entry %d: found %d, %v", i, e, ok)
		}
	}
	// put replaces the entry of the same key, and only it.
	hashes = append(hashes, hashes[42])
	tb.put(hashes[42], uint32(len(hashes)-1), sameAs(hashes[42]))
	if e, _ := tb.find(hashes[42], sameAs(hashes[42])); e != uint32(len(hashes)-1) {
		t.Fatalf("replaced entry: found %d", e)
	}
	if e, _ := tb.find(hashes[43], sameAs(hashes[43])); e != 43 {
		t.Fatalf("a neighbour of the replaced entry: found %d", e)
	}
	if tb.used != 3000 || overfull(tb.used, len(tb.slots)) {
		t.Fatalf("%d entries in %d slots", tb.used, len(tb.slots))
	}
}

// A table holds as many entries as its hint without growing.
func TestTableHoldsItsHint(t *testing.T) {
	const hint = 300_000
	tb := newTable(hint, func(e uint32) uint64 { return uint64(e) * 0x9E3779B97F4A7C15 })
	n := len(tb.slots)
	for i := range uint32(hint) {
		h := uint64(i) * 0x9E3779B97F4A7C15
		tb.put(h, i, func(e uint32) bool { return e == i })
	}
	if len(tb.slots) != n {
		t.Fatalf("the table grew from %d to %d slots for %d entries", n, len(tb.slots), hint)
	}
}

// The indexes move their entries by hashes recomputed from what the rows
// keep (the key's text and date, the order id): a table that grows from
// its smallest size must still find every key and every order id, with
// the date in the key or not.
func TestIndexesGrowFindingEveryRow(t *testing.T) {
	var billing, acquiring strings.Builder
	const rows = 5000 // 1 024 slots at first: the tables grow three times
	for i := range rows {
		fmt.Fprintf(&billing, "2026-11-%02d;B%d;S%d;SV1;LS%d;%d,00;0\n", 1+i%28, i, i%7, i, 100+i)
		fmt.Fprintf(&acquiring, "2026-11-%02d;O%d;2026-11-%02d;B%d;S%d;SV1;LS%d;%d,00;0\n", 1+i%28, i, 1+i%28, i, i%7, i, 100+i)
	}
	acquiring.WriteString("2026-11-01;O17;2026-11-01;B1;S1;SV1;LS1;101,00;0\n") // a repeated order id
	for _, rules := range []Rules{DefaultRules(), {KeyWithDate: true, MaxBadShare: 0.01}} {
		sum, err := Run([]Input{input(t, "b.csv", exportcsv.Billing, exportcsv.BillingHeader+billing.String())},
			[]Input{input(t, "a.csv", exportcsv.Acquiring, exportcsv.AcquiringHeader+acquiring.String())},
			Discard, WithRules(rules), ReadInline())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total.Matched != rows || sum.Held != 1 {
			t.Errorf("key with date %v: %d of %d rows matched, %d held (want the repeated order id)",
				rules.KeyWithDate, sum.Total.Matched, rows, sum.Held)
		}
	}
}
