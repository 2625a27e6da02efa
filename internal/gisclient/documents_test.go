package gisclient_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/xades"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

// lookup asks the simulator for q over HTTP, signed, and returns the
// processed state and the raw reply.
func lookup(t *testing.T, c *gisclient.Client, clk *testkit.Clock, q gismessage.DocumentQuery) (*gisclient.State, []byte) {
	t.Helper()
	ctx := context.Background()
	h := header
	h.MessageGUID = uuid.NewString()
	doc, req, err := gismessage.BuildDocumentQuery(h, q)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&xades.Signer{Key: testkit.Key(t)}).Sign(req); err != nil {
		t.Fatal(err)
	}
	data, _ := doc.WriteToBytes()
	ack, _, err := c.Send(ctx, gismessage.DocumentDetails, data)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(3 * time.Minute)
	h.MessageGUID = uuid.NewString()
	st, reply, err := c.GetState(ctx, h, ack)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Done() {
		t.Fatalf("state %d", st.RequestState)
	}
	return st, reply
}

// The simulator lists the documents it holds for a ЕЛС and period, as a
// Charge (with PaymentDocumentIDs) or as Services (ServiceIDs only), in a
// getStateResult the official schema accepts, and answers INT002012 for a
// search that finds nothing.
func TestDocumentLookupAgainstTheSimulator(t *testing.T) {
	payment, err := xsdcheck.New(xsdcheck.PaymentTypes)
	if errors.Is(err, xsdcheck.ErrUnavailable) {
		t.Skip(err)
	}
	sim, c, clk := setup(t, 5*time.Second)
	charged := gismessage.DocumentQuery{UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10}
	services := gismessage.DocumentQuery{UnifiedAccountNumber: "98ЯЯ765432", Year: 2026, Month: 10}
	docs := []gismessage.PaymentDocument{
		{PaymentDocumentID: "12АБ345678-01-6101", ServiceID: "12АБ345678-01", AccountNumber: "ЛС-1", UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10},
		{PaymentDocumentID: "12АБ345678-02-6101", AccountNumber: "ЛС-2", UnifiedAccountNumber: "12АБ345678"},
	}
	sim.HoldDocuments(charged, docs...)
	svc := []gismessage.PaymentDocument{{ServiceID: "98ЯЯ765432-01", AccountNumber: "ЛС-9", UnifiedAccountNumber: "98ЯЯ765432"}}
	sim.HoldDocuments(services, svc...)

	for _, tt := range []struct {
		name string
		q    gismessage.DocumentQuery
		want []gismessage.PaymentDocument
	}{{"charge", charged, docs}, {"services", services, svc}} {
		t.Run(tt.name, func(t *testing.T) {
			st, reply := lookup(t, c, clk, tt.q)
			if !st.Exported || st.ErrorCode != "" || !reflect.DeepEqual(st.Documents, tt.want) {
				t.Fatalf("state %+v, want documents %+v", st, tt.want)
			}
			validateResult(t, payment, reply)
		})
	}
	t.Run("nothing found", func(t *testing.T) {
		st, reply := lookup(t, c, clk, gismessage.DocumentQuery{UnifiedAccountNumber: "0000000000", Year: 2026, Month: 10})
		if st.Exported || st.ErrorCode != gismessage.NothingFound {
			t.Fatalf("state %+v, want %s", st, gismessage.NothingFound)
		}
		validateResult(t, payment, reply)
	})
}

func validateResult(t *testing.T, v *xsdcheck.Validator, reply []byte) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(reply); err != nil {
		t.Fatal(err)
	}
	if err := v.Element(doc.FindElement("//getStateResult")); err != nil {
		t.Fatalf("the simulator's answer is not valid: %v", err)
	}
}

// A result naming a document id of the wrong length is malformed, not
// taken: sent back, it would be refused or name another document.
func TestDocumentResultWithABadIDIsMalformed(t *testing.T) {
	sim, c, clk := setup(t, 5*time.Second)
	q := gismessage.DocumentQuery{UnifiedAccountNumber: "12АБ345678", Year: 2026, Month: 10}
	sim.HoldDocuments(q, gismessage.PaymentDocument{PaymentDocumentID: "12АБ345678-01-6101", UnifiedAccountNumber: "12АБ345678"})
	sim.TamperStates(func(res *etree.Element) {
		res.FindElement(".//PaymentDocumentID").SetText("short")
	})
	h := header
	h.MessageGUID = uuid.NewString()
	doc, _, _ := gismessage.BuildDocumentQuery(h, q)
	data, _ := doc.WriteToBytes()
	ack, _, err := c.Send(context.Background(), gismessage.DocumentDetails, data)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(3 * time.Minute)
	var ge *gisclient.Error
	if _, _, err := c.GetState(context.Background(), h, ack); !errors.As(err, &ge) || ge.Kind != gisclient.Malformed {
		t.Fatalf("GetState: %v, want a malformed reply", err)
	}
}
