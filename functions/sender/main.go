// Command sender posts signed packages to GIS ZhKKh and stores each Ack.
package main

import (
	"golang.org/x/time/rate"

	"github.com/gispayments/gis-payments/internal/app"
	"github.com/gispayments/gis-payments/internal/lambdaio"
	"github.com/gispayments/gis-payments/internal/send"
)

func main() {
	a := app.MustOpen("send", "ARCHIVE_BUCKET", "GIS_ENDPOINT")
	gis, client := a.MustGIS()
	svc := &send.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket, GIS: client,
		Concurrency: gis.Concurrency, Log: a.Log}
	if gis.RatePerSecond > 0 {
		svc.Limiter = rate.NewLimiter(rate.Limit(gis.RatePerSecond), 1)
	}
	lambdaio.Main(svc.Send)
}
