package gisclient

import "github.com/gispayments/gis-payments/internal/contract"

// Disposition is what the caller must do with an answer from GIS, or
// the lack of one: a failed call (Error.Disposition), a message GIS
// refused (MessageDisposition) or one payment's result (Classify). It is
// the one vocabulary the sender and the poller read.
type Disposition int

const (
	// Unknown: the answer does not say what GIS holds (a code nobody has
	// classified, a refusal that names no payment). Whether GIS holds the
	// payment, or whether trying again would help, is not known: a person
	// decides, and nothing is re-sent automatically.
	Unknown Disposition = iota
	// Fatal: GIS refused the payment for good; a person must act.
	Fatal
	// Retry: GIS did not take the payment for a passing reason; a later
	// run sends it again, up to the attempt cap.
	Retry
	// AlreadyLoaded: GIS has this payment from an earlier import, which
	// is success for our purposes (the payment is already_imported).
	AlreadyLoaded
	// Transient: the call failed on the way (the network, a timeout, HTTP
	// 5xx/429, a server fault, a transient code) and decided nothing: make
	// the same call again, with the same bytes.
	Transient
	// Unreadable: the reply was cut off or could not be read. Call again
	// as after Transient, but for an import GIS may have taken it.
	Unreadable
)

// CallAgain reports whether d asks for the same call again: nothing was
// decided, or the reply is lost.
func (d Disposition) CallAgain() bool { return d == Transient || d == Unreadable }

func (d Disposition) String() string {
	return [...]string{"unknown", "fatal", "retry later", "already loaded", "transient", "unreadable reply"}[d]
}

// codes is the one table of GIS error codes with a known meaning. The
// sources are public GIS ZhKKh clients (HCS.FrameWork's SoupFaultPolicy
// for the EXP/AUT/FMT/FIL codes) and GIS's own replies; SRV012001 comes
// from the system this project replaces and has no public source. Add
// codes here, nowhere else.
var codes = map[string]Disposition{
	"EXP001000": Retry, // "Произошла ошибка при передаче данных. Попробуйте ... повторно"
	"EXP002001": Retry,
	"EXP002002": Retry,
	"EXP002003": Retry,
	"INT002018": Retry,
	"SRV012001": AlreadyLoaded, // "already loaded"
	"AUT011000": Fatal,
	"AUT011002": Fatal, // wrong stand
	"AUT011003": Fatal,
	"AUT011004": Fatal,
	"AUT011005": Fatal,
	"AUT011009": Fatal, // the information system lacks rights
	"FMT001300": Fatal,
	"FMT001301": Fatal,
	"FMT001307": Fatal,
	"FMT001310": Fatal,
	"FIL001001": Fatal,
	"FIL001002": Fatal,
	"FIL001004": Fatal,
	"FIL001005": Fatal,
	"INT002000": Fatal, // a referenced object is not in the registry
	"INT002012": Fatal,
	"INT002013": Fatal,
	"INT016014": Fatal,
}

// Classify says what code means; a code not in the table is Unknown, so
// nothing is retried, or given up, on a guess.
func Classify(code string) Disposition { return codes[code] }

// PaymentStatus is the status a payment takes when GIS answers it with
// this disposition. A call that failed on the way says nothing of the
// payments: if one ever stands for a payment, it is unknown.
func (d Disposition) PaymentStatus() contract.PaymentStatus {
	if d > AlreadyLoaded {
		d = Unknown
	}
	return [...]contract.PaymentStatus{Unknown: contract.PaymentUnknown, Fatal: contract.PaymentRejected, Retry: contract.PaymentError,
		AlreadyLoaded: contract.PaymentAlreadyImported}[d]
}

// MessageDisposition is what a refusal of a whole message with code means
// for its payments: "already loaded" names no payment, so it proves
// nothing; a refusal without a code (an HTTP status) is retryable by a
// later run.
func MessageDisposition(code string) Disposition {
	switch d := Classify(code); {
	case code == "":
		return Retry
	case d == AlreadyLoaded:
		return Unknown
	default:
		return d
	}
}
