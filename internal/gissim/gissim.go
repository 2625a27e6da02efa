// Package gissim is a faithful stand-in for the GIS ZhKKh PaymentAsync
// service, for tests and local runs. It serves the same path and SOAP
// actions, validates requests against the official XSD when the schemas
// are available and their signature with the project's verifier, acks
// with a MessageGUID, moves each message through states 1 → 2 → 3 on a
// clock the caller controls, answers a CommonResult per TransportGUID,
// answers SRV012001 for an OrderID it has already imported, cancels what
// it holds, lists the payment documents it is given, and injects faults
// on demand.
package gissim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/gismessage"
)

// Injection is a failure the simulator injects on demand.
type Injection int

const (
	None Injection = iota
	HTTP500
	HTTP503
	Slow          // hold the reply until the client gives up
	MalformedXML  // a reply that is not XML
	SOAPFault     // a SOAP fault with FaultCode
	AcceptAndDrop // process the import, then fail the reply: "GIS accepted, our client timed out"
	RefuseFormat  // a client fault with a permanent format code (FMT001301)
	HTTP403       // refused without a SOAP fault, as a gateway or a lapsed access right does
)

// Config tunes the simulator.
type Config struct {
	// Clock is the clock states move on (nil: the system clock).
	Clock clock.Func
	// ReceivedFor and ProcessingFor are how long a message stays in states
	// 1 and 2.
	ReceivedFor, ProcessingFor time.Duration
	// Validate checks a request element against the official schema.
	Validate func(*etree.Element) error
	// Verify checks a request element's signature.
	Verify func(*etree.Element) error
	// FaultCode is the GIS code a SOAPFault carries (default EXP001000, transient).
	FaultCode string
	// BasicAuth, when set ("user:password"), is required of every call,
	// as on GIS's test stand: without it the answer is HTTP 401.
	BasicAuth string
}

// Sim is the simulator; its zero value is not usable, use New.
type Sim struct {
	cfg Config

	mu        sync.Mutex
	messages  map[string]*message                     // by GIS (ack) MessageGUID
	requester map[string]string                       // requester MessageGUID → ack MessageGUID
	imported  map[string]string                       // OrderID or TransportGUID → GUID of the imported payment
	numbers   map[string]string                       // UniqueNumber → the imported payment's key in imported
	cancelled map[string]result                       // imported key → the cancellation's result
	documents map[string][]gismessage.PaymentDocument // by unified account number and period
	faults    map[string][]Injection                  // by SOAP action, consumed in order
	stuck     bool                                    // new messages stay in state 2
	down      bool                                    // every call answered 503: an outage
	tamper    func(res *etree.Element)
	itemError func(item *etree.Element) (code, description string)
	msgErrors []msgError // whole-message failures for the next messages
	calls     map[string]int
}

type msgError struct{ code, text string }

type message struct {
	op       gismessage.Operation
	received time.Time
	stuck    bool
	results  []result
	err      *msgError
	docs     []gismessage.PaymentDocument // an export's answer
}

type result struct {
	transportGUID string
	guid          string
	uniqueNumber  string
	updated       time.Time
	errCode       string
	errText       string
}

// New returns a simulator.
func New(cfg Config) *Sim {
	if cfg.FaultCode == "" {
		cfg.FaultCode = "EXP001000"
	}
	return &Sim{cfg: cfg, messages: map[string]*message{}, requester: map[string]string{},
		imported: map[string]string{}, numbers: map[string]string{}, cancelled: map[string]result{}, documents: map[string][]gismessage.PaymentDocument{},
		faults: map[string][]Injection{}, calls: map[string]int{}}
}

// Inject queues faults for the next calls of a SOAP action ("urn:getState", …).
func (s *Sim) Inject(action string, faults ...Injection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = append(s.faults[action], faults...)
}

// StickNew makes messages acknowledged from now on stay in state 2 forever.
func (s *Sim) StickNew(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stuck = on
}

// SetDown starts (true) or ends an outage: every call is answered HTTP
// 503 and nothing is processed.
func (s *Sim) SetDown(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = on
}

// TamperStates rewrites every processed getStateResult (state 3) with fn
// before it is sent, to model doubtful answers; nil stops it.
func (s *Sim) TamperStates(fn func(res *etree.Element)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper = fn
}

// FailItems makes items for which fn returns a code fail with it.
func (s *Sim) FailItems(fn func(item *etree.Element) (code, description string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.itemError = fn
}

// FailNextMessages makes the next n accepted messages end in state 3 with
// an ErrorMessage instead of results, nothing of them imported.
func (s *Sim) FailNextMessages(n int, code, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.msgErrors = append(s.msgErrors, msgError{code, text})
	}
}

// Preimport marks order ids as loaded before (by another system), so
// importing them answers SRV012001.
func (s *Sim) Preimport(orderIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range orderIDs {
		s.imported[id] = "preloaded"
	}
}

// Accepted is how many distinct import messages GIS accepted.
func (s *Sim) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

// Imported is how many distinct payments GIS holds.
func (s *Sim) Imported() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.imported)
}

// Calls is how many requests came for a SOAP action.
func (s *Sim) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// ServeHTTP answers PaymentAsync calls on any path ending in the service path.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/ext-bus-payment-service/services/PaymentAsync") {
		http.NotFound(w, r)
		return
	}
	if user, pass, ok := r.BasicAuth(); s.cfg.BasicAuth != "" && (!ok || user+":"+pass != s.cfg.BasicAuth) {
		w.Header().Set("WWW-Authenticate", `Basic realm="GIS"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	action := strings.Trim(r.Header.Get("SOAPAction"), `"`)
	data, err := io.ReadAll(io.LimitReader(r.Body, 256<<20))
	if err != nil {
		return
	}
	s.mu.Lock()
	s.calls[action]++
	fault := None
	if q := s.faults[action]; len(q) > 0 {
		fault, s.faults[action] = q[0], q[1:]
	}
	if s.down {
		fault = HTTP503
	}
	s.mu.Unlock()
	switch fault {
	case HTTP403:
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	case HTTP500:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case HTTP503:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	case Slow:
		<-r.Context().Done() // the client times out and hangs up
		return
	case MalformedXML:
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte("<soap:Envelope><oops"))
		return
	case SOAPFault:
		s.fault(w, "soap:Server", s.cfg.FaultCode, "injected fault")
		return
	case RefuseFormat:
		s.fault(w, "soap:Client", "FMT001301", "Сообщение не соответствует схеме")
		return
	}
	var reply []byte
	var code int
	switch action {
	case gismessage.Notifications.SOAPAction(), gismessage.SupplierNotifications.SOAPAction(), gismessage.Cancellations.SOAPAction(),
		gismessage.DocumentDetails.SOAPAction():
		reply, code = s.importMessage(gismessage.Operation(strings.TrimPrefix(action, "urn:")), data)
	case "urn:getState":
		reply, code = s.getState(data)
	default:
		s.fault(w, "soap:Client", "FMT001300", "unknown SOAPAction "+action)
		return
	}
	if fault == AcceptAndDrop {
		http.Error(w, "upstream connection reset", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(code)
	w.Write(reply)
}

func (s *Sim) fault(w http.ResponseWriter, faultCode, code, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write(faultXML(faultCode, code, msg))
}

func faultXML(faultCode, code, msg string) []byte {
	doc, body := envelope()
	f := body.CreateElement("soap:Fault")
	f.CreateElement("faultcode").SetText(faultCode)
	f.CreateElement("faultstring").SetText(msg)
	gf := f.CreateElement("detail").CreateElement("base:Fault")
	gf.CreateElement("base:ErrorCode").SetText(code)
	gf.CreateElement("base:ErrorMessage").SetText(msg)
	out, _ := doc.WriteToBytes()
	return out
}

func envelope() (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement("soap:Envelope")
	env.CreateAttr("xmlns:soap", gismessage.NsSoap)
	env.CreateAttr("xmlns:base", gismessage.NsBase)
	env.CreateAttr("xmlns:ns13", gismessage.NsPayment)
	return doc, env.CreateElement("soap:Body")
}

var (
	find = gismessage.Child
	text = gismessage.ChildText
)

// parse returns the envelope's RequestHeader and Body child.
func parse(data []byte) (*etree.Element, *etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, nil, err
	}
	env := doc.Root()
	if env == nil || env.Tag != "Envelope" || env.NamespaceURI() != gismessage.NsSoap {
		return nil, nil, fmt.Errorf("not a SOAP 1.1 envelope")
	}
	var hdr, body *etree.Element
	if h := find(env, gismessage.NsSoap, "Header"); h != nil {
		hdr = find(h, gismessage.NsBase, "RequestHeader")
	}
	if b := find(env, gismessage.NsSoap, "Body"); b != nil && len(b.ChildElements()) == 1 {
		body = b.ChildElements()[0]
	}
	if hdr == nil || body == nil {
		return nil, nil, fmt.Errorf("the envelope needs a base:RequestHeader and one Body element")
	}
	if !gismessage.IsGUID(text(hdr, gismessage.NsBase, "MessageGUID")) || text(hdr, gismessage.NsBase, "orgPPAGUID") == "" {
		return nil, nil, fmt.Errorf("RequestHeader needs MessageGUID and orgPPAGUID")
	}
	return hdr, body, nil
}

func (s *Sim) importMessage(op gismessage.Operation, data []byte) ([]byte, int) {
	hdr, req, err := parse(data)
	if err != nil {
		return faultXML("soap:Client", "FMT001300", err.Error()), http.StatusInternalServerError
	}
	if req.Tag != string(op)+"Request" || req.NamespaceURI() != gismessage.NsPayment {
		return faultXML("soap:Client", "FMT001300", "the body does not match the SOAPAction"), http.StatusInternalServerError
	}
	if s.cfg.Validate != nil {
		if err := s.cfg.Validate(req); err != nil {
			return faultXML("soap:Client", "FMT001301", err.Error()), http.StatusInternalServerError
		}
	}
	if s.cfg.Verify != nil {
		if err := s.cfg.Verify(req); err != nil {
			return faultXML("soap:Client", "FMT001310", "signature: "+err.Error()), http.StatusInternalServerError
		}
	}
	requester := text(hdr, gismessage.NsBase, "MessageGUID")
	s.mu.Lock()
	defer s.mu.Unlock()
	ack, seen := s.requester[requester]
	if !seen { // a repeated MessageGUID gets its first Ack back: nothing is imported twice
		ack = uuid.NewString()
		s.requester[requester] = ack
		s.messages[ack] = s.process(op, req)
	}
	return ackXML(ack, requester), http.StatusOK
}

// process decides every item's outcome at receipt; it is revealed in state 3.
func (s *Sim) process(op gismessage.Operation, req *etree.Element) *message {
	now := s.cfg.Clock.Now()
	m := &message{op: op, received: now, stuck: s.stuck}
	if len(s.msgErrors) > 0 {
		m.err, s.msgErrors = &s.msgErrors[0], s.msgErrors[1:]
		return m
	}
	if op == gismessage.DocumentDetails {
		return s.lookup(m, req)
	}
	for _, item := range req.ChildElements() {
		tg := text(item, gismessage.NsBase, "TransportGUID")
		if tg == "" {
			continue // the Signature
		}
		key := tg
		if info := find(item, gismessage.NsPaymentsBase, "OrderInfo"); info != nil {
			key = text(info, gismessage.NsPaymentsBase, "OrderID")
		}
		if op == gismessage.Cancellations {
			m.results = append(m.results, s.cancel(item, tg, now))
			continue
		}
		r := result{transportGUID: tg, updated: now}
		if s.itemError != nil {
			r.errCode, r.errText = s.itemError(item)
		}
		switch {
		case r.errCode != "":
			r.guid = "00000000-0000-0000-0000-000000000000"
		case s.imported[key] != "":
			r.guid, r.errCode, r.errText = "00000000-0000-0000-0000-000000000000", "SRV012001", "Платёж уже загружен"
		default:
			r.guid = uuid.NewString()
			r.uniqueNumber = fmt.Sprintf("%010d", len(s.imported)+1)
			s.imported[key] = r.guid
			s.numbers[r.uniqueNumber] = key
		}
		m.results = append(m.results, r)
	}
	return m
}

func ackXML(ack, requester string) []byte {
	doc, body := envelope()
	a := body.CreateElement("base:AckRequest").CreateElement("base:Ack")
	a.CreateElement("base:MessageGUID").SetText(ack)
	a.CreateElement("base:RequesterMessageGUID").SetText(requester)
	out, _ := doc.WriteToBytes()
	return out
}

func (s *Sim) getState(data []byte) ([]byte, int) {
	_, req, err := parse(data)
	if err != nil || req.Tag != "getStateRequest" || req.NamespaceURI() != gismessage.NsBase {
		return faultXML("soap:Client", "FMT001300", "expected base:getStateRequest"), http.StatusInternalServerError
	}
	ack := text(req, gismessage.NsBase, "MessageGUID")
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[ack]
	if !ok {
		return faultXML("soap:Client", "INT002012", "Сообщение не найдено"), http.StatusInternalServerError
	}
	elapsed := s.cfg.Clock.Now().Sub(m.received)
	state := 3
	switch {
	case elapsed < s.cfg.ReceivedFor:
		state = 1
	case m.stuck || elapsed < s.cfg.ReceivedFor+s.cfg.ProcessingFor:
		state = 2
	}
	doc, body := envelope()
	res := body.CreateElement("ns13:getStateResult")
	res.CreateAttr("Id", gismessage.SignedID)
	res.CreateAttr("base:version", gismessage.SchemaVersion)
	res.CreateElement("base:RequestState").SetText(fmt.Sprint(state))
	res.CreateElement("base:MessageGUID").SetText(ack)
	if state == 3 && m.err != nil {
		em := res.CreateElement("base:ErrorMessage")
		em.CreateElement("base:ErrorCode").SetText(m.err.code)
		em.CreateElement("base:Description").SetText(m.err.text)
	}
	if state == 3 {
		for _, r := range m.results {
			ir := res.CreateElement("ns13:ImportResult")
			ir.CreateElement("base:GUID").SetText(r.guid)
			ir.CreateElement("base:TransportGUID").SetText(r.transportGUID)
			if r.errCode == "" {
				if r.uniqueNumber != "" {
					ir.CreateElement("base:UniqueNumber").SetText(r.uniqueNumber)
				}
				ir.CreateElement("base:UpdateDate").SetText(calendar.Timestamp(r.updated))
				continue
			}
			e := ir.CreateElement("base:Error")
			e.CreateElement("base:ErrorCode").SetText(r.errCode)
			e.CreateElement("base:Description").SetText(r.errText)
		}
	}
	if state == 3 && m.err == nil && m.op == gismessage.DocumentDetails {
		writeDocuments(res, m.docs)
	}
	if state == 3 && s.tamper != nil {
		s.tamper(res)
	}
	out, _ := doc.WriteToBytes()
	return out, http.StatusOK
}
