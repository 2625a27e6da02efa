// Command scheduler is the daily fan-out's first state: it lists the active
// organisations and names each one's run ({list_orgs, scheduled_time}),
// and tells an organisation's contact of a day without exports
// ({no_exports, org, period}).
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("scheduler")
	lambdaedge.Main("scheduler", a.Scheduler().Handle)
}
