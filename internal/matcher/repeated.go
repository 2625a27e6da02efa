package matcher

import (
	"slices"

	"github.com/gispayments/gis-payments/internal/money"
)

// maxSplitRows bounds the bank rows tried together against one billing row
// (2^16 subsets at most): a person pays a bill in a few parts, not dozens.
const maxSplitRows = 16

// settlePending decides the bank rows that waited for the whole registry,
// one key at a time: a billing row against several of them whose sum
// equals it (Split); then, when exactly one billing row and one bank row
// of the key are left, a Mismatch, as for a key that does not repeat; the
// rest one-sided.
func (m *matcher) settlePending() error {
	order := make([]int, len(m.pending))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ha, hb := m.pending[a].hash, m.pending[b].hash
		switch {
		case ha < hb:
			return -1
		case ha > hb:
			return 1
		}
		return 0
	})
	var group []*pendingRow
	for i, at := range order {
		p := &m.pending[at]
		if p.done {
			continue
		}
		// The rows of p's key: same hash, same key (a hash may hold several keys).
		group = append(group[:0], p)
		for _, next := range order[i+1:] {
			q := &m.pending[next]
			if q.hash != p.hash {
				break
			}
			if !q.done && q.row.BillNumber == p.row.BillNumber && q.row.SupplierID == p.row.SupplierID &&
				q.row.ServiceID == p.row.ServiceID && (!m.rules.KeyWithDate || q.row.Date == p.row.Date) {
				group = append(group, q)
			}
		}
		if err := m.settleKey(group); err != nil {
			return err
		}
	}
	m.pending = nil
	return nil
}

// settleKey settles the waiting bank rows of one key.
func (m *matcher) settleKey(group []*pendingRow) error {
	open := m.openBilling(group)
	for _, bi := range open {
		b := &m.rows[bi]
		var parts []*pendingRow
		for _, p := range group {
			if !p.done && m.near(b, &p.row) && p.row.Total() <= b.total() && len(parts) < maxSplitRows {
				parts = append(parts, p)
			}
		}
		chosen := subsetSum(parts, b.total())
		if len(chosen) < 2 {
			continue
		}
		for _, p := range chosen {
			p.done = true
			if err := m.match(Split, b, &p.row, int(p.source)); err != nil {
				return err
			}
		}
	}
	var left []*pendingRow
	for _, p := range group {
		if !p.done {
			left = append(left, p)
		}
	}
	open = slices.DeleteFunc(open, func(i int32) bool { return m.rows[i].matched })
	if len(left) == 1 && len(open) == 1 && m.near(&m.rows[open[0]], &left[0].row) {
		left[0].done = true
		return m.match(Mismatch, &m.rows[open[0]], &left[0].row, int(left[0].source))
	}
	for _, p := range left {
		p.done = true
		m.day(p.row.Date).AcquiringOnly++
		if err := m.emit(Result{Day: p.row.Date, Dated: true, Status: AcquiringOnly, Acquiring: &p.row,
			AcquiringSource: int(p.source)}); err != nil {
			return err
		}
	}
	return nil
}

// openBilling lists the unmatched billing rows within reach of any of the
// group's bank rows, in file order.
func (m *matcher) openBilling(group []*pendingRow) []int32 {
	var out []int32
	i := m.newest(group[0].hash, &group[0].row)
	for i >= 0 {
		for _, p := range group {
			if m.near(&m.rows[i], &p.row) {
				out = append(out, i)
				break
			}
		}
		i = m.rows[i].next
	}
	slices.Sort(out)
	return out
}

// subsetSum finds rows whose totals add up to want, preferring the earliest
// rows (a depth-first search in file order), or nil.
func subsetSum(rows []*pendingRow, want money.Kopecks) []*pendingRow {
	var pick []*pendingRow
	var walk func(from int, left money.Kopecks) bool
	walk = func(from int, left money.Kopecks) bool {
		if left == 0 && len(pick) >= 2 {
			return true
		}
		for i := from; i < len(rows); i++ {
			t := rows[i].row.Total()
			if t > left || (t == 0 && left != 0) {
				continue
			}
			pick = append(pick, rows[i])
			if walk(i+1, left-t) {
				return true
			}
			pick = pick[:len(pick)-1]
		}
		return false
	}
	if walk(0, want) {
		return pick
	}
	return nil
}
