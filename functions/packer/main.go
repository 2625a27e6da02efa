// Command packer is the state machine's second step: it packs a reconciled
// run's payments into GIS packages, signs each (XAdES-BES, GOST R
// 34.10-2012) and archives the signed requests.
package main

import (
	"github.com/gispayments/gis-payments/internal/app"
	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/lambdaio"
	"github.com/gispayments/gis-payments/internal/logging"
	"github.com/gispayments/gis-payments/internal/pack"
)

func main() {
	a := app.MustOpen("pack", "ARCHIVE_BUCKET", "GIS_SIGNING_KEY")
	gis, err := config.LoadGIS()
	if err != nil {
		app.Fail(a.Log, "config", err)
	}
	// Keys are loaded per invocation and organisation: an organisation's
	// own (organization.signing_key) or the operator's (GIS_SIGNING_KEY).
	keys := &pack.Keys{Operator: a.Config.SigningKey, OperatorCert: a.Config.SigningCert, Metrics: logging.MetricsWriter()}
	svc := &pack.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket,
		Keys: keys, PackageSize: gis.PackageSize, Log: a.Log}
	lambdaio.Main(svc.Pack)
}
