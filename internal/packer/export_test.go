package packer

import (
	"context"

	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// Plan is the packer's planner, for tests that store a plan themselves.
func (s *Service) Plan(org *postgres.Organization, candidates []postgres.Candidate) ([]postgres.PlannedPackage, []postgres.Hold, error) {
	return s.plan(org, candidates)
}

// BuildImport builds a stored import package's request from its stored rows.
func (s *Service) BuildImport(ctx context.Context, org *postgres.Organization, p postgres.Package, hdr gismessage.Header) (*gismessage.Message, error) {
	return s.buildImport(ctx, org, p, hdr)
}

// BuildPlanned builds a planned package's request from the plan.
var BuildPlanned = buildPlanned
