package matcher

import (
	"fmt"
	"math"
)

// Rules are an organisation's matching rules (stored with it in Postgres;
// README "Matching rules" has them with an example each).
type Rules struct {
	// KeyWithDate makes the date part of the key: (date, bill, supplier,
	// service). Without it (the default, as the source system does) rows
	// match on (bill, supplier, service) and the day is the bank row's.
	KeyWithDate bool `json:"key_with_date"`
	// WindowDays is how far apart the billing date and the bank date of a
	// match may be, in days either way (without the date in the key).
	WindowDays int `json:"window_days"`
	// Strict fails a file on any bad row, as before holds existed.
	Strict bool `json:"strict"`
	// MaxBadShare is the share of a file's rows that may be held for
	// row-level problems before the whole file fails (0.01 = 1%).
	MaxBadShare float64 `json:"max_bad_share"`
}

// Defaults: a billing system may post up to three days after the bank's
// operation date (a Friday payment posted on Monday); 1% of bad rows.
const (
	DefaultWindowDays  = 3
	DefaultMaxBadShare = 0.01
	MaxWindowDays      = 31
)

// DefaultRules are the rules of an organisation that set none.
func DefaultRules() Rules {
	return Rules{WindowDays: DefaultWindowDays, MaxBadShare: DefaultMaxBadShare}
}

// Validate refuses rules the matcher cannot apply.
func (r Rules) Validate() error {
	if r.WindowDays < 0 || r.WindowDays > MaxWindowDays {
		return fmt.Errorf("matching rules: window_days %d: want 0..%d", r.WindowDays, MaxWindowDays)
	}
	if math.IsNaN(r.MaxBadShare) || r.MaxBadShare < 0 || r.MaxBadShare > 1 {
		return fmt.Errorf("matching rules: max_bad_share %v: want 0..1", r.MaxBadShare)
	}
	return nil
}

// window is the date distance a match allows.
func (r Rules) window() int32 {
	if r.KeyWithDate {
		return 0
	}
	return int32(r.WindowDays)
}

// allowedBad is how many held rows a file of rows rows may have: the share
// rounded up, so any share above zero lets a small file keep one bad row.
func (r Rules) allowedBad(rows int) int {
	if r.Strict {
		return 0
	}
	return int(math.Ceil(r.MaxBadShare * float64(rows)))
}
