package postgres

import (
	"strings"

	"github.com/gispayments/gis-payments/internal/lifecycle"
)

// sqlList writes statuses as an SQL list for IN, ('a', 'b'). The lists go
// into the query text rather than a parameter so the planner still proves
// the partial indexes whose predicates name the same statuses.
func sqlList[T ~string](statuses ...T) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, s := range statuses {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + string(s) + "'")
	}
	b.WriteByte(')')
	return b.String()
}

// liveOrder is true where organisation $3 holds a live payment of recon
// row r's order. OFFSET 0 keeps it a look-up in payment_once for each row:
// flattened into a join, it was planned from statistics that trail a
// grown table (a new organisation's payments, a day's 300 000 not yet
// analyzed) as a scan of all the organisation's payments for every row of
// the run, quadratic: 40 s for a run of 25 000 after one of 25 000.
var liveOrder = `EXISTS (SELECT 1 FROM payment p WHERE p.organization_id = $3 AND p.order_id = r.order_id
	AND p.status IN ` + liveStatuses + ` OFFSET 0)`

// The lifecycle's status lists, as SQL.
var (
	liveStatuses      = sqlList(lifecycle.Live...)
	loadedStatuses    = sqlList(lifecycle.Loaded...)
	answeredPackages  = sqlList(lifecycle.Answered...)
	unsentPackages    = sqlList(lifecycle.Unsent...)
	settlingRuns      = sqlList(lifecycle.Settles...)
	announcedStatuses = sqlList(lifecycle.Announced...)
	timingOutRuns     = sqlList(lifecycle.MayTimeOut...)
)

// paymentsOfRun selects the payments (of table alias p, "" for none) of
// run (an SQL expression) through the run's packages: payment has no index
// on run_id, which would cost every packed payment one more index entry,
// and each payment's package is of its own run (checkReferences).
func paymentsOfRun(p, run string) string {
	if p != "" {
		p += "."
	}
	return p + `package_id IN (SELECT id FROM package WHERE run_id = ` + run + `)`
}

// strs converts typed statuses for a text[] parameter.
func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// caseSQL writes f as an SQL CASE over expr: a WHEN for each value of from
// that f maps other than it maps anything else (f("")), the ELSE.
func caseSQL(expr string, from []string, f func(string) string) string {
	otherwise := f("")
	var b strings.Builder
	b.WriteString("CASE " + expr)
	for _, v := range from {
		if to := f(v); to != otherwise {
			b.WriteString(" WHEN '" + v + "' THEN '" + to + "'")
		}
	}
	b.WriteString(" ELSE '" + otherwise + "' END")
	return b.String()
}
