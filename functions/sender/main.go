// Command sender posts signed packages to GIS ZhKKh and stores each Ack.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("sender", "ARCHIVE_BUCKET", "GIS_ENDPOINT")
	a.MustGIS()
	lambdaedge.Main("sender", a.Sender().Send)
}
