package packer

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// DefaultHoldBytes caps the signed requests a packer holds while its
// storing transaction runs: about 2 700 supplier packages of 250
// payments (≈ 98 KB each) or 380 bank packages of 500 (≈ 700 KB).
const DefaultHoldBytes = 256 << 20

// presigner builds and signs a run's packages from the plan while the
// transaction that stores them is still open, so signing need not wait
// for Postgres to store the payments. It only holds what it signs:
// nothing is archived or marked signed before the transaction has
// committed and this packer has claimed the package (signAll), and a
// failed transaction drops it all. A package it did not get to is signed
// from the stored rows like any other.
type presigner struct {
	s     *Service
	ctx   context.Context
	limit int

	mu      sync.Mutex
	room    *sync.Cond // broadcast when stopped
	bytes   int
	held    map[int64][]byte
	stopped bool
	workers sync.WaitGroup
}

func (s *Service) newPresigner(ctx context.Context) *presigner {
	limit := s.HoldBytes
	if limit <= 0 {
		limit = DefaultHoldBytes
	}
	p := &presigner{s: s, ctx: ctx, limit: limit, held: map[int64][]byte{}}
	p.room = sync.NewCond(&p.mu)
	return p
}

// start signs the planned packages, their ids fixed, in plan order, on
// as many workers as there are CPUs: the work is all CPU.
func (p *presigner) start(org *postgres.Organization, planned []postgres.PlannedPackage) {
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			for i := next.Add(1) - 1; i < int64(len(planned)) && p.reserve(); i = next.Add(1) - 1 {
				p.sign(org, &planned[i])
			}
		}()
	}
}

// reserve waits while the cap on held bytes is reached; false once the
// transaction has ended, when nothing more is started. The held bytes
// stay under the cap plus one package per worker.
func (p *presigner) reserve() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.bytes >= p.limit && !p.stopped {
		p.room.Wait()
	}
	return !p.stopped
}

// sign holds a package's signed request; a package that fails here is
// left to be signed from its stored rows, which reports the failure.
func (p *presigner) sign(org *postgres.Organization, pp *postgres.PlannedPackage) {
	pkg := postgres.Package{ID: pp.ID, MessageGUID: pp.MessageGUID, Operation: pp.Operation}
	data, err := p.s.signedRequest(p.ctx, org, pkg, func(hdr gismessage.Header) (*gismessage.Message, error) {
		return buildPlanned(org, pp, hdr)
	})
	if err != nil {
		return
	}
	p.mu.Lock()
	p.held[pp.ID] = data
	p.bytes += len(data)
	p.mu.Unlock()
}

// finish stops the signing once the transaction has ended, waits for the
// packages in hand, and returns the signed requests by package id if the
// transaction committed (nil otherwise: they are dropped).
func (p *presigner) finish(committed bool) map[int64][]byte {
	p.mu.Lock()
	p.stopped = true
	p.room.Broadcast()
	p.mu.Unlock()
	p.workers.Wait()
	if !committed {
		return nil
	}
	return p.held
}

// buildPlanned builds a package's request from the plan, as buildImport
// does from the stored rows.
func buildPlanned(org *postgres.Organization, pp *postgres.PlannedPackage, hdr gismessage.Header) (*gismessage.Message, error) {
	notes := make([]gismessage.Notification, len(pp.Payments))
	for i, pay := range pp.Payments {
		notes[i] = notification(pay.Candidate, pay.TransportGUID)
	}
	return gismessage.Compose(gismessage.Operation(pp.Operation), hdr, recipient(org), notes)
}
