package packer

import (
	"context"

	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// prepare stores a run's packages: its payments for a reconciliation run,
// the organisation's requested cancellations for a cancellation run. pre
// takes part in storing payments only.
func (s *Service) prepare(ctx context.Context, runID int64, pre *postgres.Presign) (*postgres.Packing, error) {
	kind, err := s.Store.RunKind(ctx, runID)
	if err != nil {
		return nil, err
	}
	if kind != "cancellations" {
		return s.Store.PreparePackages(ctx, runID, s.plan, pre)
	}
	size := gismessage.Cancellations.MaxItems()
	if s.PackageSize > 0 && s.PackageSize < size {
		size = s.PackageSize
	}
	return s.Store.PrepareCancellations(ctx, runID, size)
}

// build builds the request of a stored package by its operation.
func (s *Service) build(ctx context.Context, org *postgres.Organization, p postgres.Package, hdr gismessage.Header) (*gismessage.Message, error) {
	if gismessage.Operation(p.Operation) != gismessage.Cancellations {
		return s.buildImport(ctx, org, p, hdr)
	}
	items, err := s.Store.CancellationItems(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	cs := make([]gismessage.Cancellation, len(items))
	for i, it := range items {
		cs[i] = gismessage.Cancellation{TransportGUID: it.TransportGUID, OrderID: it.OrderID, Date: it.Date, Comment: it.Comment}
	}
	return gismessage.ComposeCancellations(hdr, cs)
}
