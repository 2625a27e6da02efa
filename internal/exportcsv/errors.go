package exportcsv

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gispayments/gis-payments/internal/contract"
)

// Error is one problem in an export, located as precisely as it can be;
// upload-trigger reports it, so it is the contract's.
type Error = contract.FileError

// MaxErrors caps how many problems are kept per file: enough to fix a file
// in one go, bounded so a wholly wrong file cannot flood the database.
const MaxErrors = 100

// Errors is the list of problems found in one or more files; it is returned
// as a single error so callers can record every problem at once.
type Errors struct {
	List    []*Error `json:"errors"`
	Dropped int      `json:"dropped,omitempty"`
}

func (e *Errors) Add(err *Error) {
	if len(e.List) >= MaxErrors {
		e.Dropped++
		return
	}
	e.List = append(e.List, err)
}

// Len counts the problems, dropped ones included; a nil *Errors has none.
func (e *Errors) Len() int {
	if e == nil {
		return 0
	}
	return len(e.List) + e.Dropped
}

// Err returns e as an error, or nil when there were no problems.
func (e *Errors) Err() error {
	if e.Len() == 0 {
		return nil
	}
	return e
}

func (e *Errors) Error() string {
	var b strings.Builder
	for i, x := range e.List {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 5 {
			fmt.Fprintf(&b, "and %d more", e.Len()-5)
			break
		}
		b.WriteString(x.Error())
	}
	if len(e.List) <= 5 && e.Dropped > 0 {
		fmt.Fprintf(&b, "; and %d more", e.Dropped)
	}
	return b.String()
}

// ForFile returns the problems that name file.
func (e *Errors) ForFile(file string) []*Error {
	var out []*Error
	for _, x := range e.List {
		if x.File == file {
			out = append(out, x)
		}
	}
	return out
}

// AsErrors reports whether err carries export problems and returns them.
func AsErrors(err error) (*Errors, bool) {
	var list *Errors
	if errors.As(err, &list) {
		return list, true
	}
	var one *Error
	if errors.As(err, &one) {
		return &Errors{List: []*Error{one}}, true
	}
	return nil, false
}
