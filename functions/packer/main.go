// Command packer is the state machine's second step: it packs a reconciled
// run's payments into GIS packages, signs each (XAdES-BES, GOST R
// 34.10-2012) and archives the signed requests.
package main

import (
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("packer", "ARCHIVE_BUCKET", "GIS_SIGNING_KEY")
	lambdaedge.Main("packer", a.Packer().Pack)
}
