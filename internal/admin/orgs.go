package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/gispayments/gis-payments/internal/lifecycle"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// Org is an organisation as stored (OrgShow, OrgList) and as a request to
// add or update one (OrgAdd, OrgUpdate). On update an empty field keeps
// the stored value and "-" clears an optional one (kpp, bank requisites,
// signing_key: cleared, the operator signs).
type Org struct {
	postgres.Organization
	ApprovalPolicy string `json:"approval_policy,omitempty"`
}

// OrgRef names one organisation.
type OrgRef struct {
	Code string `json:"code"`
}

// OrgList asks for every organisation.
type OrgList struct{}

// ApprovalPolicies are the values approve12's migration allows.
var ApprovalPolicies = []string{"auto", "on_discrepancies", "always"}

// OrgAdd creates an organisation; an existing code is an error.
func (s *Service) OrgAdd(ctx context.Context, actor string, r Org) (*Org, error) {
	if _, err := s.Store.OrganizationByCode(ctx, r.Code); err == nil {
		return nil, invalid("organization %q exists: use org update", r.Code)
	} else if !errors.Is(err, postgres.ErrNotFound) {
		return nil, err
	}
	return s.saveOrg(ctx, &postgres.Organization{}, r)
}

// OrgUpdate changes the given fields of an existing organisation.
func (s *Service) OrgUpdate(ctx context.Context, actor string, r Org) (*Org, error) {
	o, err := s.Store.OrganizationByCode(ctx, r.Code)
	if err != nil {
		return nil, notFound(err)
	}
	return s.saveOrg(ctx, o, r)
}

// saveOrg lays r's set fields over o, validates the whole and stores it.
func (s *Service) saveOrg(ctx context.Context, o *postgres.Organization, r Org) (*Org, error) {
	merge(o, r)
	if o.LoadPolicy == "" {
		o.LoadPolicy = lifecycle.DefaultLoadPolicy
	}
	if err := validateOrg(o, r.ApprovalPolicy); err != nil {
		return nil, invalid("organization %q: %w", r.Code, err)
	}
	if r.ApprovalPolicy != "" {
		// approve12 adds organization.approval_policy (migration 00011);
		// until it is there the flag cannot be stored.
		ok, err := s.Store.HasColumn(ctx, "organization", "approval_policy")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, invalid("approval_policy: this database has no organization.approval_policy yet (the approval migration)")
		}
	}
	if _, err := s.Store.UpsertOrganization(ctx, o); err != nil {
		return nil, err
	}
	if r.ApprovalPolicy != "" {
		if err := s.Store.SetApprovalPolicy(ctx, o.Code, r.ApprovalPolicy); err != nil {
			return nil, err
		}
	}
	return s.OrgShow(ctx, "", OrgRef{Code: o.Code})
}

// merge copies the set string fields of r onto the same-named fields of
// o; "-" empties one.
func merge(o *postgres.Organization, r Org) {
	dst, src := reflect.ValueOf(o).Elem(), reflect.ValueOf(r.Organization)
	for i := range src.NumField() {
		f := dst.Field(i)
		v, _ := src.Field(i).Interface().(string)
		switch {
		case f.Kind() != reflect.String || v == "":
		case v == "-":
			f.SetString("")
		default:
			f.SetString(v)
		}
	}
}

// validateOrg checks every field an organisation needs, all at once.
func validateOrg(o *postgres.Organization, approval string) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	if o.Code == "" {
		add(errors.New("code is required"))
	}
	if o.Name == "" {
		add(errors.New("name is required"))
	}
	add(ValidINN(o.INN))
	if o.KPP != "" {
		add(ValidKPP(o.KPP))
	}
	add(ValidGUID("org_ppa_guid", o.OrgPPAGUID))
	add(oneOf("kind", o.Kind, postgres.KindFund, postgres.KindSupplier))
	add(oneOf("load_policy", o.LoadPolicy, lifecycle.LoadMatched, lifecycle.LoadAcquiring))
	if o.RefundCancellation != "" {
		add(oneOf("refund_cancellation", o.RefundCancellation, postgres.RefundList, postgres.RefundAuto))
	}
	if approval != "" {
		add(oneOf("approval_policy", approval, ApprovalPolicies...))
	}
	if o.BankBIK != "" {
		add(ValidBIK(o.BankBIK))
	}
	add(ValidAccounts(o.BankBIK, o.OperatingAccount, o.CorrespondentAccount))
	if o.Kind == postgres.KindFund {
		// GIS requires RecipientInfo/PaymentInformation in a fund's notifications.
		for _, f := range [][2]string{{"kpp", o.KPP}, {"bank_name", o.BankName}, {"bank_bik", o.BankBIK},
			{"operating_account", o.OperatingAccount}, {"correspondent_account", o.CorrespondentAccount},
			{"payment_recipient", o.PaymentRecipient}} {
			if f[1] == "" {
				add(fmt.Errorf("%s is required for a fund (kind ufkr)", f[0]))
			}
		}
	}
	return errors.Join(errs...)
}

// OrgShow returns one organisation.
func (s *Service) OrgShow(ctx context.Context, actor string, r OrgRef) (*Org, error) {
	o, err := s.Store.OrganizationByCode(ctx, r.Code)
	if err != nil {
		return nil, notFound(err)
	}
	out := &Org{Organization: *o}
	if out.ApprovalPolicy, err = s.approvalPolicy(ctx, o.Code); err != nil {
		return nil, err
	}
	return out, nil
}

// OrgList returns every organisation by code.
func (s *Service) OrgList(ctx context.Context, actor string, _ OrgList) ([]Org, error) {
	orgs, err := s.Store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Org, len(orgs))
	for i, o := range orgs {
		out[i].Organization = *o
		if out[i].ApprovalPolicy, err = s.approvalPolicy(ctx, o.Code); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) approvalPolicy(ctx context.Context, code string) (string, error) {
	return s.Store.ApprovalPolicy(ctx, code)
}

// strictJSON decodes one JSON value, refusing unknown fields.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
