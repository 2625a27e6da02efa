package postgres

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/calendar"
)

// What a refund row of a loaded payment leads to
// (organization.refund_cancellation).
const (
	RefundList = "list" // listed for an operator, who confirms with `gispay cancel`
	RefundAuto = "auto" // a cancellation request is registered at once
)

// RefundMatch is a refund row of a run and the payments loaded by earlier
// runs of the organisation that it may take back: same bill, supplier and
// service, and the same amount.
type RefundMatch struct {
	ReconRowID int64         `json:"recon_row_id"`
	File       string        `json:"file"` // the bank registry's name
	Line       int           `json:"line"`
	Day        calendar.Date `json:"day"`
	Amount     string        `json:"amount"`
	OrderIDs   []string      `json:"order_ids"` // the loaded payments' orders; more than one: a person chooses
}

// Comment is what a cancellation of the match tells GIS (at most 210
// characters: the file name is cut first).
func (m *RefundMatch) Comment() string {
	suffix := fmt.Sprintf(" line %d", m.Line)
	name := []rune(m.File)
	if room := 210 - len("refund in ") - len(suffix); len(name) > room {
		name = name[:room]
	}
	return "refund in " + string(name) + suffix
}

// RefundMatches returns a run's refund rows that match payments GIS holds
// (imported or already imported) from earlier runs of the organisation.
func (s *Store) RefundMatches(ctx context.Context, runID int64) ([]RefundMatch, error) {
	rows, err := s.Pool.Query(ctx, `SELECT r.id, coalesce(f.key, ''), coalesce(r.acquiring_line, 0), r.day,
			(r.acquiring_main + r.acquiring_fine)::text, array_agg(p.order_id ORDER BY p.order_id)
		FROM recon_row r
		JOIN run ru ON ru.id = r.run_id
		LEFT JOIN source_file f ON f.id = r.acquiring_file_id
		JOIN recon_row pr ON pr.bill_number = r.bill_number AND pr.supplier_id = r.supplier_id AND pr.service_id = r.service_id
		                 AND pr.run_id <> r.run_id
		JOIN payment p ON p.recon_row_id = pr.id AND p.organization_id = ru.organization_id
		              AND p.status IN ('imported', 'already_imported') AND p.amount = r.acquiring_main + r.acquiring_fine
		WHERE r.run_id = $1 AND r.status = 'refund'
		GROUP BY r.id, f.key
		ORDER BY r.id`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: refund matches of run %d: %w", runID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RefundMatch, error) {
		var m RefundMatch
		var day time.Time
		err := row.Scan(&m.ReconRowID, &m.File, &m.Line, &day, &m.Amount, &m.OrderIDs)
		m.File, m.Day = path.Base(m.File), calendar.FromYMD(day.Date())
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: refund matches of run %d: %w", runID, err)
	}
	return out, nil
}

// Cancellation is the cancellation a match asks for under the
// RefundAuto policy: the one payment it names, cancelled on the refund's
// day, the refund's file and line as the comment. Registering it again
// (a re-run of the reconciliation) registers nothing new.
func (m *RefundMatch) Cancellation(runID int64) CancelRequest {
	return CancelRequest{Source: CancelFromRefund, SourceRef: fmt.Sprintf("run %d recon_row %d", runID, m.ReconRowID),
		OrderID: m.OrderIDs[0], Date: m.Day, Comment: m.Comment()}
}
