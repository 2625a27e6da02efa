// Package pack is the packer step: it turns a reconciled run's payments
// into GIS packages (at most 500 bank notifications or 250 supplier
// notifications each), fixes their GUIDs in Postgres before any XML
// exists, builds and signs each request, and archives it to S3. Running it
// again for the same run creates nothing new: it finishes what is left.
package packer

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/xades"
)

// Signer signs a request element in place (an enveloped signature) with
// content, its items' canonical form, as if they followed its children,
// and returns the reference it hashed, against which the written request
// is verified (xades.VerifyWritten).
type Signer interface {
	SignContent(el *etree.Element, content []byte) (*xades.Reference, error)
}

// Service runs the step.
type Service struct {
	Store         *postgres.Store
	Objects       *s3store.Store
	ArchiveBucket string
	Signer        Signer
	// PackageSize caps items per package below the schema's maximum
	// (0: the maximum, 500 or 250).
	PackageSize       int
	OperatorSignature bool
	Workers           int // parallel builders; 0: twice GOMAXPROCS, to sign while others wait on Postgres and S3
	// Archivers caps the uploads to the archive in flight at once (0:
	// DefaultArchivers). Uploading is waiting on S3, not CPU: with only
	// Workers of them, a run's 1 200 packages took 300 round trips.
	Archivers int
	// HoldBytes caps the requests signed while the storing transaction
	// runs, held until it commits (0: DefaultHoldBytes).
	HoldBytes int
	Log       *slog.Logger
	Clock     clock.Func

	// Keys chooses the signer per organisation (its own key, or the
	// operator's with IsOperatorSignature); nil: Signer and
	// OperatorSignature for every organisation.
	Keys *Keys
}

// The step's request and result are the contract's.
type (
	Request = contract.PackerRequest
	Result  = contract.PackerResult
)

// DefaultArchivers is how many uploads a packer keeps in flight: S3 takes
// thousands of requests a second per prefix, and each holds one signed
// request (at most ≈ 700 KB) in memory.
const DefaultArchivers = 32

// strandedAfter is how long a run may stay packing before its unsigned
// packages count as abandoned: longer than a packer can run (Lambda's
// 15-minute limit).
const strandedAfter = 20 * time.Minute

// Operation is the import an organisation of this kind sends.
func Operation(kind string) gismessage.Operation {
	if kind == postgres.KindFund {
		return gismessage.Notifications
	}
	return gismessage.SupplierNotifications
}

// Pack packs, signs and archives a run's payments.
func (s *Service) Pack(ctx context.Context, req Request) (*Result, error) {
	started := s.Clock.Now()
	ctx = withKeyCache(ctx)
	if req.RunID <= 0 {
		return nil, steperr.E("pack", steperr.InvalidInput, errors.New("the event has no run_id"))
	}
	owner := uuid.NewString()
	pre := s.newPresigner(ctx)
	packing, err := s.prepare(ctx, req.RunID, &postgres.Presign{Owner: owner, Lease: signingLease(ctx), Fixed: pre.start})
	prepared := s.Clock.Now()
	held := pre.finish(err == nil)
	presigned := len(held)
	if errors.Is(err, postgres.ErrNotFound) || errors.Is(err, postgres.ErrNotReady) {
		return nil, steperr.E("pack", steperr.InvalidInput, fmt.Errorf("%w", err))
	}
	if err != nil {
		return nil, err
	}
	pkgs, err := s.Store.PackagesOfRun(ctx, req.RunID)
	if err != nil {
		s.release(ctx, req.RunID, packing.PackageIDs, owner)
		return nil, err
	}
	signed, busy, err := s.signAll(ctx, packing.Org, req.RunID, pkgs, owner, held)
	if err != nil {
		return nil, err
	}
	if len(busy) > 0 {
		return nil, steperr.E("pack", steperr.TransientError, fmt.Errorf("run %d: packages %v are being signed by another packer", req.RunID, busy))
	}
	adopted, err := s.adoptStranded(ctx, packing.Org, req.RunID)
	if err != nil {
		return nil, err
	}
	s.reportKey(ctx, packing.Org)
	res := &Result{RunID: req.RunID, PackageIDs: packing.PackageIDs, Packages: len(packing.PackageIDs),
		Payments: packing.Payments, HeldBack: packing.Held, AlreadyLoaded: packing.AlreadyLoaded, Retried: packing.Retried,
		Signed: signed, Adopted: adopted,
		Resumed: packing.Resumed, DurationMillis: s.Clock.Now().Sub(started).Milliseconds()}
	if res.PackageIDs == nil {
		res.PackageIDs = []int64{}
	}
	res.SendBatches = contract.Batches(res.PackageIDs, contract.SendBatchSize)
	s.Log.Info("packed", "run_id", req.RunID, "org", packing.Org.Code, "packages", res.Packages, "payments", res.Payments,
		"held_back", res.HeldBack, "already_loaded", res.AlreadyLoaded, "retried", res.Retried, "signed_now", signed, "presigned", presigned, "adopted", adopted,
		"resumed", res.Resumed,
		"prepare_ms", prepared.Sub(started).Milliseconds(), "duration_ms", res.DurationMillis)
	return res, nil
}

func recipient(org *postgres.Organization) *gismessage.Recipient {
	return &gismessage.Recipient{INN: org.INN, KPP: org.KPP, Name: org.Name, BankName: org.BankName, BankBIK: org.BankBIK,
		PaymentRecipient: org.PaymentRecipient, OperatingAccount: org.OperatingAccount,
		CorrespondentAccount: org.CorrespondentAccount}
}

func notification(c *postgres.Candidate, transportGUID string) gismessage.Notification {
	return gismessage.Notification{TransportGUID: transportGUID, OrderID: c.OrderID, OrderDate: c.OrderDate, Amount: c.Amount,
		PaymentDocumentID: c.PaymentDocumentID, ServiceID: c.GISServiceID, UnifiedAccountNumber: c.UnifiedAccountNumber,
		AccountNumber: c.AccountNumber, Purpose: c.Purpose, Month: c.Month, Year: c.Year}
}

// plan gives each sendable candidate a TransportGUID, holds back the rest
// with the reason, and cuts the sendable ones into packages.
func (s *Service) plan(org *postgres.Organization, candidates []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
	op := Operation(org.Kind)
	if op == gismessage.Notifications {
		if err := gismessage.CheckRecipient(recipient(org)); err != nil {
			return nil, nil, steperr.New(steperr.InvalidInput, fmt.Errorf("organisation %s: %w", org.Code, err))
		}
	}
	size := op.MaxItems()
	if s.PackageSize > 0 && s.PackageSize < size {
		size = s.PackageSize
	}
	var packages []postgres.PlannedPackage
	var holds []postgres.Hold
	for i := range candidates {
		c := &candidates[i]
		guid := newGUID()
		n := notification(c, guid)
		if err := op.Check(&n); err != nil {
			holds = append(holds, postgres.Hold{ReconRowID: c.ReconRowID, Reason: err.Error()})
			continue
		}
		if len(packages) == 0 || len(packages[len(packages)-1].Payments) == size {
			packages = append(packages, postgres.PlannedPackage{MessageGUID: newGUID(), Operation: string(op)})
		}
		last := &packages[len(packages)-1]
		last.Payments = append(last.Payments, postgres.PlannedPayment{Candidate: c, TransportGUID: guid})
	}
	return packages, holds, nil
}

// newGUID is a TransportGUID or MessageGUID: a time-ordered UUID
// (version 7, RFC 9562), which GIS's GUIDType pattern takes like any other,
// so the unique index on payment.transport_guid grows at its right edge
// instead of touching a random page per payment.
func newGUID() string { return uuid.Must(uuid.NewV7()).String() }

// adoptStranded signs the packages an earlier packer of the organisation
// stored but never signed (it failed, or was cut off), with their stored
// GUIDs; the sweep sends them. Packages another packer is signing are its
// own business.
func (s *Service) adoptStranded(ctx context.Context, org *postgres.Organization, runID int64) (int, error) {
	stranded, err := s.Store.StrandedPackages(ctx, org.ID, runID, strandedAfter)
	if err != nil {
		return 0, err
	}
	byRun := map[int64][]postgres.Package{}
	for _, p := range stranded {
		byRun[p.RunID] = append(byRun[p.RunID], p)
	}
	adopted := 0
	for run, pkgs := range byRun {
		n, _, err := s.signAll(ctx, org, run, pkgs, uuid.NewString(), nil)
		adopted += n
		if err != nil {
			return adopted, err
		}
	}
	return adopted, nil
}

// signAll archives every package of the run still in status built that
// owner can claim, a few at a time, with its request from held (signed
// while the packages were stored, taken from held as used) or else built
// and signed now; it returns how many it archived. Packages another
// packer is signing come back as busy.
func (s *Service) signAll(ctx context.Context, org *postgres.Organization, runID int64, pkgs []postgres.Package,
	owner string, held map[int64][]byte) (signed int, busy []int64, err error) {
	claimed, busy, err := s.Store.ClaimForSigning(ctx, runID, owner, signingLease(ctx))
	if err != nil {
		return 0, nil, err
	}
	mine := map[int64]bool{}
	for _, id := range claimed {
		mine[id] = true
	}
	workers := s.Workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	building := semaphore.NewWeighted(int64(workers))
	marks := &signedMarks{store: s.Store}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(s.Archivers, DefaultArchivers))
	for _, p := range pkgs {
		if !mine[p.ID] {
			continue
		}
		signed++
		data, ok := held[p.ID]
		delete(held, p.ID)
		g.Go(func() error {
			if !ok {
				var err error
				if data, err = s.signOne(gctx, org, p, building); err != nil {
					return err
				}
			}
			return s.archive(gctx, p, data, marks)
		})
	}
	err = g.Wait()
	// The archived ones are marked even after a failure, so a retry does
	// not sign them again.
	if ferr := marks.flush(ctx); err == nil {
		err = ferr
	}
	if err != nil {
		// Let a retry take the unsigned ones at once, not after the lease.
		s.release(ctx, runID, claimed, owner)
		return signed, busy, err
	}
	return signed, busy, nil
}

// release gives back owner's claims on packages it did not sign.
func (s *Service) release(ctx context.Context, runID int64, ids []int64, owner string) {
	if err := s.Store.ReleaseSigning(context.WithoutCancel(ctx), ids, owner); err != nil {
		s.Log.Warn("signing claims not released", "run_id", runID, "error", err.Error())
	}
}

// signingLease is how long a claim to sign lasts: to the end of this
// invocation (Lambda's deadline, with a margin for the clocks), so a
// packer never archives after its claim passed on, and a timed-out one
// holds nothing back; without a deadline, Lambda's longest invocation.
func signingLease(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl) + 10*time.Second
	}
	return 15 * time.Minute
}

// ArchiveKey is where a package's signed request is kept.
func ArchiveKey(p postgres.Package) string {
	d := p.CreatedAt.In(calendar.Moscow)
	return fmt.Sprintf("archive/%04d/%02d/%02d/%d/%d.request.xml", d.Year(), d.Month(), d.Day(), p.RunID, p.ID)
}

// buildImport builds an import package's request from its payments.
func (s *Service) buildImport(ctx context.Context, org *postgres.Organization, p postgres.Package, hdr gismessage.Header) (*gismessage.Message, error) {
	items, err := s.Store.PackageItems(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	notes := make([]gismessage.Notification, len(items))
	for i := range items {
		notes[i] = notification(&items[i].Candidate, items[i].TransportGUID)
	}
	return gismessage.Compose(gismessage.Operation(p.Operation), hdr, recipient(org), notes)
}

// signOne builds and signs a package from its stored rows, at most as
// many at once as building lets.
func (s *Service) signOne(ctx context.Context, org *postgres.Organization, p postgres.Package, building *semaphore.Weighted) ([]byte, error) {
	if err := building.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer building.Release(1)
	return s.signedRequest(ctx, org, p, func(hdr gismessage.Header) (*gismessage.Message, error) {
		return s.build(ctx, org, p, hdr)
	})
}

// signedRequest builds a package's request with build, signs it and
// writes it; the bytes returned verify as written.
func (s *Service) signedRequest(ctx context.Context, org *postgres.Organization, p postgres.Package,
	build func(gismessage.Header) (*gismessage.Message, error)) ([]byte, error) {
	signer, operator, err := s.SignerFor(ctx, org)
	if err != nil {
		return nil, err
	}
	hdr := gismessage.Header{Date: s.Clock.Now(), MessageGUID: p.MessageGUID, OrgPPAGUID: org.OrgPPAGUID,
		OperatorSignature: operator}
	msg, err := build(hdr)
	if err != nil {
		return nil, fmt.Errorf("pack: package %d: %w", p.ID, err)
	}
	ref, err := signer.SignContent(msg.Request, msg.CanonicalItems())
	if err != nil {
		return nil, signError(fmt.Errorf("pack: sign package %d: %w", p.ID, err))
	}
	data, err := msg.Bytes()
	if err != nil {
		return nil, err
	}
	if err := verifyWritten(data, ref); err != nil {
		return nil, fmt.Errorf("pack: package %d does not verify as written, not archived: %w", p.ID, err)
	}
	return data, nil
}

// archive puts a package's signed request in the archive, then has marks
// mark the package signed.
func (s *Service) archive(ctx context.Context, p postgres.Package, data []byte, marks *signedMarks) error {
	key := ArchiveKey(p)
	if err := s.Objects.Put(ctx, s.ArchiveBucket, key, "application/xml", bytes.NewReader(data)); err != nil {
		return err
	}
	return marks.add(ctx, p.ID, key)
}

// verifyWritten verifies the signature over the bytes to be archived and
// sent, read as GIS's parser reads them: the tree that was signed and the
// bytes written from it can disagree (a CR the parser turns into LF), and
// GIS refuses the whole package then. xades.VerifyWritten reads the bytes
// without building a tree, refuses what it does not read exactly as a
// parser would, and compares the request's canonical form with the one
// the signer hashed instead of hashing it again.
func verifyWritten(data []byte, ref *xades.Reference) error {
	_, err := xades.VerifyWritten(data, ref)
	return err
}
