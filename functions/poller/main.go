// Command poller asks GIS ZhKKh for the state of sent packages and applies
// the results: for one run inside the state machine, or for every
// straggler on its five-minute schedule, which also posts the signed
// packages runs left unsent. It announces every settled run ("Run
// settled" on EventBridge) and counts payments left unloaded.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("poller", "ARCHIVE_BUCKET", "EXPORTS_BUCKET", "GIS_ENDPOINT")
	a.MustGIS()
	lambdaedge.Main("poller", a.Poller().Poll)
}
