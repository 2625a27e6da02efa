package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lifecycle"
	"github.com/gispayments/gis-payments/internal/money"
)

// CancelOperation is the GIS operation a cancellation package carries
// (gismessage.Cancellations; the store does not import the builder).
const CancelOperation = "importNotificationsOfOrderExecutionCancellation"

// Sources of a cancellation request.
const (
	CancelFromExport = "export" // incoming/cancellations/<org>/<file>
	CancelFromRefund = "refund" // a refund row of a bank registry (recon11's hook)
	CancelFromAdmin  = "admin"  // the admin command
)

// CancelRequest asks to take one loaded payment back out of GIS. The
// payment is named by OrderID, or, when that is empty, by the bill
// number, day and amount of its reconciled row.
type CancelRequest struct {
	Source    string // CancelFromExport, CancelFromRefund or CancelFromAdmin
	SourceRef string // the exact origin: registering it again registers nothing new
	OrderID   string
	Bill      string
	Day       calendar.Date
	Amount    money.Kopecks
	Date      calendar.Date // CancellationDate
	Comment   string        // 0..210 characters
}

// CancelRegistration is what became of a CancelRequest.
type CancelRegistration struct {
	ID        int64
	Status    contract.CancellationStatus // requested | refused (or the status an earlier registration reached)
	Reason    string                      // why it was refused
	OrderID   string
	Duplicate bool // the same origin was registered before
}

// RegisterCancellations registers requests for org in one transaction,
// each once per (source, source ref), on run runID (0: none yet; the next
// cancellation run of the organisation packs them). A request that cannot
// be sent is stored refused with the reason; an accepted one moves its
// payment to cancel_requested.
func (s *Store) RegisterCancellations(ctx context.Context, org *Organization, runID int64, reqs []CancelRequest) ([]CancelRegistration, error) {
	out := make([]CancelRegistration, len(reqs))
	err := s.tx(ctx, func(tx pgx.Tx) error {
		for i := range reqs {
			reg, err := registerCancellation(ctx, tx, org, runID, &reqs[i])
			if err != nil {
				return err
			}
			out[i] = *reg
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: register cancellations of %s: %w", org.Code, err)
	}
	return out, nil
}

// RequestCancellation registers one cancellation of orderID for the
// organisation named by code (the admin command's entry; ref identifies the
// caller's request, so repeating it registers nothing new).
func (s *Store) RequestCancellation(ctx context.Context, orgCode, orderID string, date calendar.Date, comment, source, ref string) (*CancelRegistration, error) {
	org, err := s.OrganizationByCode(ctx, orgCode)
	if err != nil {
		return nil, err
	}
	regs, err := s.RegisterCancellations(ctx, org, 0, []CancelRequest{{Source: source, SourceRef: ref, OrderID: orderID,
		Date: date, Comment: comment}})
	if err != nil {
		return nil, err
	}
	return &regs[0], nil
}

func registerCancellation(ctx context.Context, tx pgx.Tx, org *Organization, runID int64, r *CancelRequest) (*CancelRegistration, error) {
	reg := &CancelRegistration{OrderID: r.OrderID}
	err := tx.QueryRow(ctx, `SELECT id, status, coalesce(reason, ''), coalesce(order_id, '') FROM cancellation
		WHERE organization_id = $1 AND source = $2 AND source_ref = $3`, org.ID, r.Source, r.SourceRef).
		Scan(&reg.ID, &reg.Status, &reg.Reason, &reg.OrderID)
	if err == nil {
		reg.Duplicate = true
		return reg, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	p, reason, err := findCancellable(ctx, tx, org, r)
	if err != nil {
		return nil, err
	}
	reg.Status, reg.Reason = contract.CancellationRequested, reason
	var paymentID *int64
	var gisOrderID string
	if p != nil {
		reg.OrderID, paymentID, gisOrderID = p.orderID, &p.id, p.gisOrderID
	}
	if reason != "" {
		reg.Status = contract.CancellationRefused
	}
	err = tx.QueryRow(ctx, `INSERT INTO cancellation (organization_id, source, source_ref, order_id, payment_id, gis_order_id,
			cancellation_date, comment, status, reason, run_id)
		VALUES ($1, $2, $3, nullif($4, ''), $5, nullif($6, ''), $7, nullif($8, ''), $9, nullif($10, ''), nullif($11, 0::bigint))
		RETURNING id`, org.ID, r.Source, r.SourceRef, reg.OrderID, paymentID, gisOrderID, r.Date.Time(), r.Comment,
		reg.Status, reason, runID).Scan(&reg.ID)
	if err != nil {
		return nil, err
	}
	if reg.Status == contract.CancellationRequested {
		_, err = tx.Exec(ctx, `UPDATE payment SET status = 'cancel_requested' WHERE id = $1`, p.id)
	}
	return reg, err
}

type cancellablePayment struct {
	id                  int64
	orderID, gisOrderID string
}

// findCancellable finds and locks the payment r names, or says why it
// cannot be cancelled.
func findCancellable(ctx context.Context, tx pgx.Tx, org *Organization, r *CancelRequest) (*cancellablePayment, string, error) {
	var rows pgx.Rows
	var err error
	what := fmt.Sprintf("order_id %q", r.OrderID)
	if r.OrderID != "" {
		rows, err = tx.Query(ctx, `SELECT p.id, p.order_id, p.status, coalesce(p.unique_number, '') FROM payment p
			WHERE p.organization_id = $1 AND p.order_id = $2 AND p.status IN `+liveStatuses+` FOR UPDATE`, org.ID, r.OrderID)
	} else {
		what = fmt.Sprintf("bill_number %q of %s for %s", r.Bill, r.Day, r.Amount)
		rows, err = tx.Query(ctx, `SELECT p.id, p.order_id, p.status, coalesce(p.unique_number, '') FROM payment p
			JOIN recon_row rr ON rr.id = p.recon_row_id
			WHERE p.organization_id = $1 AND rr.bill_number = $2 AND rr.day = $3 AND p.amount = $4::numeric
			  AND p.status IN `+liveStatuses+` FOR UPDATE OF p`, org.ID, r.Bill, r.Day.Time(), r.Amount.String())
	}
	if err != nil {
		return nil, "", err
	}
	type found struct {
		cancellablePayment
		status       contract.PaymentStatus
		uniqueNumber string
	}
	var all []found
	var f found
	if _, err := pgx.ForEachRow(rows, []any{&f.id, &f.orderID, &f.status, &f.uniqueNumber}, func() error {
		all = append(all, f)
		return nil
	}); err != nil {
		return nil, "", err
	}
	switch {
	case len(all) == 0:
		return nil, fmt.Sprintf("no payment with %s was loaded for %s", what, org.Code), nil
	case len(all) > 1:
		return nil, fmt.Sprintf("%d payments match %s: name the payment by its order_id", len(all), what), nil
	}
	p := &all[0]
	if why := lifecycle.CancelRefusal(p.status); why != "" {
		return &p.cancellablePayment, why, nil
	}
	// GIS identifies a bank notification by its OrderID, a supplier
	// notification by the UniqueNumber it returned on import.
	p.gisOrderID = p.orderID
	if org.Kind == KindSupplier {
		if p.uniqueNumber == "" {
			return &p.cancellablePayment, "GIS returned no UniqueNumber for this payment on import; a supplier's payment is cancelled by it", nil
		}
		p.gisOrderID = p.uniqueNumber
	}
	if n := len([]rune(p.gisOrderID)); n > 32 {
		return &p.cancellablePayment, fmt.Sprintf("the OrderID for GIS %q has %d characters, GIS takes at most 32", p.gisOrderID, n), nil
	}
	return &p.cancellablePayment, "", nil
}

// OpenCancellationRun returns the cancellation run with key for org,
// creating it (status created) if needed.
func (s *Store) OpenCancellationRun(ctx context.Context, orgID int64, key, executionName string) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `WITH n AS (
			INSERT INTO run (organization_id, run_key, status, kind, execution_name)
			VALUES ($1, $2, 'created', 'cancellations', nullif($3, '')) ON CONFLICT (run_key) DO NOTHING RETURNING id)
		SELECT id FROM n UNION ALL SELECT id FROM run WHERE run_key = $2 AND kind = 'cancellations'`,
		orgID, key, executionName).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("store: run key %s belongs to a reconciliation: %w", key, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: open cancellation run: %w", err)
	}
	return id, nil
}

// CancellationRunReady marks a cancellation run ready for the packer (as
// a reconciled run is); it returns the run's status.
func (s *Store) CancellationRunReady(ctx context.Context, runID int64) (string, error) {
	var status string
	err := s.Pool.QueryRow(ctx, `WITH u AS (
			UPDATE run SET status = 'reconciling', reconciled_at = now() WHERE id = $1 AND status = 'created' RETURNING status)
		SELECT status FROM u UNION ALL SELECT status FROM run WHERE id = $1 LIMIT 1`, runID).Scan(&status)
	if err != nil {
		return "", fmt.Errorf("store: cancellation run %d ready: %w", runID, err)
	}
	return status, nil
}

// RunKind says whether a run loads payments or cancels them.
func (s *Store) RunKind(ctx context.Context, runID int64) (string, error) {
	var kind string
	err := s.Pool.QueryRow(ctx, `SELECT kind FROM run WHERE id = $1`, runID).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store: run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: run %d: %w", runID, err)
	}
	return kind, nil
}

// PrepareCancellations packs every requested cancellation of the run's
// organisation into packages of at most size, with a MessageGUID per
// package and a TransportGUID per request fixed before any XML exists, in
// one transaction (the twin of PreparePackages). A second call for the
// same run finds the packages and creates nothing.
func (s *Store) PrepareCancellations(ctx context.Context, runID int64, size int) (*Packing, error) {
	var out *Packing
	err := s.tx(ctx, func(tx pgx.Tx) error {
		status, kind, reconciledAt, org, err := lockRun(ctx, tx, runID)
		if err != nil {
			return err
		}
		out = &Packing{Org: org}
		if kind != "cancellations" || reconciledAt == nil {
			return fmt.Errorf("run %d is no cancellation run ready to pack (kind %s, status %s): %w", runID, kind, status, ErrNotReady)
		}
		if status != contract.RunReconciling {
			out.Resumed = true
			return tx.QueryRow(ctx, `SELECT coalesce((SELECT array_agg(id ORDER BY id) FROM package WHERE run_id = $1), '{}'),
				(SELECT count(*) FROM cancellation WHERE run_id = $1 AND package_id IS NOT NULL),
				(SELECT count(*) FROM cancellation WHERE run_id = $1 AND status = 'refused')`, runID).
				Scan(&out.PackageIDs, &out.Payments, &out.Held)
		}
		if err := packCancellations(ctx, tx, runID, org.ID, size, out); err != nil {
			return err
		}
		return endPacking(ctx, tx, runID, lifecycle.AfterPacking(len(out.PackageIDs), out.Held))
	})
	if err != nil {
		return nil, fmt.Errorf("store: prepare cancellations of run %d: %w", runID, err)
	}
	return out, nil
}

func packCancellations(ctx context.Context, tx pgx.Tx, runID, orgID int64, size int, out *Packing) error {
	rows, err := tx.Query(ctx, `SELECT c.id, p.amount::text FROM cancellation c JOIN payment p ON p.id = c.payment_id
		WHERE c.organization_id = $1 AND c.status = 'requested' ORDER BY c.id FOR UPDATE OF c SKIP LOCKED`, orgID)
	if err != nil {
		return err
	}
	var ids []int64
	var amounts []money.Kopecks
	var id int64
	var amount string
	if _, err := pgx.ForEachRow(rows, []any{&id, &amount}, func() error {
		k, err := money.Parse(amount)
		ids, amounts = append(ids, id), append(amounts, k)
		return err
	}); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cancellation WHERE run_id = $1 AND status = 'refused'`, runID).Scan(&out.Held); err != nil {
		return err
	}
	for start := 0; start < len(ids); start += size {
		chunk := ids[start:min(start+size, len(ids))]
		var total money.Kopecks
		guids := make([]string, len(chunk))
		for i := range chunk {
			total += amounts[start+i]
			guids[i] = uuid.NewString()
		}
		var pkg int64
		if err := tx.QueryRow(ctx, `INSERT INTO package (run_id, message_guid, operation, status, payments, total)
			VALUES ($1, $2, $3, 'built', $4, $5::numeric) RETURNING id`,
			runID, uuid.NewString(), CancelOperation, len(chunk), total.String()).Scan(&pkg); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cancellation c SET status = 'queued', run_id = $1, package_id = $2, transport_guid = u.tg
			FROM unnest($3::bigint[], $4::uuid[]) AS u(id, tg) WHERE c.id = u.id`, runID, pkg, chunk, guids); err != nil {
			return err
		}
		out.PackageIDs = append(out.PackageIDs, pkg)
		out.Payments += len(chunk)
	}
	return nil
}

// CancelItem is a cancellation of a package with what its XML needs.
type CancelItem struct {
	TransportGUID string
	OrderID       string // the OrderID for GIS
	Date          calendar.Date
	Comment       string
}

// CancellationItems returns a package's cancellations in a stable order.
func (s *Store) CancellationItems(ctx context.Context, packageID int64) ([]CancelItem, error) {
	rows, err := s.Pool.Query(ctx, `SELECT transport_guid::text, gis_order_id, cancellation_date, coalesce(comment, '')
		FROM cancellation WHERE package_id = $1 ORDER BY id`, packageID)
	if err != nil {
		return nil, fmt.Errorf("store: cancellations of package %d: %w", packageID, err)
	}
	var out []CancelItem
	var it CancelItem
	var day time.Time
	_, err = pgx.ForEachRow(rows, []any{&it.TransportGUID, &it.OrderID, &day, &it.Comment}, func() error {
		it.Date = calendar.FromYMD(day.Date())
		out = append(out, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: cancellations of package %d: %w", packageID, err)
	}
	return out, nil
}

// The hooks below let the import paths (MarkSent, ApplyResults,
// failPackage, settleRun) carry a cancellation package's requests and
// payments along; for an import package they touch no row.

// markCancellationsSent moves a package's cancellations to sent with it.
func markCancellationsSent(ctx context.Context, tx pgx.Tx, packageID int64) error {
	_, err := tx.Exec(ctx, `UPDATE cancellation SET status = 'sent' WHERE package_id = $1 AND status = 'queued'`, packageID)
	return err
}

// cancelStatus is lifecycle.CancellationOutcome in SQL, of the payment
// status expr.
func cancelStatus(expr string) string {
	return caseSQL(expr, contract.Statuses["payment"], func(s string) string {
		return string(lifecycle.CancellationOutcome(contract.PaymentStatus(s)))
	})
}

// paymentAfterCancellation is lifecycle.AfterCancellation in SQL, of the
// cancellation status expr.
var paymentAfterCancellation = caseSQL("c.status", contract.Statuses["cancellation"], func(s string) string {
	return string(lifecycle.AfterCancellation(contract.CancellationStatus(s)))
})

// applyCancellationResults applies a processed getStateResult to a
// cancellation package: each request by its TransportGUID, the requests
// GIS did not mention unknown, and their payments follow.
func applyCancellationResults(ctx context.Context, tx pgx.Tx, packageID int64, tgs, statuses []string, guids []*string,
	dates []*time.Time, codes []*string, reasons []string) error {
	if _, err := tx.Exec(ctx, `UPDATE cancellation c SET status = `+cancelStatus("u.status")+`,
			gis_guid = CASE WHEN u.status = 'imported' THEN u.guid::uuid END, cancelled_at = u.at, error_code = u.code,
			reason = nullif(u.reason, '')
		FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
			AS u(tg, status, guid, at, code, reason)
		WHERE c.package_id = $1 AND c.transport_guid = u.tg AND c.status IN ('sent', 'unknown')`,
		packageID, tgs, statuses, guids, dates, codes, reasons); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE cancellation SET status = 'unknown',
			reason = 'GIS returned no result for this TransportGUID: it may have cancelled the payment'
		WHERE package_id = $1 AND status = 'sent'`, packageID); err != nil {
		return err
	}
	return cancellationPaymentsFollow(ctx, tx, packageID)
}

// failCancellations ends a refused or doubtful package's open
// cancellations with the status an import's payments would take.
func failCancellations(ctx context.Context, tx pgx.Tx, packageID int64, status contract.PaymentStatus, code, reason string) error {
	if _, err := tx.Exec(ctx, `UPDATE cancellation SET status = `+cancelStatus("$2::text")+`,
			error_code = nullif($3, ''), reason = $4
		WHERE package_id = $1 AND status IN ('queued', 'sent')`, packageID, status, code, reason); err != nil {
		return err
	}
	return cancellationPaymentsFollow(ctx, tx, packageID)
}

// cancellationPaymentsFollow gives each answered cancellation's payment
// the matching status.
func cancellationPaymentsFollow(ctx context.Context, tx pgx.Tx, packageID int64) error {
	_, err := tx.Exec(ctx, `UPDATE payment p SET status = `+paymentAfterCancellation+`
		FROM cancellation c
		WHERE c.package_id = $1 AND p.id = c.payment_id AND c.status IN ('cancelled', 'rejected', 'unknown')
		  AND p.status IN ('cancel_requested', 'cancel_unknown')`, packageID)
	return err
}

// cancellationsNotDone counts a run's cancellations that did not end
// cancelled (settleRun adds them to what went wrong).
const cancellationsNotDone = `(SELECT count(*) FROM cancellation WHERE run_id = $1 AND status <> 'cancelled')`

// cancellationResults are a cancellation run's lines of the results file
// (EachPaymentResult's columns).
const cancellationResults = `
		SELECT coalesce(c.order_id, ''), coalesce(r.bill_number, ''), coalesce(r.supplier_id, ''), coalesce(r.service_id, ''),
			coalesce(r.account_number, ''), coalesce(p.amount::text, ''),
			CASE c.status WHEN 'cancelled' THEN 'cancelled' ELSE 'cancel_' || c.status END,
			coalesce(c.gis_guid::text, ''), coalesce(p.unique_number, ''), c.cancelled_at,
			coalesce(c.error_code, ''), coalesce(c.reason, '')
		FROM cancellation c LEFT JOIN payment p ON p.id = c.payment_id LEFT JOIN recon_row r ON r.id = p.recon_row_id
		WHERE c.run_id = $1`
