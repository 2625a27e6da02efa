// Command packer is the state machine's second step: it packs a reconciled
// run's payments into GIS packages, signs each (XAdES-BES, GOST R
// 34.10-2012) and archives the signed requests.
package main

import (
	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/wiring"
)

func main() {
	a := wiring.MustOpen("packer", "ARCHIVE_BUCKET", "GIS_SIGNING_KEY")
	gis, err := config.LoadGIS()
	if err != nil {
		wiring.Fail(a.Log, "config", err)
	}
	// Keys are loaded per invocation and organisation: an organisation's
	// own (organization.signing_key) or the operator's (GIS_SIGNING_KEY).
	keys := &packer.Keys{Operator: a.Config.SigningKey, OperatorCert: a.Config.SigningCert, Metrics: wiring.MetricsWriter()}
	svc := &packer.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket,
		Keys: keys, PackageSize: gis.PackageSize, Log: a.Log}
	lambdaedge.Main("packer", svc.Pack)
}
