package gismessage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
)

// cancellations makes n items: bank OrderIDs (32 characters) and supplier
// UniqueNumbers in turn, comments with awkward characters, up to 210 long,
// or none.
func cancellations(n int) []Cancellation {
	out := make([]Cancellation, n)
	for i := range out {
		out[i] = Cancellation{TransportGUID: uuid.NewString(), Date: calendar.FromYMD(2026, 11, 25)}
		switch i % 3 {
		case 0:
			out[i].OrderID = fmt.Sprintf("%032x", i+1)
			out[i].Comment = strings.Repeat("я", MaxCommentRunes)
		case 1:
			out[i].OrderID = fmt.Sprintf("%010d", i+1)
			out[i].Comment = `Возврат "ЖКУ" & <пени>` + "\r\nпо заявлению"
		default:
			out[i].OrderID = "x"
		}
	}
	return out
}

func TestCancellationsValidateAgainstTheOfficialSchema(t *testing.T) {
	payment := paymentSchema(t)
	for _, n := range []int{1, 500, 501} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			doc, req, err := cancellationTree(ComposeCancellations(header, cancellations(n)))
			if n > 500 {
				if err == nil {
					t.Fatal("built 501 cancellations")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := payment.Element(req); err != nil {
				t.Fatal(err)
			}
			if got := len(doc.FindElements("//pm:NotificationOfOrderExecutionCancellation")); got != n {
				t.Errorf("%d items written, want %d", got, n)
			}
		})
	}
}

// Signed as the packer signs it, the request still validates (the
// signature is the request's first child) and verifies.
func TestSignedCancellationValidates(t *testing.T) {
	_, req, err := cancellationTree(ComposeCancellations(header, cancellations(3)))
	if err != nil {
		t.Fatal(err)
	}
	signValid(t, paymentSchema(t), req)
}

// The schema must refuse what CheckCancellation refuses, or the test above proves nothing.
func TestCancellationSchemaAndCheckAgree(t *testing.T) {
	payment := paymentSchema(t)
	for _, tt := range []struct {
		name   string
		change func(*Cancellation)
		want   string
	}{
		{"OrderID of 33 characters", func(c *Cancellation) { c.OrderID = strings.Repeat("1", 33) }, "must be 1 to 32"},
		{"empty OrderID", func(c *Cancellation) { c.OrderID = "" }, "must be 1 to 32"},
		{"comment of 211 characters", func(c *Cancellation) { c.Comment = strings.Repeat("я", 211) }, "longer than 210"},
		{"bad TransportGUID", func(c *Cancellation) { c.TransportGUID = "nope" }, "not a GUID"},
		{"tab in OrderID", func(c *Cancellation) { c.OrderID = "12\t3" }, "tab"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cancellations(1)[0]
			tt.change(&c)
			if err := CheckCancellation(&c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckCancellation: %v, want %q", err, tt.want)
			}
			if _, err := ComposeCancellations(header, []Cancellation{c}); err == nil {
				t.Error("built")
			}
			if tt.name == "tab in OrderID" || tt.name == "bad TransportGUID" {
				return // the schema allows a tab; a GUID's pattern is checked below
			}
			// Write it anyway, bypassing the check, and ask the schema.
			doc, req := envelope(Cancellations, header)
			item := req.CreateElement("pm:NotificationOfOrderExecutionCancellation")
			item.CreateElement("pb:OrderID").SetText(c.OrderID)
			item.CreateElement("pb:CancellationDate").SetText(c.Date.String())
			item.CreateElement("pb:Comment").SetText(c.Comment)
			item.CreateElement("base:TransportGUID").SetText(c.TransportGUID)
			_ = doc
			if err := payment.Element(req); err == nil {
				t.Error("the schema accepted it")
			}
		})
	}
}

// cancellationTree is a composed message as a tree.
func cancellationTree(m *Message, err error) (*etree.Document, *etree.Element, error) {
	if err != nil {
		return nil, nil, err
	}
	return m.Tree()
}
