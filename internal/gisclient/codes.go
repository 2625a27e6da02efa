package gisclient

import "strings"

// Disposition is what to do about a GIS error code.
type Disposition int

const (
	// Fatal: record the error and stop; a person must act.
	Fatal Disposition = iota
	// Retry: try again later; nothing is wrong with the data.
	Retry
	// AlreadyLoaded: GIS has this payment from an earlier import, which
	// is success for our purposes (the payment is already_imported).
	AlreadyLoaded
)

// codes is the one table of GIS error codes with a known meaning. Sources
// are in ../shared/gis-facts.md §10; SRV012001 comes from the system this
// project replaces and has no public source. Add codes here, nowhere else.
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
	"INT002000": Fatal, // a referenced object is not in the registry
	"INT002012": Fatal,
	"INT002013": Fatal,
	"INT016014": Fatal,
}

// Classify says what to do about code. Unknown EXP (technical exception)
// codes are retried; every other unknown code is fatal, so nothing
// is retried forever on a guess.
func Classify(code string) Disposition {
	if d, ok := codes[code]; ok {
		return d
	}
	if strings.HasPrefix(code, "EXP") {
		return Retry
	}
	return Fatal
}
