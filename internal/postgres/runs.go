package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/matcher"
	"github.com/gispayments/gis-payments/internal/money"
)

// Run is one pass of the pipeline for an organisation, as the run table
// holds it (the steps report it as the contract's results).
type Run struct {
	ID             int64
	OrganizationID int64
	RunKey         string
	Status         contract.RunStatus
	PeriodFrom     *time.Time
	PeriodTo       *time.Time
	ExecutionName  string
	BillingRows    int
	AcquiringRows  int
	Matched        int
	Mismatched     int
	BillingOnly    int
	AcquiringOnly  int
	BillingSum     decimal.Decimal
	AcquiringSum   decimal.Decimal
	MatchedSum     decimal.Decimal
	HeldRows       int // rows held for row-level problems
	Refunds        int // refund rows, candidates for cancellation
	RefundSum      decimal.Decimal
	ReportCSVKey   string
	ReportHTMLKey  string
	Error          string
	ReconciledAt   *time.Time
}

const runColumns = `id, organization_id, run_key, status, period_from, period_to, coalesce(execution_name, ''),
	billing_rows, acquiring_rows, matched, mismatched, billing_only, acquiring_only,
	billing_sum, acquiring_sum, matched_sum, coalesce(report_csv_key, ''), coalesce(report_html_key, ''),
	coalesce(error, ''), reconciled_at, held_rows, refunds, refund_sum`

func scanRun(row pgx.Row) (*Run, error) {
	var r Run
	var bs, as, ms string
	err := row.Scan(&r.ID, &r.OrganizationID, &r.RunKey, &r.Status, &r.PeriodFrom, &r.PeriodTo, &r.ExecutionName,
		&r.BillingRows, &r.AcquiringRows, &r.Matched, &r.Mismatched, &r.BillingOnly, &r.AcquiringOnly,
		&bs, &as, &ms, &r.ReportCSVKey, &r.ReportHTMLKey, &r.Error, &r.ReconciledAt, &r.HeldRows, &r.Refunds, &r.RefundSum)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.BillingSum, r.AcquiringSum, r.MatchedSum = decimal.RequireFromString(bs), decimal.RequireFromString(as), decimal.RequireFromString(ms)
	return &r, nil
}

// RunSpec says what a run covers.
type RunSpec struct {
	OrganizationID int64
	RunKey         string
	From, To       *calendar.Date // nil in file mode until the data says
	ExecutionName  string
}

func dateArg(d *calendar.Date) any {
	if d == nil {
		return nil
	}
	return d.Time()
}

// BeginRun returns the run for spec.RunKey, creating it if needed.
func (s *Store) BeginRun(ctx context.Context, spec RunSpec) (*Run, error) {
	_, err := s.Pool.Exec(ctx, `INSERT INTO run (organization_id, run_key, status, period_from, period_to, execution_name)
		VALUES ($1, $2, 'created', $3, $4, nullif($5, '')) ON CONFLICT (run_key) DO NOTHING`,
		spec.OrganizationID, spec.RunKey, dateArg(spec.From), dateArg(spec.To), spec.ExecutionName)
	if err != nil {
		return nil, fmt.Errorf("store: begin run: %w", err)
	}
	return s.RunByKey(ctx, spec.RunKey)
}

// RunByKey looks a run up by its key.
func (s *Store) RunByKey(ctx context.Context, key string) (*Run, error) {
	r, err := scanRun(s.Pool.QueryRow(ctx, `SELECT `+runColumns+` FROM run WHERE run_key = $1`, key))
	if err != nil {
		return nil, fmt.Errorf("store: run %s: %w", key, err)
	}
	return r, nil
}

// RunByID looks a run up by id.
func (s *Store) RunByID(ctx context.Context, id int64) (*Run, error) {
	r, err := scanRun(s.Pool.QueryRow(ctx, `SELECT `+runColumns+` FROM run WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	return r, nil
}

// FailRun records why a run failed; a run already past reconciliation is
// left alone.
func (s *Store) FailRun(ctx context.Context, id int64, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE run SET status = 'failed', error = $2, finished_at = now()
		WHERE id = $1 AND status IN ('created', 'reconciling') AND reconciled_at IS NULL`, id, reason)
	if err != nil {
		return fmt.Errorf("store: fail run %d: %w", id, err)
	}
	return nil
}

// ErrAlreadyReconciled means the run's reconciliation was committed before
// (a retry or a duplicate invocation); nothing was written again.
var ErrAlreadyReconciled = errors.New("run already reconciled")

// FileStats is what reconciliation learned about one input file.
type FileStats struct {
	ID                  int64
	Rows                int
	MinDate, MaxDate    calendar.Date
	Encoding, Delimiter string
}

// Reconciliation is what SaveReconciliation stores for a run.
type Reconciliation struct {
	BillingFiles   []int64 // source_file ids, in the order given to matcher.Run
	AcquiringFiles []int64
	// Produce runs the reconciliation, emitting every result; it is run
	// while the COPY is open, so nothing is held in memory.
	Produce func(matcher.Sink) (*matcher.Summary, []FileStats, error)
}

// SaveReconciliation streams the results into recon_row with COPY and stores
// the per-day summary, the run's counters and the files' stats, all in one
// transaction: a failure anywhere leaves no trace but the run row.
func (s *Store) SaveReconciliation(ctx context.Context, runID int64, rec Reconciliation) (*matcher.Summary, error) {
	var summary *matcher.Summary
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status contract.RunStatus
		var reconciledAt *time.Time
		if err := tx.QueryRow(ctx, `SELECT status, reconciled_at FROM run WHERE id = $1 FOR UPDATE`, runID).
			Scan(&status, &reconciledAt); err != nil {
			return fmt.Errorf("lock run: %w", err)
		}
		if reconciledAt != nil || (status != contract.RunCreated && status != contract.RunReconciling) {
			return ErrAlreadyReconciled
		}
		if _, err := tx.Exec(ctx, `UPDATE run SET status = 'reconciling' WHERE id = $1`, runID); err != nil {
			return err
		}
		src := newResultSource(runID, rec)
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"recon_row"}, reconRowColumns, src)
		src.finish()
		if err != nil {
			if src.failure != nil {
				return src.failure // the reconciliation's own error, not the COPY's
			}
			return fmt.Errorf("copy recon rows: %w", err)
		}
		summary = src.summary
		if int(n) != src.rows {
			return fmt.Errorf("copy recon rows: wrote %d of %d", n, src.rows)
		}
		return saveSummary(ctx, tx, runID, rec, summary, src.files)
	})
	if err != nil {
		if errors.Is(err, ErrAlreadyReconciled) {
			return nil, err
		}
		return nil, fmt.Errorf("store: save reconciliation of run %d: %w", runID, err)
	}
	return summary, nil
}

func saveSummary(ctx context.Context, tx pgx.Tx, runID int64, rec Reconciliation, sum *matcher.Summary, files []FileStats) error {
	batch := &pgx.Batch{}
	for _, d := range sum.Days {
		batch.Queue(`INSERT INTO recon_day (run_id, day, billing_count, acquiring_count, billing_sum, acquiring_sum,
			matched, matched_sum, mismatched, billing_only, acquiring_only)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			runID, d.Day.Time(), d.BillingCount, d.AcquiringCount, numeric(d.BillingSum), numeric(d.AcquiringSum),
			d.Matched, numeric(d.MatchedSum), d.Mismatched, d.BillingOnly, d.AcquiringOnly)
	}
	var from, to any
	if len(sum.Days) > 0 {
		from, to = sum.Days[0].Day.Time(), sum.Days[len(sum.Days)-1].Day.Time()
	}
	t := sum.Total
	batch.Queue(`UPDATE run SET billing_rows = $2, acquiring_rows = $3, matched = $4, mismatched = $5,
		billing_only = $6, acquiring_only = $7, billing_sum = $8, acquiring_sum = $9, matched_sum = $10,
		period_from = coalesce(period_from, $11), period_to = coalesce(period_to, $12), reconciled_at = now(),
		held_rows = $13, refunds = $14, refund_sum = $15
		WHERE id = $1`,
		runID, t.BillingCount, t.AcquiringCount, t.Matched, t.Mismatched, t.BillingOnly, t.AcquiringOnly,
		numeric(t.BillingSum), numeric(t.AcquiringSum), numeric(t.MatchedSum), from, to,
		sum.Held, sum.Refunds, numeric(sum.RefundSum))
	for _, id := range append(append([]int64{}, rec.BillingFiles...), rec.AcquiringFiles...) {
		batch.Queue(`INSERT INTO run_file (run_id, source_file_id) VALUES ($1, $2)`, runID, id)
	}
	for _, f := range files {
		var minD, maxD any
		if f.Rows > 0 {
			minD, maxD = f.MinDate.Time(), f.MaxDate.Time()
		}
		batch.Queue(`UPDATE source_file SET status = CASE WHEN status = 'registered' THEN 'reconciled' ELSE status END,
			rows = $2, min_date = $3, max_date = $4, encoding = $5, delimiter = $6 WHERE id = $1`,
			f.ID, f.Rows, minD, maxD, f.Encoding, f.Delimiter)
	}
	return tx.SendBatch(ctx, batch).Close()
}

var reconRowColumns = []string{"run_id", "day", "status", "bill_number", "supplier_id", "service_id", "account_number",
	"billing_file_id", "billing_line", "billing_main", "billing_fine",
	"acquiring_file_id", "acquiring_line", "acquiring_main", "acquiring_fine",
	"order_id", "order_date", "payment_document_id", "gis_service_id", "unified_account_number",
	"period_month", "period_year", "payment_purpose", "hold_reason"}

// resultSource adapts the push-style reconciliation to COPY's pull: the
// reconciliation runs on its own goroutine and hands over rows in batches.
type resultSource struct {
	batches <-chan [][]any
	done    chan struct{}
	cur     [][]any
	i       int
	rows    int
	drained bool // Next has seen the producer close the batches
	summary *matcher.Summary
	files   []FileStats
	failure error
}

const copyBatch = 512

func newResultSource(runID int64, rec Reconciliation) *resultSource {
	ch := make(chan [][]any, 4)
	src := &resultSource{batches: ch, done: make(chan struct{})}
	go func() {
		defer close(ch)
		batch := make([][]any, 0, copyBatch)
		sink := matcher.SinkFunc(func(r *matcher.Result) error {
			batch = append(batch, reconRow(runID, rec, r))
			if len(batch) < copyBatch {
				return nil
			}
			select {
			case ch <- batch:
				batch = make([][]any, 0, copyBatch)
				return nil
			case <-src.done:
				return errCopyAborted
			}
		})
		sum, files, err := rec.Produce(sink)
		if err == nil && len(batch) > 0 {
			select {
			case ch <- batch:
			case <-src.done:
				err = errCopyAborted
			}
		}
		// Written before close(ch), read after the channel is drained.
		src.summary, src.files, src.failure = sum, files, err
	}()
	return src
}

var errCopyAborted = errors.New("copy aborted")

// finish stops the producer if COPY ended early and waits for it.
func (s *resultSource) finish() {
	close(s.done)
	for range s.batches {
	}
}

func (s *resultSource) Next() bool {
	s.i++
	for s.i >= len(s.cur) {
		batch, ok := <-s.batches
		if !ok {
			s.drained = true
			return false
		}
		s.cur, s.i = batch, 0
	}
	s.rows++
	return true
}

func (s *resultSource) Values() ([]any, error) { return s.cur[s.i], nil }

// Err tells pgx that a failed reconciliation aborts the COPY. pgx asks
// after every buffer it sends, while the producer may still be running:
// the failure is read only once the batches are drained, after the
// producer wrote it.
func (s *resultSource) Err() error {
	if !s.drained {
		return nil
	}
	return s.failure
}

func reconRow(runID int64, rec Reconciliation, r *matcher.Result) []any {
	row := make([]any, len(reconRowColumns))
	row[0], row[2] = runID, string(r.Status)
	if r.Dated {
		row[1] = r.Day.Time()
	}
	key := r.Acquiring
	if key == nil {
		key = r.Billing
	}
	row[3], row[4], row[5], row[6] = key.BillNumber, key.SupplierID, key.ServiceID, key.AccountNumber
	held := r.Status == matcher.Held
	if b := r.Billing; b != nil {
		row[7], row[8] = rec.BillingFiles[r.BillingSource], b.Line
		if !held || r.Amounts {
			row[9], row[10] = numeric(b.Main), numeric(b.Fine)
		}
	}
	if a := r.Acquiring; a != nil {
		row[11], row[12] = rec.AcquiringFiles[r.AcquiringSource], a.Line
		if !held || r.Amounts {
			row[13], row[14] = numeric(a.Main), numeric(a.Fine)
		}
		row[15] = nullable(a.OrderID)
		if !held {
			row[16] = a.OrderDate.Time()
		}
		row[17], row[18], row[19] = nullable(a.PaymentDocumentID), nullable(a.GISServiceID), nullable(a.UnifiedAccountNumber)
		if a.PeriodMonth > 0 {
			row[20], row[21] = int16(a.PeriodMonth), int16(a.PeriodYear)
		}
		row[22] = nullable(a.PaymentPurpose)
	}
	if r.Problem != nil {
		row[23] = r.Problem.Error()
	}
	return row
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// numeric encodes kopecks as numeric(15,2) without going through text.
func numeric(k money.Kopecks) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(int64(k)), Exp: -2, Valid: true}
}

// ReconDays returns a run's per-day summary, by day.
func (s *Store) ReconDays(ctx context.Context, runID int64) ([]matcher.Day, error) {
	rows, err := s.Pool.Query(ctx, `SELECT day, billing_count, acquiring_count, billing_sum::text, acquiring_sum::text,
		matched, matched_sum::text, mismatched, billing_only, acquiring_only FROM recon_day WHERE run_id = $1 ORDER BY day`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: recon days: %w", err)
	}
	defer rows.Close()
	var out []matcher.Day
	for rows.Next() {
		var d matcher.Day
		var day time.Time
		var bs, as, ms string
		if err := rows.Scan(&day, &d.BillingCount, &d.AcquiringCount, &bs, &as, &d.Matched, &ms, &d.Mismatched,
			&d.BillingOnly, &d.AcquiringOnly); err != nil {
			return nil, fmt.Errorf("store: recon days: %w", err)
		}
		d.Day = calendar.FromYMD(day.Date())
		if d.BillingSum, err = money.Parse(bs); err == nil {
			if d.AcquiringSum, err = money.Parse(as); err == nil {
				d.MatchedSum, err = money.Parse(ms)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("store: recon days: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// StatusTotal is how many of a run's payments are in a status, and their
// sum.
type StatusTotal struct {
	Status string
	N      int
	Sum    string
}

// PaymentTotals counts and sums a run's payments by status.
func (s *Store) PaymentTotals(ctx context.Context, runID int64) ([]StatusTotal, error) {
	rows, err := s.Pool.Query(ctx, `SELECT status, count(*), sum(amount)::text FROM payment
		WHERE `+paymentsOfRun("", "$1")+` GROUP BY status ORDER BY status`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: payment totals of run %d: %w", runID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StatusTotal])
	if err != nil {
		return nil, fmt.Errorf("store: payment totals of run %d: %w", runID, err)
	}
	return out, nil
}

// EachDiscrepancy streams a run's discrepancies (everything but exact
// matches: split matches, refunds and held rows too, with their reasons)
// ordered by day (held rows without one first), status and key, without
// holding them in memory. A packer's hold shows its reason as well.
func (s *Store) EachDiscrepancy(ctx context.Context, runID int64, fn func(*matcher.Discrepancy) error) error {
	rows, err := s.Pool.Query(ctx, `
		SELECT r.day, r.status, r.bill_number, r.supplier_id, r.service_id, coalesce(r.account_number, ''),
			r.billing_main::text, r.billing_fine::text, r.acquiring_main::text, r.acquiring_fine::text,
			coalesce(r.order_id, ''),
			coalesce(bf.key || ':' || r.billing_line, ''), coalesce(af.key || ':' || r.acquiring_line, ''),
			coalesce(r.hold_reason, '')
		FROM recon_row r
		LEFT JOIN source_file bf ON bf.id = r.billing_file_id
		LEFT JOIN source_file af ON af.id = r.acquiring_file_id
		WHERE r.run_id = $1 AND r.status <> 'check'
		ORDER BY r.day NULLS FIRST, r.status, r.bill_number, r.supplier_id, r.service_id`, runID)
	if err != nil {
		return fmt.Errorf("store: discrepancies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d matcher.Discrepancy
		var day *time.Time
		var status string
		var amounts [4]*string
		if err := rows.Scan(&day, &status, &d.BillNumber, &d.SupplierID, &d.ServiceID, &d.AccountNumber,
			&amounts[0], &amounts[1], &amounts[2], &amounts[3], &d.OrderID, &d.BillingRef, &d.AcquiringRef, &d.Reason); err != nil {
			return fmt.Errorf("store: discrepancies: %w", err)
		}
		if day != nil {
			d.Day = calendar.FromYMD(day.Date())
		} else {
			d.Undated = true
		}
		d.Status = matcher.Status(status)
		for i, dst := range []**money.Kopecks{&d.BillingMain, &d.BillingFine, &d.AcquiringMain, &d.AcquiringFine} {
			if amounts[i] != nil {
				k, err := money.Parse(*amounts[i])
				if err != nil {
					return fmt.Errorf("store: discrepancies: %w", err)
				}
				*dst = &k
			}
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SetRunReports records where a run's reports were written.
func (s *Store) SetRunReports(ctx context.Context, runID int64, csvKey, htmlKey string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE run SET report_csv_key = $2, report_html_key = $3 WHERE id = $1`, runID, csvKey, htmlKey)
	if err != nil {
		return fmt.Errorf("store: set reports of run %d: %w", runID, err)
	}
	return nil
}
