// Command upload-trigger handles S3 ObjectCreated events on incoming/:
// it validates and registers each export and starts a run when an
// organisation's billing and bank exports are both there. Uploads of
// approvals/<run>.csv decide a run waiting for approval.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("upload-trigger")
	lambdaedge.Main("upload-trigger", a.UploadTrigger().Handle)
}
