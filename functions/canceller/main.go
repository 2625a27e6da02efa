// Command canceller is the first step of a cancellation run: it registers
// an organisation's cancellations (from incoming/cancellations/<org>/
// exports, or those already requested) and opens the run the packer,
// sender and poller take to GIS.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("canceller", "EXPORTS_BUCKET")
	lambdaedge.Main("canceller", a.Canceller().Cancel)
}
