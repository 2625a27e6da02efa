// Command approval holds a reconciled run for a person's decision when its
// organisation's approval policy asks for one: "Approval needed?" ({run_id}),
// "Wait for approval" ({run_id, task_token}: a waitForTaskToken Task; the
// token is stored on the run and the organisation's contact told), and
// "Approval expired" ({run_id, expired}).
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("approval", "EXPORTS_BUCKET")
	lambdaedge.Main("approval", a.Approval().Handle)
}
