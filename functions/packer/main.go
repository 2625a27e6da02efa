// Command packer is the state machine's second step: it packs a reconciled
// run's payments into GIS packages, signs each (XAdES-BES, GOST R
// 34.10-2012) and archives the signed requests.
package main

import (
	"context"

	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/lambdaedge"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/signkey"
	"github.com/gispayments/gis-payments/internal/wiring"
	"github.com/gispayments/gis-payments/internal/xades"
)

func main() {
	a := wiring.MustOpen("packer", "ARCHIVE_BUCKET", "GIS_SIGNING_KEY")
	gis, err := config.LoadGIS()
	if err != nil {
		wiring.Fail(a.Log, "config", err)
	}
	bundle, err := signkey.Load(context.Background(), a.Config.SigningKey, a.Config.SigningCert)
	if err != nil {
		wiring.Fail(a.Log, "signing key", err)
	}
	key, err := xades.ParseKey(bundle.KeyPEM, bundle.CertPEM)
	if err != nil {
		wiring.Fail(a.Log, "signing key", err)
	}
	svc := &packer.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket,
		Signer: &xades.Signer{Key: key}, PackageSize: gis.PackageSize, OperatorSignature: gis.OperatorSignature, Log: a.Log}
	lambdaedge.Main("packer", svc.Pack)
}
