// Command admin is the admin Lambda: gispay invokes it with IAM to run an
// operator's action (organisations, runs, payments, resend, rerun,
// approve, cancel) against the database in the private subnets.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("admin")
	lambdaedge.Main("admin", a.Admin().Handle)
}
