package gisclient

import (
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/gismessage"
)

// State is a parsed getStateResult.
type State struct {
	RequestState int // 1 received, 2 processing, 3 processed
	MessageGUID  string
	ErrorCode    string // a whole-message failure (ErrorMessage), with RequestState 3
	ErrorText    string
	Results      []ItemResult
	// Exported is set when the result is an exportPaymentDocumentDetailsResult,
	// with its Documents (none: GIS found nothing to list).
	Exported  bool
	Documents []gismessage.PaymentDocument
}

// Done reports whether GIS has finished with the message.
func (s *State) Done() bool { return s.RequestState == 3 }

// ItemResult is one ImportResult: the outcome for one TransportGUID.
type ItemResult struct {
	TransportGUID string
	GUID          string
	UniqueNumber  string
	UpdateDate    time.Time
	Errors        []ItemError // empty on success
}

// ItemError is one Error of an ImportResult.
type ItemError struct {
	Code        string
	Description string
}

// OK reports success: GIS decides by the success branch (UpdateDate), not
// by a GUID, which it also returns (all zeros) on failure.
func (r *ItemResult) OK() bool { return len(r.Errors) == 0 && !r.UpdateDate.IsZero() }

// GetStateRequest builds the (unsigned) getState envelope.
func GetStateRequest(h gismessage.Header, ackGUID string) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", gismessage.NsSoap)
	env.CreateAttr("xmlns:base", gismessage.NsBase)
	hdr := env.CreateElement("soapenv:Header").CreateElement("base:RequestHeader")
	hdr.CreateElement("base:Date").SetText(calendar.Timestamp(h.Date))
	hdr.CreateElement("base:MessageGUID").SetText(h.MessageGUID)
	hdr.CreateElement("base:orgPPAGUID").SetText(h.OrgPPAGUID)
	if h.OperatorSignature {
		hdr.CreateElement("base:IsOperatorSignature").SetText("true")
	}
	env.CreateElement("soapenv:Body").CreateElement("base:getStateRequest").CreateElement("base:MessageGUID").SetText(ackGUID)
	return doc.WriteToBytes()
}

// body parses a SOAP envelope and returns its Body's first child, or the
// fault it carries as a *Fault error.
func body(data []byte) (*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, &Error{Disposition: Unreadable, Msg: "reply is not XML: " + err.Error()}
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != gismessage.NsSoap {
		return nil, &Error{Disposition: Unreadable, Msg: "reply is not a SOAP 1.1 envelope"}
	}
	b := child(root, gismessage.NsSoap, "Body")
	if b == nil || len(b.ChildElements()) == 0 {
		return nil, &Error{Disposition: Unreadable, Msg: "reply has an empty SOAP Body"}
	}
	first := b.ChildElements()[0]
	if first.Tag == "Fault" && first.NamespaceURI() == gismessage.NsSoap {
		return nil, parseFault(first)
	}
	return first, nil
}

var (
	child     = gismessage.Child
	childText = gismessage.ChildText
)

// parseFault reads a SOAP fault: faultcode, faultstring, and GIS's own
// base:Fault (ErrorCode, ErrorMessage) in detail when present.
func parseFault(f *etree.Element) error {
	e := &Error{FaultCode: childText(f, "", "faultcode"), Msg: childText(f, "", "faultstring")}
	if d := child(f, "", "detail"); d != nil {
		if gf := child(d, gismessage.NsBase, "Fault"); gf != nil {
			e.Code = childText(gf, gismessage.NsBase, "ErrorCode")
			if m := childText(gf, gismessage.NsBase, "ErrorMessage"); m != "" {
				e.Msg = m
			}
		}
	}
	switch d := Classify(e.Code); {
	case d == Retry:
		e.Disposition = Transient
	case d == Unknown && hasSuffix(e.FaultCode, "Server"):
		e.Disposition = Transient // the server's own trouble with no known code: the same bytes may be posted again
	default:
		e.Disposition = MessageDisposition(e.Code)
	}
	return e
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// ParseAck reads the AckRequest of an import: GIS's MessageGUID for getState.
func ParseAck(data []byte) (string, error) {
	b, err := body(data)
	if err != nil {
		return "", err
	}
	if b.Tag != "AckRequest" || b.NamespaceURI() != gismessage.NsBase {
		return "", &Error{Disposition: Unreadable, Msg: fmt.Sprintf("expected base:AckRequest, got %s", b.Tag)}
	}
	guid := ""
	if ack := child(b, gismessage.NsBase, "Ack"); ack != nil {
		guid = childText(ack, gismessage.NsBase, "MessageGUID")
	}
	if !gismessage.IsGUID(guid) {
		return "", &Error{Disposition: Unreadable, Msg: "AckRequest without a MessageGUID"}
	}
	return guid, nil
}

// ParseState reads a getStateResult.
func ParseState(data []byte) (*State, error) {
	b, err := body(data)
	if err != nil {
		return nil, err
	}
	if b.Tag != "getStateResult" || b.NamespaceURI() != gismessage.NsPayment {
		return nil, &Error{Disposition: Unreadable, Msg: fmt.Sprintf("expected pm:getStateResult, got %s", b.Tag)}
	}
	s := &State{MessageGUID: childText(b, gismessage.NsBase, "MessageGUID")}
	switch childText(b, gismessage.NsBase, "RequestState") {
	case "1":
		s.RequestState = 1
	case "2":
		s.RequestState = 2
	case "3":
		s.RequestState = 3
	default:
		return nil, &Error{Disposition: Unreadable, Msg: "getStateResult has no RequestState 1, 2 or 3"}
	}
	if em := child(b, gismessage.NsBase, "ErrorMessage"); em != nil {
		s.ErrorCode, s.ErrorText = childText(em, gismessage.NsBase, "ErrorCode"), childText(em, gismessage.NsBase, "Description")
	}
	for _, ir := range b.ChildElements() {
		if ir.Tag != "ImportResult" || ir.NamespaceURI() != gismessage.NsPayment {
			continue
		}
		r := ItemResult{TransportGUID: childText(ir, gismessage.NsBase, "TransportGUID"), GUID: childText(ir, gismessage.NsBase, "GUID"),
			UniqueNumber: childText(ir, gismessage.NsBase, "UniqueNumber")}
		if d := childText(ir, gismessage.NsBase, "UpdateDate"); d != "" {
			if r.UpdateDate, err = calendar.ParseTimestamp(d); err != nil {
				return nil, &Error{Disposition: Unreadable, Msg: fmt.Sprintf("bad UpdateDate %q", d)}
			}
		}
		for _, e := range ir.ChildElements() {
			if e.Tag == "Error" && e.NamespaceURI() == gismessage.NsBase {
				r.Errors = append(r.Errors, ItemError{Code: childText(e, gismessage.NsBase, "ErrorCode"),
					Description: childText(e, gismessage.NsBase, "Description")})
			}
		}
		if !gismessage.IsGUID(r.TransportGUID) || (!r.OK() && len(r.Errors) == 0) {
			return nil, &Error{Disposition: Unreadable, Msg: "ImportResult without a TransportGUID, or with neither UpdateDate nor Error"}
		}
		s.Results = append(s.Results, r)
	}
	if s.Documents, s.Exported, err = gismessage.ParseDocumentDetails(b); err != nil {
		return nil, &Error{Disposition: Unreadable, Msg: "exportPaymentDocumentDetailsResult: " + err.Error()}
	}
	if s.Done() && s.ErrorCode == "" && len(s.Results) == 0 && !s.Exported {
		return nil, &Error{Disposition: Unreadable, Msg: "processed getStateResult with neither ErrorMessage, ImportResult nor export result"}
	}
	return s, nil
}
