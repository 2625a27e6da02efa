package postgres

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lifecycle"
	"github.com/gispayments/gis-payments/internal/money"
)

// Candidate is a reconciled payment the packer may load: the bank side of
// a recon row, which is what GIS is told was paid.
type Candidate struct {
	ReconRowID           int64
	OrderID              string
	OrderDate            calendar.Date
	Amount               money.Kopecks
	PaymentDocumentID    string
	GISServiceID         string
	UnifiedAccountNumber string
	AccountNumber        string
	Purpose              string
	Month, Year          int
	// Attempt is which try at this order the payment will be: 1, or one
	// more than the payment an earlier run left in error.
	Attempt int16
	day     calendar.Date // the recon row's, which orders a run's own candidates
}

// PlannedPackage is a package the packer decided on, GUIDs included.
type PlannedPackage struct {
	ID          int64 // once stored
	MessageGUID string
	Operation   string
	Payments    []PlannedPayment
}

// PlannedPayment is one payment in a planned package.
type PlannedPayment struct {
	Candidate     *Candidate
	TransportGUID string
}

// Hold is a payment held back, with the reason.
type Hold struct {
	ReconRowID int64
	Reason     string
}

// Planner decides the packages of a run from its candidates.
type Planner func(org *Organization, candidates []Candidate) ([]PlannedPackage, []Hold, error)

// Presign lets the packer that creates a run's packages sign them while
// the transaction stores their payments. The packages are created with
// Owner's signing lease (for Lease, as ClaimForSigning gives it), so no
// other packer claims them before Owner does once they are committed;
// Fixed (if set) is told them as soon as their ids are, inside the
// transaction, which may yet roll back.
type Presign struct {
	Owner string
	Lease time.Duration
	Fixed func(org *Organization, planned []PlannedPackage)
}

// Packing is what PreparePackages found or did.
type Packing struct {
	Org           *Organization
	PackageIDs    []int64
	Payments      int
	Held          int
	AlreadyLoaded int  // payments of this run already queued, sent or loaded by another run
	Retried       int  // payments left in error by earlier runs, taken again
	Resumed       bool // the packages existed already (a retry)
}

// PreparePackages plans and stores a run's packages and payments in one
// transaction, before any XML exists, so their TransportGUIDs and
// MessageGUIDs are fixed once and never regenerated. A second call for the
// same run finds the packages and creates nothing. pre may be nil.
func (s *Store) PreparePackages(ctx context.Context, runID int64, plan Planner, pre *Presign) (*Packing, error) {
	var out *Packing
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Enough to sort a run's candidates and hash its rows in memory,
		// not on disk. No JIT: its compiling of each of these run-once
		// queries (0.27 s for the reference check) cost more than it saved.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '128MB'; SET LOCAL jit = off`); err != nil {
			return err
		}
		// PaymentHistory implies this cause for the payments created here.
		if err := setCause(ctx, tx, "packed by run %d", runID); err != nil {
			return err
		}
		status, _, reconciledAt, org, err := lockRun(ctx, tx, runID)
		if err != nil {
			return err
		}
		orgID := org.ID
		out = &Packing{Org: org}
		if reconciledAt == nil {
			return fmt.Errorf("run %d is not reconciled (status %s): %w", runID, status, ErrNotReady)
		}
		if ready, err := readyToPack(ctx, tx, runID, status); err != nil || !ready {
			if err == nil { // packed before: report, do not plan again
				out.Resumed = true
				err = packedBefore(ctx, tx, runID, out)
			}
			return err
		}
		withheld, err := holdWithheld(ctx, tx, runID)
		if err != nil {
			return err
		}
		statuses := strs(lifecycle.Loads(org.LoadPolicy))
		candidates, retried, err := loadCandidates(ctx, tx, runID, orgID, statuses, out)
		if err != nil {
			return err
		}
		planned, holds, err := plan(org, candidates)
		if err != nil {
			return err
		}
		if err := storeHolds(ctx, tx, holds); err != nil {
			return err
		}
		out.Retried = retried
		out.Held = len(holds) + withheld
		if out.PackageIDs, out.Payments, err = storePackages(ctx, tx, runID, org, planned, pre); err != nil {
			return err
		}
		return endPacking(ctx, tx, runID, lifecycle.AfterPacking(len(planned), out.Held))
	})
	if err != nil {
		return nil, fmt.Errorf("store: prepare packages of run %d: %w", runID, err)
	}
	return out, nil
}

// packedBefore reports what an earlier packing of the run stored; a run
// about to be packed has none of it, and counting its 300 000 recon rows
// for nothing cost 0.06-0.1 s.
func packedBefore(ctx context.Context, tx pgx.Tx, runID int64, out *Packing) error {
	return tx.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}'),
			(SELECT count(*) FROM payment WHERE `+paymentsOfRun("", "$1")+`), (SELECT count(*) FROM recon_row WHERE run_id = $1 AND hold_reason IS NOT NULL)
		FROM package WHERE run_id = $1`, runID).Scan(&out.PackageIDs, &out.Payments, &out.Held)
}

// endPacking gives a packed run its next status; a run with nothing to
// send ends here.
func endPacking(ctx context.Context, tx pgx.Tx, runID int64, next contract.RunStatus) error {
	_, err := tx.Exec(ctx, `UPDATE run SET status = $2, finished_at = CASE WHEN $3 THEN now() END WHERE id = $1`,
		runID, next, next != contract.RunPacking)
	return err
}

// lockRun locks a run for packing and reads it with its organisation.
func lockRun(ctx context.Context, tx pgx.Tx, runID int64) (status contract.RunStatus, kind string, reconciledAt *time.Time, org *Organization, err error) {
	var orgID int64
	err = tx.QueryRow(ctx, `SELECT status, kind, organization_id, reconciled_at FROM run WHERE id = $1 FOR UPDATE`, runID).
		Scan(&status, &kind, &orgID, &reconciledAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	if err == nil {
		org, err = scanOrg(tx.QueryRow(ctx, `SELECT `+orgColumns+` FROM organization WHERE id = $1`, orgID))
	}
	return status, kind, reconciledAt, org, err
}

// ErrNotReady means a step was asked to act on a run not ready for it.
var ErrNotReady = errors.New("run not ready")

// candidateColumns reads a Candidate from recon_row r; the amount is the
// bank side, main + fine, in kopecks.
const candidateColumns = `r.id, r.order_id, r.order_date, ((r.acquiring_main + r.acquiring_fine) * 100)::bigint,
	coalesce(r.payment_document_id, ''), coalesce(r.gis_service_id, ''), coalesce(r.unified_account_number, ''),
	coalesce(r.account_number, ''), coalesce(r.payment_purpose, ''), coalesce(r.period_month, 0), coalesce(r.period_year, 0)`

// candidateScanner scans candidateColumns, after the leading columns
// first points to, into one set of destinations kept from row to row: a
// run's 300 000 candidates cost no allocation each but their strings.
type candidateScanner struct {
	c           Candidate
	day         time.Time
	kopecks     int64
	month, year int16
	dest        []any
}

func newCandidateScanner(first ...any) *candidateScanner {
	s := &candidateScanner{}
	c := &s.c
	s.dest = append(first, &c.ReconRowID, &c.OrderID, &s.day, &s.kopecks, &c.PaymentDocumentID, &c.GISServiceID,
		&c.UnifiedAccountNumber, &c.AccountNumber, &c.Purpose, &s.month, &s.year)
	return s
}

// scan reads the current row; the leading columns land where first
// pointed.
func (s *candidateScanner) scan(rows pgx.Rows) (Candidate, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return Candidate{}, err
	}
	s.c.OrderDate, s.c.Amount = calendar.FromYMD(s.day.Date()), money.Kopecks(s.kopecks)
	s.c.Month, s.c.Year = int(s.month), int(s.year)
	return s.c, nil
}

// ownCandidates selects run $1's rows by the statuses $2 (or an
// operator's approval), each with whether organisation $3 holds a live
// payment of its order, whether it is in those statuses and whether it is
// not withheld: the rows to load and the count of those already loaded in
// one pass, each order looked up once (a second pass for the count cost
// 0.14 s of the backend's CPU on an empty payment table, 0.4 s on one of
// 300 000 payments).
var ownCandidates = `SELECT ` + liveOrder + `, r.status = ANY($2), ` + notWithheld + `, 1, r.day, ` + candidateColumns + `
	FROM recon_row r WHERE r.run_id = $1 AND (r.status = ANY($2) OR ` + approvedExtra + `)`

// loadCandidates returns the run's payments to load by the policy's
// statuses, counting in out those already loaded, then the organisation's
// orders whose latest payment an earlier run left in error (retryable: a
// transient GIS code or a whole-message failure) or an operator asked to
// resend (payment_resend), which each run takes again unless it holds the
// same order itself. Orders live, loaded or possibly held by GIS are left
// out.
func loadCandidates(ctx context.Context, tx pgx.Tx, runID, orgID int64, statuses []string, out *Packing) (own []Candidate, retried int, err error) {
	// Ordered here by day and row, not by an ORDER BY: Postgres sorted the
	// whole 250-byte rows of a 300 000-row run, 0.15-0.2 s of the backend's
	// CPU (of 0.5), before the packer could plan; they mostly come in that
	// order already, which the sort here only checks.
	var live, byStatus, notWithheld bool
	own, err = queryCandidates(ctx, tx, ownCandidates, []any{&live, &byStatus, &notWithheld}, func() bool {
		if live && byStatus {
			out.AlreadyLoaded++
		}
		return live || !notWithheld
	}, runID, statuses, orgID)
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(own, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.ReconRowID, b.ReconRowID))
	})
	retry, err := queryCandidates(ctx, tx, `SELECT DISTINCT ON (e.order_id) e.attempt + 1, r.day, `+candidateColumns+` FROM payment e
		JOIN recon_row r ON r.id = e.recon_row_id
		WHERE e.organization_id = $2 AND e.run_id <> $1
		  AND (e.status = 'error' OR EXISTS (SELECT 1 FROM payment_resend q WHERE q.payment_id = e.id))
		  AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.organization_id = $2 AND p.order_id = e.order_id
		                  AND p.status IN `+liveStatuses+`)
		  AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.organization_id = $2 AND p.order_id = e.order_id
		                  AND p.status IN ('error', 'rejected') AND p.id > e.id)
		  AND NOT EXISTS (SELECT 1 FROM recon_row c WHERE c.run_id = $1 AND c.order_id = e.order_id)
		ORDER BY e.order_id, e.id DESC`, nil, nil, runID, orgID)
	if err != nil {
		return nil, 0, err
	}
	return append(own, retry...), len(retry), nil
}

// queryCandidates reads candidates after the leading columns lead points
// to, into which every row's are decoded first; a row for which skip then
// says so is not decoded further. lead and skip may be nil.
func queryCandidates(ctx context.Context, tx pgx.Tx, sql string, lead []any, skip func() bool, args ...any) ([]Candidate, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Candidate
	var attempt int16
	var day time.Time
	row := newCandidateScanner(append(lead[:len(lead):len(lead)], &attempt, &day)...)
	first := make([]any, len(row.dest)) // the rest nil: not decoded
	copy(first, lead)
	for rows.Next() {
		if skip != nil {
			if err := rows.Scan(first...); err != nil {
				return nil, err
			}
			if skip() {
				continue
			}
		}
		c, err := row.scan(rows)
		if err != nil {
			return nil, err
		}
		c.Attempt, c.day = attempt, calendar.FromYMD(day.Date())
		out = append(out, c)
	}
	return out, rows.Err()
}

// storeHolds records why the packer holds rows; a reason given before (the
// payment document lookup's, more precise than "no document id") stays.
func storeHolds(ctx context.Context, tx pgx.Tx, holds []Hold) error {
	if len(holds) == 0 {
		return nil
	}
	ids := make([]int64, len(holds))
	reasons := make([]string, len(holds))
	for i, h := range holds {
		ids[i], reasons[i] = h.ReconRowID, h.Reason
	}
	_, err := tx.Exec(ctx, `UPDATE recon_row r SET hold_reason = coalesce(r.hold_reason, h.reason)
		FROM unnest($1::bigint[], $2::text[]) AS h(id, reason) WHERE r.id = h.id`, ids, reasons)
	return err
}

func storePackages(ctx context.Context, tx pgx.Tx, runID int64, org *Organization, planned []PlannedPackage, pre *Presign) ([]int64, int, error) {
	if len(planned) == 0 {
		return nil, 0, nil
	}
	ids, err := insertPackages(ctx, tx, runID, planned, pre)
	if err != nil {
		return nil, 0, err
	}
	if pre != nil && pre.Fixed != nil {
		pre.Fixed(org, planned)
	}
	stored, err := copyPayments(ctx, tx, runID, org.ID, planned)
	if isUniqueViolation(err) {
		return nil, 0, fmt.Errorf("a payment of this run is already live in another run: %w", err)
	}
	if err != nil {
		return nil, 0, err
	}
	return ids, stored, checkReferences(ctx, tx, runID, stored)
}

// insertPackages stores the planned packages, leased to pre's owner if
// any, and sets their ids.
func insertPackages(ctx context.Context, tx pgx.Tx, runID int64, planned []PlannedPackage, pre *Presign) ([]int64, error) {
	var owner string
	var lease time.Duration
	if pre != nil {
		owner, lease = pre.Owner, pre.Lease
	}
	guids := make([]string, len(planned))
	ops := make([]string, len(planned))
	counts := make([]int32, len(planned))
	totals := make([]string, len(planned))
	for i, p := range planned {
		var total money.Kopecks
		for _, pay := range p.Payments {
			total += pay.Candidate.Amount
		}
		guids[i], ops[i], counts[i], totals[i] = p.MessageGUID, p.Operation, int32(len(p.Payments)), total.String()
	}
	rows, err := tx.Query(ctx, `INSERT INTO package (run_id, message_guid, operation, status, payments, total, lease_owner, lease_until)
		SELECT $1, g, o, 'built', c, t::numeric, nullif($6, ''), CASE WHEN $6 <> '' THEN now() + $7::interval END
		FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[]) WITH ORDINALITY AS x(g, o, c, t, n)
		ORDER BY n RETURNING id`, runID, guids, ops, counts, totals, owner, lease.String())
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	for i := range planned {
		planned[i].ID = ids[i]
	}
	return ids, nil
}

// copyPayments COPYs the planned payments into payment, in plan order
// (their ids keep it, and PackageItems reads by id), in COPY's binary
// format written here: pgx's encoding through its type map cost more CPU
// than the server spent on the rows, and parsing the text format's
// numbers, amounts and GUIDs cost the backend 0.1 s of the COPY's 1.2 s
// for 300 000 payments. COPY inserts a page of rows at a time, with one
// WAL record per page instead of one per row: the backend spent more on
// an INSERT … SELECT from a staging table than on this and
// checkReferences together.
func copyPayments(ctx context.Context, tx pgx.Tx, runID, orgID int64, planned []PlannedPackage) (int, error) {
	src := &paymentTuples{runID: runID, orgID: orgID, planned: planned, pending: []byte(copyHeader)}
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, src, `COPY payment (run_id, organization_id, recon_row_id, order_id, amount,
		transport_guid, package_id, status, attempt) FROM STDIN (FORMAT binary)`)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// copyHeader opens a binary COPY: signature, no flags, no extension.
const copyHeader = "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// paymentTuples reads as the planned payments' binary COPY data, written
// as it is read: in the goroutine that sends it, so the backend does not
// wait while a producer of its own waits for a core the signers hold.
type paymentTuples struct {
	runID, orgID int64
	planned      []PlannedPackage
	pkg, pay     int    // the next payment
	pending      []byte // written, not read yet
	ended        bool   // the trailer is written
}

func (l *paymentTuples) Read(p []byte) (int, error) {
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	for n < len(p) && !l.ended {
		out := p[n:n:len(p)]
		switch {
		case l.pkg == len(l.planned):
			out, l.ended = append(out, 0xff, 0xff), true // the trailer: a tuple of -1 fields
		case l.pay == len(l.planned[l.pkg].Payments):
			l.pkg, l.pay = l.pkg+1, 0
			continue
		default:
			pp := &l.planned[l.pkg]
			var err error
			if out, err = appendPaymentTuple(out, l.runID, l.orgID, pp.ID, pp.Payments[l.pay]); err != nil {
				return 0, err
			}
			l.pay++
		}
		if len(out) <= len(p)-n {
			n += len(out)
			continue
		}
		// The tuple outgrew p, so append wrote it elsewhere: what fits now, the rest next.
		k := copy(p[n:], out)
		l.pending = out[k:]
		n += k
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// appendPaymentTuple appends a new payment's binary COPY tuple, status
// queued, in copyPayments' column order.
func appendPaymentTuple(b []byte, runID, orgID, packageID int64, pay PlannedPayment) ([]byte, error) {
	guid, err := uuid.Parse(pay.TransportGUID)
	if err != nil {
		return nil, fmt.Errorf("transport GUID %q: %w", pay.TransportGUID, err)
	}
	c := pay.Candidate
	b = binary.BigEndian.AppendUint16(b, 9)
	b = appendInt8Field(b, runID)
	b = appendInt8Field(b, orgID)
	b = appendInt8Field(b, c.ReconRowID)
	b = appendField(b, c.OrderID)
	b = appendNumericField(b, c.Amount)
	b = appendField(b, string(guid[:]))
	b = appendInt8Field(b, packageID)
	b = appendField(b, "queued")
	b = binary.BigEndian.AppendUint32(b, 2)
	return binary.BigEndian.AppendUint16(b, uint16(c.Attempt)), nil
}

// appendField appends a field of raw bytes, after its length.
func appendField(b []byte, v string) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
}

func appendInt8Field(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(b, 8), uint64(v))
}

// appendNumericField appends an amount as numeric's binary form: the
// count of base-10 000 digits, the weight of the first, the sign, the
// display scale (2), then the digits, most significant first. The rubles
// are the digits of weight 0 and up, the kopecks the one of weight -1
// (67 kopecks: 6 700); zero has no digits.
func appendNumericField(b []byte, k money.Kopecks) []byte {
	var sign uint16
	v := uint64(k)
	if k < 0 {
		sign, v = 0x4000, uint64(-k)
	}
	var digits [6]uint16 // rubles below 10^20 (int64 holds 9.2·10^16), then kopecks
	n := len(digits)
	if kop := v % 100; kop != 0 {
		n--
		digits[n] = uint16(kop * 100)
	}
	var weight int16 = -1
	for r := v / 100; r > 0; r /= 10_000 {
		n--
		digits[n] = uint16(r % 10_000)
		weight++
	}
	if n == len(digits) {
		weight = 0
	}
	b = binary.BigEndian.AppendUint32(b, uint32(8+2*(len(digits)-n)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(digits)-n))
	b = binary.BigEndian.AppendUint16(b, uint16(weight))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, 2)
	for _, d := range digits[n:] {
		b = binary.BigEndian.AppendUint16(b, d)
	}
	return b
}

// checkReferences stands in for payment's foreign keys (dropped for load
// speed), once over the run's copied payments instead of row by row: every
// payment must reach its package of this run, its run of its
// organisation, and a recon row with the same order id of a run of the
// same organisation (its own run's, or an earlier run's for a retried
// payment). It counts the payments that do, reached through the run's
// packages (there is no index on payment.run_id): the packages are this
// transaction's, so only the copied payments can reach them, and all of
// them must. Any other count fails the transaction, which then stores
// nothing. Package and run come with the walk from the run's packages,
// and each payment's recon row is joined among the run's rows (by hash or
// by key, as the planner judges): 0.45-0.55 s of the backend's CPU for
// 300 000 payments, where a NOT EXISTS probing package, run and recon row
// for each payment cost 1.0-1.4 s. Only a retried payment, whose row is an
// earlier run's, has its row's run looked up.
func checkReferences(ctx context.Context, tx pgx.Tx, runID int64, copied int) error {
	var sound int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM run u
		JOIN package k ON k.run_id = u.id
		JOIN payment l ON l.package_id = k.id
		LEFT JOIN recon_row r ON r.id = l.recon_row_id AND r.run_id = u.id
		WHERE u.id = $1 AND l.run_id = u.id AND l.organization_id = u.organization_id
		  AND CASE WHEN r.id IS NOT NULL THEN r.order_id = l.order_id
		      ELSE EXISTS (SELECT 1 FROM recon_row o JOIN run ru ON ru.id = o.run_id
		                   WHERE o.id = l.recon_row_id AND o.order_id = l.order_id AND ru.organization_id = u.organization_id) END`,
		runID).Scan(&sound)
	if err != nil {
		return err
	}
	if sound != copied {
		return fmt.Errorf("%d payments reference a missing package, recon row or run", copied-sound)
	}
	return nil
}

// Package is a stored package.
type Package struct {
	ID          int64
	RunID       int64
	MessageGUID string
	Operation   string
	Status      contract.PackageStatus
	Payments    int
	Total       string
	RequestKey  string
	CreatedAt   time.Time
}

const packageColumns = `id, run_id, message_guid::text, operation, status, payments, total::text,
	coalesce(request_key, ''), created_at`

// PackagesOfRun lists a run's packages by id.
func (s *Store) PackagesOfRun(ctx context.Context, runID int64) ([]Package, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+packageColumns+` FROM package WHERE run_id = $1 ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: packages of run %d: %w", runID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Package])
	if err != nil {
		return nil, fmt.Errorf("store: packages of run %d: %w", runID, err)
	}
	return out, nil
}

// PackageItem is a payment of a package with what its XML needs.
type PackageItem struct {
	TransportGUID string
	Candidate
}

// PackageItems returns a package's payments in a stable order.
func (s *Store) PackageItems(ctx context.Context, packageID int64) ([]PackageItem, error) {
	rows, err := s.Pool.Query(ctx, `SELECT p.transport_guid::text, `+candidateColumns+`
		FROM payment p JOIN recon_row r ON r.id = p.recon_row_id
		WHERE p.package_id = $1 ORDER BY p.id`, packageID)
	if err != nil {
		return nil, fmt.Errorf("store: items of package %d: %w", packageID, err)
	}
	defer rows.Close()
	var out []PackageItem
	var guid string
	row := newCandidateScanner(&guid)
	for rows.Next() {
		c, err := row.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: items of package %d: %w", packageID, err)
		}
		out = append(out, PackageItem{TransportGUID: guid, Candidate: c})
	}
	return out, rows.Err()
}

// ClaimForSigning leases a run's built packages to one packer (owner), so
// two packers at once never both sign and archive a package: claimed are
// the ones owner got, busy the built ones another packer's lease holds.
// The lease must outlast a packer's invocation, so a holder never writes
// after its claim has passed to another.
func (s *Store) ClaimForSigning(ctx context.Context, runID int64, owner string, lease time.Duration) (claimed, busy []int64, err error) {
	rows, err := s.Pool.Query(ctx, `
		WITH c AS (
			UPDATE package SET lease_owner = $2, lease_until = now() + $3::interval
			WHERE run_id = $1 AND status = 'built' AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2)
			RETURNING id)
		SELECT id, true FROM c
		UNION ALL
		SELECT id, false FROM package WHERE run_id = $1 AND status = 'built' AND id NOT IN (SELECT id FROM c)
		ORDER BY 1`, runID, owner, lease.String())
	if err != nil {
		return nil, nil, fmt.Errorf("store: claim packages of run %d for signing: %w", runID, err)
	}
	var id int64
	var mine bool
	_, err = pgx.ForEachRow(rows, []any{&id, &mine}, func() error {
		if mine {
			claimed = append(claimed, id)
		} else {
			busy = append(busy, id)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: claim packages of run %d for signing: %w", runID, err)
	}
	return claimed, busy, nil
}

// ReleaseSigning gives back owner's claims on packages it did not sign (a
// failed signing), so a retry need not wait for the lease to pass.
func (s *Store) ReleaseSigning(ctx context.Context, ids []int64, owner string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE package SET lease_owner = NULL, lease_until = NULL
		WHERE id = ANY($1) AND lease_owner = $2 AND status = 'built'`, ids, owner)
	if err != nil {
		return fmt.Errorf("store: release signing claims: %w", err)
	}
	return nil
}

// MarkPackagesSigned records that packages' signed requests are archived
// (under requestKeys, in the same order), and ends their signing claims.
func (s *Store) MarkPackagesSigned(ctx context.Context, packageIDs []int64, requestKeys []string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE package k SET status = 'signed', request_key = m.key, lease_owner = NULL, lease_until = NULL
		FROM unnest($1::bigint[], $2::text[]) AS m(id, key)
		WHERE k.id = m.id AND k.status = 'built'`,
		packageIDs, requestKeys)
	if err != nil {
		return fmt.Errorf("store: mark packages %v signed: %w", packageIDs, err)
	}
	return nil
}

// StrandedPackages lists the packages of an organisation's other runs
// that were stored but never signed: their packer failed or was cut off
// (a run failed, or packing for longer than stale). The next packer of the
// organisation signs them with their stored GUIDs.
func (s *Store) StrandedPackages(ctx context.Context, orgID, exceptRun int64, stale time.Duration) ([]Package, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+packageColumns+` FROM package WHERE status = 'built' AND run_id IN (
			SELECT id FROM run WHERE organization_id = $1 AND id <> $2
			  AND (status IN ('failed', 'timed_out') OR (status = 'packing' AND updated_at < now() - $3::interval)))
		ORDER BY id`, orgID, exceptRun, stale.String())
	if err != nil {
		return nil, fmt.Errorf("store: stranded packages: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Package])
	if err != nil {
		return nil, fmt.Errorf("store: stranded packages: %w", err)
	}
	return out, nil
}
