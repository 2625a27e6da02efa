package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/lifecycle"
)

// DocumentKey is what GIS is asked a payment document by: a unified
// account number (ЕЛС) and the period paid for.
type DocumentKey struct {
	UnifiedAccountNumber string
	Year, Month          int
}

// String names the key in hold reasons.
func (k DocumentKey) String() string {
	return fmt.Sprintf("ЕЛС %s %02d.%d", k.UnifiedAccountNumber, k.Month, k.Year)
}

// LookupRow is a row of a run that a supplier notification cannot be made
// from as it is: it names neither a payment document nor a ЖКУ service.
// Key is what the row offers to ask by (zero parts when it lacks them).
type LookupRow struct {
	ReconRowID    int64
	AccountNumber string
	Key           DocumentKey
}

// Document is one payment document (or ЖКУ service) GIS listed.
type Document struct {
	PaymentDocumentID string `json:"payment_document_id,omitempty"`
	ServiceID         string `json:"gis_service_id,omitempty"`
	AccountNumber     string `json:"account_number,omitempty"`
	Year              int    `json:"year,omitempty"`
	Month             int    `json:"month,omitempty"`
}

// Lookup is one query a run asked (or is about to ask) GIS.
type Lookup struct {
	ID          int64
	Key         DocumentKey
	MessageGUID string
	AckGUID     string
	Status      contract.LookupStatus
	Sends       int
	Error       string
	CreatedAt   time.Time
}

// Open reports whether the lookup still waits for GIS.
func (l *Lookup) Open() bool {
	return l.Status == contract.LookupQueued || l.Status == contract.LookupSent
}

// Resolved is a row GIS named the document of.
type Resolved struct {
	ReconRowID        int64
	PaymentDocumentID string
	ServiceID         string
}

// RowsToLookUp returns a run's organisation and, for a supplier (uk_rso)
// whose run is ready to pack, the rows the packer would load but for a
// PaymentDocumentID or ServiceID: by the load policy or the approver's
// extra rows, not withheld, not held, and not an order already loaded.
func (s *Store) RowsToLookUp(ctx context.Context, runID int64) (*Organization, []LookupRow, error) {
	var org *Organization
	var out []LookupRow
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var orgID int64
		var status contract.RunStatus
		var reconciledAt *time.Time
		err := tx.QueryRow(ctx, `SELECT status, organization_id, reconciled_at FROM run WHERE id = $1`, runID).
			Scan(&status, &orgID, &reconciledAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %d: %w", runID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if org, err = scanOrg(tx.QueryRow(ctx, `SELECT `+orgColumns+` FROM organization WHERE id = $1`, orgID)); err != nil {
			return err
		}
		if reconciledAt == nil {
			return fmt.Errorf("run %d is not reconciled (status %s): %w", runID, status, ErrNotReady)
		}
		if ready, err := readyToPack(ctx, tx, runID, status); err != nil || !ready || org.Kind == KindFund {
			return err // packed before, or a fund's run: nothing to look up
		}
		rows, err := tx.Query(ctx, `SELECT r.id, coalesce(r.account_number, ''), coalesce(r.unified_account_number, ''),
				coalesce(r.period_year, 0), coalesce(r.period_month, 0)
			FROM recon_row r
			WHERE r.run_id = $1 AND (r.status = ANY($2) OR `+approvedExtra+`) AND `+notWithheld+`
			  AND r.hold_reason IS NULL AND coalesce(r.payment_document_id, '') = '' AND coalesce(r.gis_service_id, '') = ''
			  AND NOT `+liveOrder+`
			ORDER BY r.id`, runID, strs(lifecycle.Loads(org.LoadPolicy)), orgID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (LookupRow, error) {
			var r LookupRow
			err := row.Scan(&r.ReconRowID, &r.AccountNumber, &r.Key.UnifiedAccountNumber, &r.Key.Year, &r.Key.Month)
			return r, err
		})
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: rows to look up of run %d: %w", runID, err)
	}
	return org, out, nil
}

// CachedDocuments returns what the cache holds for keys: answers that
// found documents fetched since foundSince, "nothing found" since
// notFoundSince (a document may be placed in GIS later).
func (s *Store) CachedDocuments(ctx context.Context, orgID int64, keys []DocumentKey, foundSince, notFoundSince time.Time) (map[DocumentKey][]Document, error) {
	elss, years, months := keyColumns(keys)
	rows, err := s.Pool.Query(ctx, `SELECT c.unified_account_number, c.period_year, c.period_month, c.documents
		FROM payment_document_cache c
		JOIN unnest($2::text[], $3::int[], $4::int[]) AS k(els, y, m)
		  ON c.unified_account_number = k.els AND c.period_year = k.y AND c.period_month = k.m
		WHERE c.organization_id = $1 AND c.fetched_at >= CASE WHEN c.found THEN $5::timestamptz ELSE $6::timestamptz END`,
		orgID, elss, years, months, foundSince, notFoundSince)
	if err != nil {
		return nil, fmt.Errorf("store: cached documents: %w", err)
	}
	out := map[DocumentKey][]Document{}
	var k DocumentKey
	var docs []Document
	_, err = pgx.ForEachRow(rows, []any{&k.UnifiedAccountNumber, &k.Year, &k.Month, &docs}, func() error {
		out[k], docs = docs, nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: cached documents: %w", err)
	}
	return out, nil
}

func keyColumns(keys []DocumentKey) ([]string, []int32, []int32) {
	elss, years, months := make([]string, len(keys)), make([]int32, len(keys)), make([]int32, len(keys))
	for i, k := range keys {
		elss[i], years[i], months[i] = k.UnifiedAccountNumber, int32(k.Year), int32(k.Month)
	}
	return elss, years, months
}

// EnsureLookups queues a query for each key the run has not asked yet,
// with its MessageGUID fixed now.
func (s *Store) EnsureLookups(ctx context.Context, runID, orgID int64, keys []DocumentKey) error {
	elss, years, months := keyColumns(keys)
	_, err := s.Pool.Exec(ctx, `INSERT INTO payment_document_lookup
			(run_id, organization_id, unified_account_number, period_year, period_month, message_guid)
		SELECT $1, $2, k.els, k.y, k.m, gen_random_uuid() FROM unnest($3::text[], $4::int[], $5::int[]) AS k(els, y, m)
		ON CONFLICT (run_id, unified_account_number, period_year, period_month) DO NOTHING`,
		runID, orgID, elss, years, months)
	if err != nil {
		return fmt.Errorf("store: queue lookups of run %d: %w", runID, err)
	}
	return nil
}

// LookupsOfRun returns every query the run asked.
func (s *Store) LookupsOfRun(ctx context.Context, runID int64) ([]Lookup, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, unified_account_number, period_year, period_month, message_guid::text,
			coalesce(ack_guid::text, ''), status, sends, coalesce(error, ''), created_at
		FROM payment_document_lookup WHERE run_id = $1 ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: lookups of run %d: %w", runID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Lookup, error) {
		var l Lookup
		err := row.Scan(&l.ID, &l.Key.UnifiedAccountNumber, &l.Key.Year, &l.Key.Month, &l.MessageGUID, &l.AckGUID,
			&l.Status, &l.Sends, &l.Error, &l.CreatedAt)
		return l, err
	})
}

// LookupSending counts a send of a queued lookup before it is made, so
// that the tries are bounded whatever happens to the reply.
func (s *Store) LookupSending(ctx context.Context, id int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE payment_document_lookup SET sends = sends + 1, updated_at = now()
		WHERE id = $1 AND status = 'queued'`, id)
	return err
}

// LookupSent stores the Ack of a queued lookup.
func (s *Store) LookupSent(ctx context.Context, id int64, ack string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE payment_document_lookup SET status = 'sent', ack_guid = $2, updated_at = now()
		WHERE id = $1 AND status = 'queued'`, id, ack)
	return err
}

// FinishLookup settles an open lookup; an answer (found or not_found)
// goes to the organisation's cache in the same transaction. A lookup
// already settled is left as it is.
func (s *Store) FinishLookup(ctx context.Context, l *Lookup, orgID int64, status contract.LookupStatus, errText string, docs []Document) error {
	if docs == nil {
		docs = []Document{}
	}
	data, err := json.Marshal(docs)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE payment_document_lookup SET status = $2, error = nullif($3, ''), updated_at = now()
			WHERE id = $1 AND status IN ('queued', 'sent')`, l.ID, status, errText)
		if err != nil || tag.RowsAffected() == 0 || (status != contract.LookupFound && status != contract.LookupNotFound) {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO payment_document_cache
				(organization_id, unified_account_number, period_year, period_month, found, documents)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (organization_id, unified_account_number, period_year, period_month)
			DO UPDATE SET found = EXCLUDED.found, documents = EXCLUDED.documents, fetched_at = now()`,
			orgID, l.Key.UnifiedAccountNumber, l.Key.Year, l.Key.Month, status == contract.LookupFound, data)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish lookup %d: %w", l.ID, err)
	}
	return nil
}

// ResolveRows gives rows the document GIS named and holds the rows it
// could not resolve, in one transaction; a row held or resolved meanwhile
// is left as it is.
func (s *Store) ResolveRows(ctx context.Context, runID int64, resolved []Resolved, holds []Hold) error {
	ids, pds, svcs := make([]int64, len(resolved)), make([]string, len(resolved)), make([]string, len(resolved))
	for i, r := range resolved {
		ids[i], pds[i], svcs[i] = r.ReconRowID, r.PaymentDocumentID, r.ServiceID
	}
	hids, reasons := make([]int64, len(holds)), make([]string, len(holds))
	for i, h := range holds {
		hids[i], reasons[i] = h.ReconRowID, h.Reason
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE recon_row r SET payment_document_id = nullif(x.pd, ''), gis_service_id = nullif(x.svc, '')
			FROM unnest($2::bigint[], $3::text[], $4::text[]) AS x(id, pd, svc)
			WHERE r.id = x.id AND r.run_id = $1 AND r.hold_reason IS NULL
			  AND coalesce(r.payment_document_id, '') = '' AND coalesce(r.gis_service_id, '') = ''`,
			runID, ids, pds, svcs); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE recon_row r SET hold_reason = h.reason
			FROM unnest($2::bigint[], $3::text[]) AS h(id, reason)
			WHERE r.id = h.id AND r.run_id = $1 AND r.hold_reason IS NULL`, runID, hids, reasons)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: resolve rows of run %d: %w", runID, err)
	}
	return nil
}
