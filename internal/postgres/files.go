package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
)

// SourceFile is an uploaded export as registered.
type SourceFile struct {
	ID             int64               `json:"id"`
	OrganizationID int64               `json:"-"`
	Bucket         string              `json:"bucket"`
	Key            string              `json:"key"`
	ETag           string              `json:"etag"`
	VersionID      string              `json:"version_id,omitempty"`
	Sequencer      string              `json:"-"`
	Kind           exportcsv.Kind      `json:"kind"`
	Size           int64               `json:"size"`
	Status         contract.FileStatus `json:"status"`
	Encoding       string              `json:"encoding,omitempty"`
	Delimiter      string              `json:"delimiter,omitempty"`
	Errors         []*exportcsv.Error  `json:"errors,omitempty"`
	// Days is the range of dates of the rows in the first 64 KiB (nil: none
	// there), exact when DaysWhole (the file was no longer): the upload
	// pairs by it, and supersedes by exact days.
	Days      *Days `json:"days,omitempty"`
	DaysWhole bool  `json:"days_whole,omitempty"`
	// UploadedAt is the object's Last-Modified: which of two uploads is newer.
	UploadedAt time.Time `json:"uploaded_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
}

// Days is an inclusive range of dates.
type Days struct {
	From calendar.Date `json:"from"`
	To   calendar.Date `json:"to"`
}

func (d Days) String() string {
	if d.From == d.To {
		return d.From.String()
	}
	return d.From.String() + ".." + d.To.String()
}

const fileColumns = `id, organization_id, bucket, key, etag, coalesce(version_id, ''), sequencer, kind, size_bytes,
	status, coalesce(encoding, ''), coalesce(delimiter, ''), errors, head_min_date, head_max_date, head_whole, uploaded_at, created_at`

func scanFile(row pgx.Row) (*SourceFile, error) {
	var f SourceFile
	var errs []byte
	var from, to, uploaded *time.Time
	err := row.Scan(&f.ID, &f.OrganizationID, &f.Bucket, &f.Key, &f.ETag, &f.VersionID, &f.Sequencer, &f.Kind,
		&f.Size, &f.Status, &f.Encoding, &f.Delimiter, &errs, &from, &to, &f.DaysWhole, &uploaded, &f.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if from != nil && to != nil {
		f.Days = &Days{From: calendar.FromYMD(from.Date()), To: calendar.FromYMD(to.Date())}
	}
	if uploaded != nil {
		f.UploadedAt = *uploaded
	}
	return &f, json.Unmarshal(errs, &f.Errors)
}

// daysArgs are a file's Days as query arguments (NULLs when unknown).
func daysArgs(d *Days) (from, to any) {
	if d == nil {
		return nil, nil
	}
	return d.From.Time(), d.To.Time()
}

func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func scanFiles(rows pgx.Rows) ([]*SourceFile, error) {
	defer rows.Close()
	var out []*SourceFile
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// sequencerLess compares S3 event sequencers: hex strings of varying
// length, compared after left-padding to equal length.
func sequencerLess(a, b string) bool {
	if len(a) != len(b) {
		n := max(len(a), len(b))
		a, b = strings.Repeat("0", n-len(a))+a, strings.Repeat("0", n-len(b))+b
	}
	return strings.ToUpper(a) < strings.ToUpper(b)
}

// RegisterFile records an upload, once per (bucket, key, etag): a repeated
// event returns the existing row with created=false. A newer upload of the
// same key supersedes the older ones; an event that arrives after a newer
// one (by sequencer) is registered as superseded at once. Likewise across
// keys: a newer upload (by UploadedAt, then registration) of the same
// organisation, kind and Days supersedes one still registered, so a stale
// duplicate never waits to be paired with another day's file.
func (s *Store) RegisterFile(ctx context.Context, f *SourceFile) (out *SourceFile, created bool, err error) {
	status := contract.FileRegistered
	errs := []byte("[]")
	if len(f.Errors) > 0 {
		status = contract.FileFailed
		if errs, err = json.Marshal(f.Errors); err != nil {
			return nil, false, err
		}
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		// Serialise registrations of an organisation's kind (every key of it
		// included) so supersession is decided once.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			fmt.Sprintf("source_file/%d/%s", f.OrganizationID, f.Kind)); err != nil {
			return err
		}
		existing, err := scanFile(tx.QueryRow(ctx, `SELECT `+fileColumns+` FROM source_file
			WHERE bucket = $1 AND key = $2 AND etag = $3`, f.Bucket, f.Key, f.ETag))
		if err == nil {
			out = existing
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		others, err := queryFiles(ctx, tx, `WHERE bucket = $1 AND key = $2 AND status <> 'superseded'`, f.Bucket, f.Key)
		if err != nil {
			return err
		}
		var older []int64
		for _, o := range others {
			if f.Sequencer != "" && o.Sequencer != "" && sequencerLess(f.Sequencer, o.Sequencer) {
				status = contract.FileSuperseded // a newer upload of this key is already registered
			} else if o.Status != contract.FileFailed {
				older = append(older, o.ID)
			}
		}
		from, to := daysArgs(f.Days)
		// Only exact days supersede: a large file's sniffed days may be
		// fewer than it holds, and superseding it would lose the rest.
		if status == contract.FileRegistered && f.Days != nil && f.DaysWhole {
			sameDays, err := queryFiles(ctx, tx, `WHERE organization_id = $1 AND kind = $2 AND status = 'registered'
				AND head_whole AND head_min_date = $3 AND head_max_date = $4 AND key <> $5`, f.OrganizationID, f.Kind, from, to, f.Key)
			if err != nil {
				return err
			}
			for _, o := range sameDays {
				if !f.UploadedAt.IsZero() && o.UploadedAt.After(f.UploadedAt) { // else registration order decides
					status = contract.FileSuperseded // a newer upload of these days is already registered
				} else {
					older = append(older, o.ID)
				}
			}
		}
		if status == contract.FileSuperseded {
			older = nil
		}
		out, err = scanFile(tx.QueryRow(ctx, `
			INSERT INTO source_file (organization_id, bucket, key, etag, version_id, sequencer, kind, size_bytes,
				status, encoding, delimiter, errors, head_min_date, head_max_date, head_whole, uploaded_at)
			VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9, nullif($10, ''), nullif($11, ''), $12, $13, $14, $15, $16)
			RETURNING `+fileColumns,
			f.OrganizationID, f.Bucket, f.Key, f.ETag, f.VersionID, f.Sequencer, f.Kind, f.Size, status,
			f.Encoding, f.Delimiter, errs, from, to, f.Days != nil && f.DaysWhole, timeArg(f.UploadedAt)))
		if err != nil {
			return err
		}
		created = true
		if len(older) > 0 {
			_, err = tx.Exec(ctx, `UPDATE source_file SET status = 'superseded' WHERE id = ANY($1)`, older)
		}
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: register s3://%s/%s: %w", f.Bucket, f.Key, err)
	}
	return out, created, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryFiles selects files; where holds the WHERE/ORDER clauses.
func queryFiles(ctx context.Context, q querier, where string, args ...any) ([]*SourceFile, error) {
	rows, err := q.Query(ctx, `SELECT `+fileColumns+` FROM source_file `+where, args...)
	if err != nil {
		return nil, err
	}
	return scanFiles(rows)
}

// FailFiles marks files failed with their problems, in one transaction.
func (s *Store) FailFiles(ctx context.Context, problems map[int64][]*exportcsv.Error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		for id, errs := range problems {
			data, err := json.Marshal(errs)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE source_file SET status = 'failed', errors = $2
				WHERE id = $1 AND status = 'registered'`, id, data); err != nil {
				return fmt.Errorf("store: fail file %d: %w", id, err)
			}
		}
		return nil
	})
}

// PendingFile returns the newest registered, not yet reconciled file of a
// kind for an organisation whose days overlap days: an upload never pairs
// with a file of other days only.
func (s *Store) PendingFile(ctx context.Context, orgID int64, kind exportcsv.Kind, days Days) (*SourceFile, error) {
	f, err := scanFile(s.Pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM source_file
		WHERE organization_id = $1 AND kind = $2 AND status = 'registered' AND head_min_date <= $4 AND head_max_date >= $3
		ORDER BY uploaded_at DESC NULLS LAST, id DESC LIMIT 1`, orgID, kind, days.From.Time(), days.To.Time()))
	if err != nil {
		return nil, fmt.Errorf("store: pending %s file for %s: %w", kind, days, err)
	}
	return f, nil
}

// FileByKey returns the live (not superseded) registration of bucket/key,
// optionally pinned to an etag.
func (s *Store) FileByKey(ctx context.Context, orgID int64, bucket, key, etag string) (*SourceFile, error) {
	f, err := scanFile(s.Pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM source_file
		WHERE organization_id = $1 AND bucket = $2 AND key = $3 AND ($4 = '' OR etag = $4)
		ORDER BY (status = 'superseded'), id DESC LIMIT 1`, orgID, bucket, key, etag))
	if err != nil {
		return nil, fmt.Errorf("store: file s3://%s/%s: %w", bucket, key, err)
	}
	return f, nil
}

// FilesForPeriod returns the live files of an organisation that may hold
// rows in [from, to]: those whose dates are known to overlap it, and those
// never reconciled, whose dates are not known yet.
func (s *Store) FilesForPeriod(ctx context.Context, orgID int64, from, to calendar.Date) ([]*SourceFile, error) {
	files, err := queryFiles(ctx, s.Pool, `WHERE organization_id = $1 AND status IN ('registered', 'reconciled')
		  AND (min_date IS NULL OR (min_date <= $3 AND max_date >= $2))
		ORDER BY kind, id`, orgID, from.Time(), to.Time())
	if err != nil {
		return nil, fmt.Errorf("store: files for period: %w", err)
	}
	return files, nil
}

// KnownUploads returns the (key, etag) pairs registered under prefix, as
// key+"\x00"+etag: what the daily run need not register again.
func (s *Store) KnownUploads(ctx context.Context, bucket, prefix string) (map[string]bool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT key, etag FROM source_file WHERE bucket = $1 AND starts_with(key, $2)`, bucket, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: uploads under s3://%s/%s: %w", bucket, prefix, err)
	}
	known := map[string]bool{}
	var key, etag string
	if _, err := pgx.ForEachRow(rows, []any{&key, &etag}, func() error {
		known[key+"\x00"+etag] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: uploads under s3://%s/%s: %w", bucket, prefix, err)
	}
	return known, nil
}
