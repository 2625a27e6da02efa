package gissim

import (
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/gismessage"
)

// UnknownOrderCode is the simulator's answer to a cancellation of a
// payment it does not hold: INT002000, "Значение в поле … отсутствует в
// реестре" (a referenced object is not in the registry; a public source,
// see gis-facts.md §10). What GIS itself answers here is not published.
const UnknownOrderCode = "INT002000"

// cancel decides one cancellation item. The OrderID names a bank
// notification by its own OrderID, a supplier notification by the
// UniqueNumber given on import. A second cancellation of a cancelled
// payment is answered as the first was (idempotent: the simulator's
// choice, GIS's behaviour is not published); an unknown order is refused.
// Injected item errors apply as to imports.
func (s *Sim) cancel(item *etree.Element, tg string, now time.Time) result {
	r := result{transportGUID: tg, updated: now}
	if s.itemError != nil {
		if r.errCode, r.errText = s.itemError(item); r.errCode != "" {
			r.guid = "00000000-0000-0000-0000-000000000000"
			return r
		}
	}
	orderID := text(item, gismessage.NsPaymentsBase, "OrderID")
	key := orderID
	if k, ok := s.numbers[orderID]; ok {
		key = k
	}
	if done, ok := s.cancelled[key]; ok {
		done.transportGUID = tg
		return done
	}
	if s.imported[key] == "" {
		r.guid, r.errCode = "00000000-0000-0000-0000-000000000000", UnknownOrderCode
		r.errText = "Значение в поле OrderID отсутствует в реестре: " + orderID
		return r
	}
	r.guid = uuid.NewString()
	s.cancelled[key] = r
	return r
}

// Cancelled is how many payments GIS has cancelled.
func (s *Sim) Cancelled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cancelled)
}

// IsCancelled reports whether GIS holds the payment with this OrderID or
// UniqueNumber as cancelled.
func (s *Sim) IsCancelled(orderID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.numbers[orderID]; ok {
		orderID = k
	}
	_, ok := s.cancelled[orderID]
	return ok
}
