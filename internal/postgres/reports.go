package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RunFiles returns a run's organisation and the files it reconciled, as
// its reports name them.
func (s *Store) RunFiles(ctx context.Context, runID int64) (*Organization, []*SourceFile, error) {
	org, err := scanOrg(s.Pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM organization
		WHERE id = (SELECT organization_id FROM run WHERE id = $1)`, runID))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("store: run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: organisation of run %d: %w", runID, err)
	}
	files, err := queryFiles(ctx, s.Pool, `WHERE id IN (SELECT source_file_id FROM run_file WHERE run_id = $1) ORDER BY kind, key`, runID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: files of run %d: %w", runID, err)
	}
	return org, files, nil
}

// DecisionRows describes the rows a run's decision loads besides the
// policy's (load) and those it withholds: bill, order and bank amount.
func (s *Store) DecisionRows(ctx context.Context, runID int64) (load, withhold []string, err error) {
	rows, err := s.Pool.Query(ctx, `SELECT x.action, 'bill ' || r.bill_number || coalesce(', order ' || r.order_id, '')
			|| coalesce(', ' || (r.acquiring_main + r.acquiring_fine)::text, '')
		FROM run_decision_row x JOIN recon_row r ON r.id = x.recon_row_id
		WHERE x.run_id = $1 ORDER BY x.action, r.id`, runID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: decision rows of run %d: %w", runID, err)
	}
	var action, label string
	_, err = pgx.ForEachRow(rows, []any{&action, &label}, func() error {
		if action == "load" {
			load = append(load, label)
		} else {
			withhold = append(withhold, label)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: decision rows of run %d: %w", runID, err)
	}
	return load, withhold, nil
}
