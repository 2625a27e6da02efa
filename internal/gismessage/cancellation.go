package gismessage

import (
	"fmt"
	"strings"

	"github.com/gispayments/gis-payments/internal/calendar"
)

// Cancellations takes loaded payments back out of GIS (извещение об
// аннулировании, СД_ИОПЛАТА_ИЗВАН_ЗАП): up to 500 items, for bank and
// supplier notifications alike.
const Cancellations Operation = "importNotificationsOfOrderExecutionCancellation"

// Cancellation is one payment to take back
// (payments-base:NotificationOfOrderExecutionCancellationType).
type Cancellation struct {
	TransportGUID string
	// OrderID names the payment to GIS, 1 to 32 characters: a bank
	// notification's own OrderID, or the UniqueNumber GIS returned on
	// importing a supplier notification.
	OrderID string
	Date    calendar.Date // CancellationDate
	Comment string        // optional, at most 210 characters
}

// MaxCommentRunes is the schema's limit on Comment.
const MaxCommentRunes = 210

// CheckCancellation says why c cannot be sent, or nil.
func CheckCancellation(c *Cancellation) error {
	if err := plain("order_id", c.OrderID); err != nil {
		return err
	}
	switch {
	case !IsGUID(c.TransportGUID):
		return fmt.Errorf("TransportGUID %q is not a GUID", c.TransportGUID)
	case c.OrderID == "" || runes(c.OrderID) > 32:
		return fmt.Errorf("OrderID %q must be 1 to 32 characters, it has %d", c.OrderID, runes(c.OrderID))
	case runes(Text(c.Comment)) > MaxCommentRunes:
		return fmt.Errorf("comment is longer than %d characters", MaxCommentRunes)
	}
	return nil
}

// ComposeCancellations returns the message of one cancellation package.
func ComposeCancellations(h Header, items []Cancellation) (*Message, error) {
	if len(items) == 0 || len(items) > Cancellations.MaxItems() {
		return nil, fmt.Errorf("gisxml: %d items, %s takes 1 to %d", len(items), Cancellations, Cancellations.MaxItems())
	}
	for i := range items {
		if err := CheckCancellation(&items[i]); err != nil {
			return nil, fmt.Errorf("gisxml: cancellation %d: %w", i+1, err)
		}
	}
	doc, req := envelope(Cancellations, h)
	w := newItemWriter(req)
	for i, c := range items {
		// The item is declared in the payment schema; its type's children
		// in payments-base, the TransportGUID in base.
		w.start("pm:NotificationOfOrderExecutionCancellation")
		w.text("pb:OrderID", c.OrderID)
		w.formatted("pb:CancellationDate", c.Date.AppendText(w.value[:0]))
		w.opt("pb:Comment", strings.TrimSpace(Text(c.Comment)))
		w.text("base:TransportGUID", c.TransportGUID)
		w.end()
		if i == 0 {
			w.reserve(len(items))
		}
	}
	return w.message(doc, req), nil
}
