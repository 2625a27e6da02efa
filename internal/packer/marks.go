package packer

import (
	"context"
	"sync"

	"github.com/gispayments/gis-payments/internal/postgres"
)

// markBatch is how many archived packages are marked signed in one
// statement: one UPDATE and one commit per package cost a run of 1 200
// packages 1 200 transactions.
const markBatch = 100

// signedMarks collects the packages whose signed requests are archived and
// marks them signed a batch at a time. Only archived packages are added,
// so none is marked before its request is stored; one archived but not
// yet marked when the packer stops stays built and is signed again, with
// its stored GUIDs, by the next packer that claims it.
type signedMarks struct {
	store *postgres.Store
	mu    sync.Mutex
	ids   []int64
	keys  []string
}

// add records an archived package, and marks a full batch.
func (m *signedMarks) add(ctx context.Context, id int64, key string) error {
	m.mu.Lock()
	m.ids, m.keys = append(m.ids, id), append(m.keys, key)
	full := len(m.ids) >= markBatch
	m.mu.Unlock()
	if !full {
		return nil
	}
	return m.flush(ctx)
}

// flush marks what was added and not marked yet.
func (m *signedMarks) flush(ctx context.Context) error {
	m.mu.Lock()
	ids, keys := m.ids, m.keys
	m.ids, m.keys = nil, nil
	m.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	return m.store.MarkPackagesSigned(ctx, ids, keys)
}
