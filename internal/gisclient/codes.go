package gisclient

// Disposition is what a GIS error code means for the payments it names.
type Disposition int

const (
	// Unknown: a code nobody has classified. Whether GIS holds the
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
)

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
// this disposition.
func (d Disposition) PaymentStatus() string {
	return [...]string{Unknown: "unknown", Fatal: "rejected", Retry: "error", AlreadyLoaded: "already_imported"}[d]
}

// MessageStatus is the status the payments of a whole message take when
// GIS refuses the message with code: "already loaded" names no payment,
// so it proves nothing; a refusal without a code (an HTTP status) is
// retryable.
func MessageStatus(code string) string {
	switch d := Classify(code); {
	case code == "":
		return Retry.PaymentStatus()
	case d == AlreadyLoaded:
		return Unknown.PaymentStatus()
	default:
		return d.PaymentStatus()
	}
}
