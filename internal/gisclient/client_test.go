package gisclient_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

func setup(t *testing.T, timeout time.Duration) (*gissim.Sim, *gisclient.Client, *clock.Manual) {
	clk := clock.NewManual(time.Date(2026, 11, 22, 6, 0, 0, 0, calendar.Moscow))
	cfg := gissim.Config{Clock: clk.Now, ReceivedFor: time.Minute, ProcessingFor: time.Minute}
	if v, err := xsdcheck.New(xsdcheck.PaymentTypes); err == nil {
		cfg.Validate = v.Element
	}
	sim := gissim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := gisclient.New(gisclient.Config{Endpoint: srv.URL, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c, clk
}

var header = gismessage.Header{Date: time.Date(2026, 11, 22, 6, 0, 0, 0, calendar.Moscow), OrgPPAGUID: uuid.NewString()}

func request(t *testing.T, orderIDs ...string) ([]byte, []string) {
	var items []gismessage.Notification
	var guids []string
	for _, id := range orderIDs {
		g := uuid.NewString()
		guids = append(guids, g)
		items = append(items, gismessage.Notification{TransportGUID: g, OrderID: id, OrderDate: calendar.FromYMD(2026, 11, 21),
			Amount: money.Kopecks(12345), AccountNumber: "ЛС1"})
	}
	h := header
	h.MessageGUID = uuid.NewString()
	doc, _, err := gismessage.Build(gismessage.Notifications, h, &gismessage.Recipient{INN: "7702345678", KPP: "770201001", Name: "Фонд",
		BankName: "Банк", BankBIK: "044525225", PaymentRecipient: "Фонд", OperatingAccount: "40703810938000000001"}, items)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := doc.WriteToBytes()
	return data, guids
}

func state(t *testing.T, c *gisclient.Client, ack string) *gisclient.State {
	h := header
	h.MessageGUID = uuid.NewString()
	st, _, err := c.GetState(context.Background(), h, ack)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSendAndPoll(t *testing.T) {
	sim, c, clk := setup(t, 5*time.Second)
	ctx := context.Background()
	data, guids := request(t, strings.Repeat("a", 32), strings.Repeat("b", 32))
	ack, _, err := c.Send(ctx, gismessage.Notifications, data)
	if err != nil || !gismessage.IsGUID(ack) {
		t.Fatalf("send: %q %v", ack, err)
	}
	for _, want := range []int{1, 2, 3} {
		if st := state(t, c, ack); st.RequestState != want || st.MessageGUID != ack {
			t.Fatalf("state %d, want %d", st.RequestState, want)
		}
		if want < 3 {
			clk.Add(time.Minute)
		}
	}
	st := state(t, c, ack)
	if len(st.Results) != 2 || !st.Results[0].OK() || st.Results[0].TransportGUID != guids[0] || st.Results[0].UniqueNumber == "" {
		t.Fatalf("results %+v", st.Results)
	}
	// The same order again is "already loaded"; the same message again is the same Ack.
	again, _, err := c.Send(ctx, gismessage.Notifications, data)
	if err != nil || again != ack {
		t.Fatalf("resend: %s %v", again, err)
	}
	dup, _ := request(t, strings.Repeat("a", 32))
	ack2, _, _ := c.Send(ctx, gismessage.Notifications, dup)
	clk.Add(3 * time.Minute)
	st = state(t, c, ack2)
	if st.Results[0].OK() || st.Results[0].Errors[0].Code != "SRV012001" || gisclient.Classify("SRV012001") != gisclient.AlreadyLoaded {
		t.Fatalf("duplicate order: %+v", st.Results[0])
	}
	if sim.Accepted() != 2 || sim.Imported() != 2 {
		t.Errorf("accepted %d messages, imported %d payments", sim.Accepted(), sim.Imported())
	}
}

func TestStateResultValidates(t *testing.T) {
	v, err := xsdcheck.New(xsdcheck.PaymentTypes)
	if errors.Is(err, xsdcheck.ErrUnavailable) {
		t.Skip(err)
	}
	sim, c, clk := setup(t, 5*time.Second)
	sim.FailItems(func(item *etree.Element) (string, string) {
		if strings.Contains(item.FindElement(".//pb:OrderID").Text(), "b") {
			return "INT002000", "Лицевой счёт не найден"
		}
		return "", ""
	})
	data, _ := request(t, strings.Repeat("a", 32), strings.Repeat("b", 32))
	ack, _, _ := c.Send(context.Background(), gismessage.Notifications, data)
	clk.Add(time.Hour)
	h := header
	h.MessageGUID = uuid.NewString()
	st, raw, err := c.GetState(context.Background(), h, ack)
	if err != nil || st.Results[1].OK() || st.Results[1].Errors[0].Code != "INT002000" {
		t.Fatalf("%+v %v", st, err)
	}
	doc := etree.NewDocument()
	doc.ReadFromBytes(raw)
	if err := v.Element(doc.FindElement("//ns13:getStateResult")); err != nil {
		t.Fatal(err)
	}
}

func TestFaultsAreClassified(t *testing.T) {
	tests := []struct {
		fault gissim.Injection
		want  gisclient.Disposition
	}{
		{gissim.HTTP500, gisclient.Transient},
		{gissim.HTTP503, gisclient.Transient},
		{gissim.Slow, gisclient.Transient},
		{gissim.MalformedXML, gisclient.Unreadable},
		{gissim.SOAPFault, gisclient.Transient}, // EXP001000
		{gissim.AcceptAndDrop, gisclient.Transient},
	}
	for _, tt := range tests {
		sim, c, _ := setup(t, 2*time.Second) // Slow waits this out; the retry must get through in it, loaded (300 ms did not)
		sim.Inject(gismessage.Notifications.SOAPAction(), tt.fault)
		data, _ := request(t, strings.Repeat("c", 32))
		_, _, err := c.Send(context.Background(), gismessage.Notifications, data)
		var e *gisclient.Error
		if !errors.As(err, &e) || e.Disposition != tt.want || !gisclient.IsTransient(err) {
			t.Errorf("fault %d: %v, want %s", tt.fault, err, tt.want)
		}
		// After the fault the same message goes through, once.
		if _, _, err := c.Send(context.Background(), gismessage.Notifications, data); err != nil {
			t.Errorf("fault %d: retry: %v", tt.fault, err)
		}
		if sim.Accepted() != 1 {
			t.Errorf("fault %d: %d messages accepted", tt.fault, sim.Accepted())
		}
	}
}

func TestPermanentRefusals(t *testing.T) {
	_, c, _ := setup(t, 5*time.Second)
	_, _, err := c.Send(context.Background(), gismessage.Notifications, []byte("<notsoap/>"))
	var e *gisclient.Error
	if !errors.As(err, &e) || e.Disposition != gisclient.Fatal || e.Code != "FMT001300" {
		t.Errorf("bad request: %v", err)
	}
	if _, _, err := c.GetState(context.Background(), gismessage.Header{Date: time.Now(), MessageGUID: uuid.NewString(),
		OrgPPAGUID: uuid.NewString()}, uuid.NewString()); gisclient.IsTransient(err) {
		t.Errorf("unknown message: %v", err)
	}
}

// A reply larger than the cap is cut off after the cap, not read whole,
// and is an unreadable reply (for getState: doubtful).
func TestReplyOverTheCap(t *testing.T) {
	var written int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 3200 { // 200 MiB, unless the client hangs up
			n, err := w.Write(chunk)
			atomic.AddInt64(&written, int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, err := gisclient.New(gisclient.Config{Endpoint: srv.URL, Timeout: 5 * time.Second, MaxReply: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetState(context.Background(), header, uuid.NewString())
	var e *gisclient.Error
	if !errors.As(err, &e) || e.Disposition != gisclient.Unreadable || !e.Uncertain() {
		t.Fatalf("%v", err)
	}
	srv.CloseClientConnections()
	if n := atomic.LoadInt64(&written); n > 100<<20 {
		t.Errorf("the server wrote %d bytes before the client stopped reading", n)
	}
}

// Which failures leave GIS's side unknown: a lost or unreadable reply, a
// gateway that gave up; not a refused connection or GIS's own answer.
func TestUncertain(t *testing.T) {
	sim, c, _ := setup(t, 300*time.Millisecond)
	data, _ := request(t, strings.Repeat("u", 32))
	for _, tt := range []struct {
		fault     gissim.Injection
		uncertain bool
	}{
		{gissim.Slow, true}, {gissim.MalformedXML, true}, {gissim.AcceptAndDrop, true},
		{gissim.HTTP503, false}, {gissim.HTTP403, false}, {gissim.SOAPFault, false}, {gissim.RefuseFormat, false},
	} {
		sim.Inject(gismessage.Notifications.SOAPAction(), tt.fault)
		_, _, err := c.Send(context.Background(), gismessage.Notifications, data)
		var e *gisclient.Error
		if !errors.As(err, &e) || e.Uncertain() != tt.uncertain {
			t.Errorf("fault %d: %v, uncertain want %v", tt.fault, err, tt.uncertain)
		}
	}
	refused, _ := gisclient.New(gisclient.Config{Endpoint: "http://127.0.0.1:1", Timeout: time.Second})
	_, _, err := refused.Send(context.Background(), gismessage.Notifications, data)
	var e *gisclient.Error
	if !errors.As(err, &e) || e.Uncertain() {
		t.Errorf("refused connection: %v is uncertain", err)
	}
}

// The test stand's basic authentication goes with every call; without it
// GIS answers 401, a refusal.
func TestBasicAuth(t *testing.T) {
	sim := gissim.New(gissim.Config{BasicAuth: "sit-user:s3cret"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	data, _ := request(t, strings.Repeat("b", 32))
	without, _ := gisclient.New(gisclient.Config{Endpoint: srv.URL})
	_, _, err := without.Send(context.Background(), gismessage.Notifications, data)
	var e *gisclient.Error
	if !errors.As(err, &e) || e.HTTPStatus != http.StatusUnauthorized || e.Disposition != gisclient.Retry {
		t.Fatalf("without credentials: %v", err)
	}
	with, _ := gisclient.New(gisclient.Config{Endpoint: srv.URL, BasicUser: "sit-user", BasicPassword: "s3cret"})
	if _, _, err := with.Send(context.Background(), gismessage.Notifications, data); err != nil || sim.Accepted() != 1 {
		t.Fatalf("with credentials: %v, %d accepted", err, sim.Accepted())
	}
}
