package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gispayments/gis-payments/internal/lifecycle"
	"github.com/gispayments/gis-payments/internal/matcher"
)

// Organization is a payment recipient the project loads payments for.
type Organization struct {
	ID                   int64  `json:"-"`
	Code                 string `json:"code"`
	Name                 string `json:"name"`
	INN                  string `json:"inn"`
	KPP                  string `json:"kpp,omitempty"`
	OrgPPAGUID           string `json:"org_ppa_guid"`
	Kind                 string `json:"kind"`        // KindFund | KindSupplier
	LoadPolicy           string `json:"load_policy"` // matched | acquiring
	BankName             string `json:"bank_name,omitempty"`
	BankBIK              string `json:"bank_bik,omitempty"`
	OperatingAccount     string `json:"operating_account,omitempty"`
	CorrespondentAccount string `json:"correspondent_account,omitempty"`
	PaymentRecipient     string `json:"payment_recipient,omitempty"`
	// SigningKey names the organisation's own signing key (a Secrets
	// Manager ARN or a PEM file); empty: the operator signs for it.
	SigningKey string `json:"signing_key,omitempty"`
	// RefundCancellation is what a bank registry's refund row of a loaded
	// payment leads to: RefundList (listed for an operator) or RefundAuto
	// (a cancellation request); empty on upsert: RefundList.
	RefundCancellation string `json:"refund_cancellation,omitempty"`
	// Rules are the organisation's matching rules; nil on upsert: the defaults.
	Rules *matcher.Rules `json:"matching_rules,omitempty"`
}

// The kinds of organisation: what they load into GIS and how.
const (
	KindFund     = "ufkr"   // a regional capital-repair fund: bank notifications (importNotificationsOfOrderExecution)
	KindSupplier = "uk_rso" // a management company or resource supplier: supplier notifications
)

const orgColumns = `id, code, name, inn, coalesce(kpp, ''), org_ppa_guid::text, kind, load_policy,
	coalesce(bank_name, ''), coalesce(bank_bik, ''), coalesce(operating_account, ''),
	coalesce(correspondent_account, ''), coalesce(payment_recipient, ''), coalesce(signing_key, ''),
	match_key_with_date, match_window_days, strict_rows, max_bad_share::float8, refund_cancellation`

func scanOrg(row pgx.Row) (*Organization, error) {
	o := Organization{Rules: &matcher.Rules{}}
	var window int16
	err := row.Scan(&o.ID, &o.Code, &o.Name, &o.INN, &o.KPP, &o.OrgPPAGUID, &o.Kind, &o.LoadPolicy,
		&o.BankName, &o.BankBIK, &o.OperatingAccount, &o.CorrespondentAccount, &o.PaymentRecipient, &o.SigningKey,
		&o.Rules.KeyWithDate, &window, &o.Rules.Strict, &o.Rules.MaxBadShare, &o.RefundCancellation)
	o.Rules.WindowDays = int(window)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &o, err
}

// UpsertOrganization creates or updates an organisation by code.
func (s *Store) UpsertOrganization(ctx context.Context, o *Organization) (*Organization, error) {
	if o.LoadPolicy == "" {
		o.LoadPolicy = lifecycle.DefaultLoadPolicy
	}
	if o.RefundCancellation == "" {
		o.RefundCancellation = RefundList
	}
	rules := matcher.DefaultRules()
	if o.Rules != nil {
		rules = *o.Rules
	}
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("store: upsert organization %s: %w", o.Code, err)
	}
	row := s.Pool.QueryRow(ctx, `
		INSERT INTO organization (code, name, inn, kpp, org_ppa_guid, kind, load_policy, bank_name, bank_bik,
			operating_account, correspondent_account, payment_recipient, signing_key,
			match_key_with_date, match_window_days, strict_rows, max_bad_share, refund_cancellation)
		VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7, nullif($8, ''), nullif($9, ''), nullif($10, ''),
			nullif($11, ''), nullif($12, ''), nullif($13, ''), $14, $15, $16, $17, $18)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, inn = excluded.inn, kpp = excluded.kpp,
			org_ppa_guid = excluded.org_ppa_guid, kind = excluded.kind, load_policy = excluded.load_policy,
			bank_name = excluded.bank_name, bank_bik = excluded.bank_bik,
			operating_account = excluded.operating_account, correspondent_account = excluded.correspondent_account,
			payment_recipient = excluded.payment_recipient, signing_key = excluded.signing_key,
			match_key_with_date = excluded.match_key_with_date, match_window_days = excluded.match_window_days,
			strict_rows = excluded.strict_rows, max_bad_share = excluded.max_bad_share,
			refund_cancellation = excluded.refund_cancellation, updated_at = now()
		RETURNING `+orgColumns,
		o.Code, o.Name, o.INN, o.KPP, o.OrgPPAGUID, o.Kind, o.LoadPolicy, o.BankName, o.BankBIK,
		o.OperatingAccount, o.CorrespondentAccount, o.PaymentRecipient, o.SigningKey,
		rules.KeyWithDate, rules.WindowDays, rules.Strict, rules.MaxBadShare, o.RefundCancellation)
	out, err := scanOrg(row)
	if err != nil {
		return nil, fmt.Errorf("store: upsert organization %s: %w", o.Code, err)
	}
	return out, nil
}

// OrganizationByCode looks an organisation up by its code.
func (s *Store) OrganizationByCode(ctx context.Context, code string) (*Organization, error) {
	o, err := scanOrg(s.Pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM organization WHERE code = $1`, code))
	if err != nil {
		return nil, fmt.Errorf("store: organization %q: %w", code, err)
	}
	return o, nil
}

// Organizations lists every organisation by code (the daily schedule runs each).
func (s *Store) Organizations(ctx context.Context) ([]*Organization, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+orgColumns+` FROM organization ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: organizations: %w", err)
	}
	defer rows.Close()
	var out []*Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("store: organizations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
