package matcher

import "unsafe"

// table maps 64-bit hashes to entries (32-bit indices into a slice the
// caller keeps) by open addressing with linear probing. It replaces Go
// maps for the billing index and the order-id set: a slot is 8 bytes (the
// hash's high half as a tag, and the entry), holds no pointers and needs
// no key copy, and a probe usually reads one cache line; with 300 000
// entries each, the maps' probes and set-up were a third of the time.
type table struct {
	slots  []slot
	mask   uint64
	used   int
	hashOf func(entry uint32) uint64 // to move entries when the table grows
}

type slot struct {
	tag   uint32 // the hash's high half
	entry uint32 // index + 1; 0 is an empty slot
}

// A table is at most three quarters full: a lookup probes about two
// slots on average then, of eight in a cache line, and 300 000 entries fit
// 512 Ki slots (4 MiB) where at most half full they took twice that, all
// of it touched.
func overfull(used, slots int) bool { return 4*used > 3*slots }

// newTable sizes a table for hint entries (hints overshoot a little), so
// that a hint met does not grow it: growing moves every entry and leaves
// the old slots behind as garbage.
func newTable(hint int, hashOf func(uint32) uint64) *table {
	n := 1 << 10
	for overfull(hint, n) {
		n <<= 1
	}
	t := &table{slots: make([]slot, n), mask: uint64(n - 1), hashOf: hashOf}
	t.touch()
	return t
}

// touch writes a slot of each page of a fresh table, so that every page
// is faulted in once, for writing. Entries fall at random, so every page
// is written in the end; but warm reads a slot before put writes it, and
// a page first read is mapped to the kernel's shared zero page, then
// faults again when written: two faults a page instead of one.
func (t *table) touch() {
	const pageSlots = 4096 / int(unsafe.Sizeof(slot{}))
	for i := 0; i < len(t.slots); i += pageSlots {
		t.slots[i] = slot{}
	}
}

// find returns the entry whose hash is h and for which same says true,
// and whether there was one. same is asked only of entries whose tag
// matches, so mostly of the one sought.
func (t *table) find(h uint64, same func(entry uint32) bool) (uint32, bool) {
	tag := uint32(h >> 32)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s.entry == 0 {
			return 0, false
		}
		if s.tag == tag && same(s.entry-1) {
			return s.entry - 1, true
		}
	}
}

// put stores entry under h, replacing the entry for which same says true,
// if any.
func (t *table) put(h uint64, entry uint32, same func(entry uint32) bool) {
	tag := uint32(h >> 32)
	i := h & t.mask
	for ; t.slots[i].entry != 0; i = (i + 1) & t.mask {
		if s := t.slots[i]; s.tag == tag && same(s.entry-1) {
			t.slots[i].entry = entry + 1
			return
		}
	}
	t.slots[i] = slot{tag: tag, entry: entry + 1}
	if t.used++; overfull(t.used, len(t.slots)) {
		t.grow()
	}
}

// grow doubles the table, so probes stay short.
func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.entry == 0 {
			continue
		}
		i := t.hashOf(s.entry-1) & t.mask
		for t.slots[i].entry != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}
