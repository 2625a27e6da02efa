package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/contract"
)

// Approval policies (organization.approval_policy).
const (
	ApprovalAuto            = "auto"
	ApprovalOnDiscrepancies = "on_discrepancies"
	ApprovalAlways          = "always"
)

// ApprovalNeed is what decides whether a reconciled run waits for a person.
type ApprovalNeed struct {
	Org, Policy, Contact string
	// Discrepancies counts the run's mismatched and one-sided rows and the
	// rows held at reconciliation.
	Discrepancies int
}

// Required reports whether the policy makes the run wait.
func (n ApprovalNeed) Required() bool {
	return n.Policy == ApprovalAlways || n.Policy == ApprovalOnDiscrepancies && n.Discrepancies > 0
}

// RunApprovalNeed reads a run's organisation policy and discrepancies.
func (s *Store) RunApprovalNeed(ctx context.Context, runID int64) (*ApprovalNeed, error) {
	var n ApprovalNeed
	err := s.Pool.QueryRow(ctx, `SELECT o.code, o.approval_policy, coalesce(o.contact_email, ''),
			r.mismatched + r.billing_only + r.acquiring_only
			+ (SELECT count(*) FROM recon_row WHERE run_id = r.id AND hold_reason IS NOT NULL)
		FROM run r JOIN organization o ON o.id = r.organization_id WHERE r.id = $1`, runID).
		Scan(&n.Org, &n.Policy, &n.Contact, &n.Discrepancies)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: approval need of run %d: %w", runID, err)
	}
	return &n, nil
}

// AwaitApproval stores the state machine's task token on a reconciled run
// and marks it awaiting_approval. A retried wait brings a new token, which
// replaces the old one; a run already past the wait is ErrNotReady.
func (s *Store) AwaitApproval(ctx context.Context, runID int64, token string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE run SET status = 'awaiting_approval', approval_token = $2,
			approval_requested_at = coalesce(approval_requested_at, now())
		WHERE id = $1 AND status IN ('reconciling', 'awaiting_approval') AND reconciled_at IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM run_decision WHERE run_id = $1)`, runID, token)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("run %d is not a reconciled run without a decision: %w", runID, ErrNotReady)
	}
	if err != nil {
		return fmt.Errorf("store: await approval of run %d: %w", runID, err)
	}
	return nil
}

// ExpireApproval ends a run whose approval wait passed its deadline:
// approval_expired, nothing loaded. It reports whether the run was waiting.
func (s *Store) ExpireApproval(ctx context.Context, runID int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE run SET status = 'approval_expired', finished_at = now(),
			error = 'nobody approved the run before the deadline'
		WHERE id = $1 AND status = 'awaiting_approval'`, runID)
	if err != nil {
		return false, fmt.Errorf("store: expire approval of run %d: %w", runID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Decision is a person's decision on a run awaiting approval.
type Decision struct {
	Approve bool
	By      string // an IAM identity, or the uploader's S3 principal
	Source  string // upload | admin
	Comment string
	// Load and Withhold name rows of the run: a recon_row id, or an order id.
	Load, Withhold []string
}

// DecisionRecord is a stored decision.
type DecisionRecord struct {
	RunID          int64
	Approve        bool
	By, Source     string
	At             time.Time
	Load, Withhold []int64 // recon_row ids
	// Token is the run's task token; Waiting is whether the run still
	// waits on it (the state machine has not been told, as far as we know).
	Token   string
	Waiting bool
}

// Decision is the decision in a word: approve or decline.
func (r *DecisionRecord) Decision() string {
	if r.Approve {
		return "approve"
	}
	return "decline"
}

// ErrDecided means the run already has a different decision.
var ErrDecided = errors.New("run already decided")

// RecordDecision stores a decision on a run awaiting approval, once: the
// same decision again (a repeated upload event, a retried command) returns
// the stored one, so the caller can tell the state machine again; a
// different one is ErrDecided. A decline ends the run (approval_declined);
// an approval leaves it to the packer. A row reference that names no row of
// the run, or a row without a bank payment to load, is an *InvalidRef.
func (s *Store) RecordDecision(ctx context.Context, runID int64, d Decision) (*DecisionRecord, error) {
	var rec *DecisionRecord
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status contract.RunStatus
		var token string
		err := tx.QueryRow(ctx, `SELECT status, coalesce(approval_token, '') FROM run WHERE id = $1 FOR UPDATE`, runID).
			Scan(&status, &token)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %d: %w", runID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		load, err := resolveRows(ctx, tx, runID, d.Load, true)
		if err != nil {
			return err
		}
		withhold, err := resolveRows(ctx, tx, runID, d.Withhold, false)
		if err != nil {
			return err
		}
		if prev, err := decisionOf(ctx, tx, runID); err == nil {
			if prev.Approve != d.Approve || !slices.Equal(prev.Load, load) || !slices.Equal(prev.Withhold, withhold) {
				return fmt.Errorf("run %d: %w (%s by %s at %s)", runID, ErrDecided, verb(prev.Approve), prev.By, prev.At.Format(time.RFC3339))
			}
			prev.Token, prev.Waiting = token, status == contract.RunAwaitingApproval
			rec = prev
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if status != contract.RunAwaitingApproval {
			return fmt.Errorf("run %d is %s, not awaiting approval: %w", runID, status, ErrNotReady)
		}
		if err := insertDecision(ctx, tx, runID, d, load, withhold); err != nil {
			return err
		}
		if !d.Approve {
			if _, err := tx.Exec(ctx, `UPDATE run SET status = 'approval_declined', finished_at = now(),
				error = 'declined by ' || $2 WHERE id = $1`, runID, d.By); err != nil {
				return err
			}
		}
		if rec, err = decisionOf(ctx, tx, runID); err != nil {
			return err
		}
		rec.Token, rec.Waiting = token, true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: decision on run %d: %w", runID, err)
	}
	return rec, nil
}

func verb(approve bool) string {
	if approve {
		return "approved"
	}
	return "declined"
}

func insertDecision(ctx context.Context, tx pgx.Tx, runID int64, d Decision, load, withhold []int64) error {
	decision := (&DecisionRecord{Approve: d.Approve}).Decision()
	if _, err := tx.Exec(ctx, `INSERT INTO run_decision (run_id, decision, decided_by, source, comment)
		VALUES ($1, $2, $3, $4, nullif($5, ''))`, runID, decision, d.By, d.Source, d.Comment); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO run_decision_row (run_id, recon_row_id, action)
		SELECT $1::bigint, id, 'load' FROM unnest($2::bigint[]) AS id
		UNION ALL SELECT $1::bigint, id, 'withhold' FROM unnest($3::bigint[]) AS id`, runID, load, withhold)
	if isUniqueViolation(err) {
		return &InvalidRef{Msg: "a row is both loaded and withheld"}
	}
	return err
}

// InvalidRef is a row reference of a decision that cannot be applied.
type InvalidRef struct {
	Ref string
	Msg string
}

func (e *InvalidRef) Error() string {
	if e.Ref == "" {
		return e.Msg
	}
	return fmt.Sprintf("row %q: %s", e.Ref, e.Msg)
}

// resolveRows turns references (recon_row ids or order ids) into the
// run's recon_row ids, sorted. Rows to load must carry a bank payment.
func resolveRows(ctx context.Context, tx pgx.Tx, runID int64, refs []string, load bool) ([]int64, error) {
	ids := []int64{}
	for _, ref := range refs {
		var id int64
		var hasOrder bool
		n, _ := strconv.ParseInt(ref, 10, 64) // 0 for an order id: no row has it
		err := tx.QueryRow(ctx, `SELECT id, order_id IS NOT NULL FROM recon_row
			WHERE run_id = $1 AND (id = $2 OR order_id = $3) ORDER BY id LIMIT 1`, runID, n, ref).Scan(&id, &hasOrder)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, &InvalidRef{Ref: ref, Msg: fmt.Sprintf("no row of run %d has this id or order id", runID)}
		}
		if err != nil {
			return nil, err
		}
		if load && !hasOrder {
			return nil, &InvalidRef{Ref: ref, Msg: "a billing-only row has no bank payment to load"}
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// RunDecision returns a run's decision, or ErrNotFound.
func (s *Store) RunDecision(ctx context.Context, runID int64) (*DecisionRecord, error) {
	var rec *DecisionRecord
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		rec, err = decisionOf(ctx, tx, runID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: decision on run %d: %w", runID, err)
	}
	return rec, nil
}

func decisionOf(ctx context.Context, tx pgx.Tx, runID int64) (*DecisionRecord, error) {
	rec := &DecisionRecord{RunID: runID, Load: []int64{}, Withhold: []int64{}}
	var decision string
	err := tx.QueryRow(ctx, `SELECT decision, decided_by, source, decided_at,
			coalesce((SELECT array_agg(recon_row_id ORDER BY recon_row_id) FROM run_decision_row WHERE run_id = $1 AND action = 'load'), '{}'),
			coalesce((SELECT array_agg(recon_row_id ORDER BY recon_row_id) FROM run_decision_row WHERE run_id = $1 AND action = 'withhold'), '{}')
		FROM run_decision WHERE run_id = $1`, runID).Scan(&decision, &rec.By, &rec.Source, &rec.At, &rec.Load, &rec.Withhold)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	rec.Approve = decision == "approve"
	return rec, err
}

// readyToPack reports whether the packer plans a run in status: a run
// fresh from reconciliation, or one an approver approved. A run still
// waiting for its decision is ErrNotReady; any other was packed before.
func readyToPack(ctx context.Context, tx pgx.Tx, runID int64, status contract.RunStatus) (bool, error) {
	switch status {
	case contract.RunReconciling:
		return true, nil
	case contract.RunAwaitingApproval:
		rec, err := decisionOf(ctx, tx, runID)
		if errors.Is(err, ErrNotFound) || err == nil && !rec.Approve {
			return false, fmt.Errorf("run %d awaits approval: %w", runID, ErrNotReady)
		}
		return err == nil, err
	}
	return false, nil
}

// holdWithheld holds the rows the approver withheld, with who withheld
// them, and counts them.
func holdWithheld(ctx context.Context, tx pgx.Tx, runID int64) (int, error) {
	tag, err := tx.Exec(ctx, `UPDATE recon_row r SET hold_reason = 'withheld by ' || d.decided_by
		FROM run_decision_row x JOIN run_decision d ON d.run_id = x.run_id
		WHERE x.run_id = $1 AND x.action = 'withhold' AND r.id = x.recon_row_id`, runID)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// decisionRows is the candidate selection's part of a decision: a recon
// row of run $1 the approver added to the load, or withheld from it.
const (
	approvedExtra = `r.id IN (SELECT recon_row_id FROM run_decision_row WHERE run_id = $1 AND action = 'load')`
	notWithheld   = `r.id NOT IN (SELECT recon_row_id FROM run_decision_row WHERE run_id = $1 AND action = 'withhold')`
)

// ActiveOrganizations lists the codes of the organisations the daily
// schedule runs, by code.
func (s *Store) ActiveOrganizations(ctx context.Context) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code FROM organization WHERE active ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: active organizations: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: active organizations: %w", err)
	}
	return codes, nil
}

// SetOrganizationControls sets an organisation's approval policy, whether
// the daily schedule runs it, and its contact (empty: none). The admin
// command's org update is the operators' way; tests and the local run use
// this.
func (s *Store) SetOrganizationControls(ctx context.Context, code, policy string, active bool, contact string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE organization SET approval_policy = $2, active = $3, contact_email = nullif($4, ''),
		updated_at = now() WHERE code = $1`, code, policy, active, contact)
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: organization %q controls: %w", code, err)
	}
	return nil
}
