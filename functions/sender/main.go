// Command sender posts signed packages to GIS ZhKKh and stores each Ack.
package main

import (
	"github.com/gispayments/gis-payments/internal/app"
	"github.com/gispayments/gis-payments/internal/lambdaio"
)

func main() {
	a := app.MustOpen("send", "ARCHIVE_BUCKET", "GIS_ENDPOINT")
	gis, client := a.MustGIS()
	lambdaio.Main(a.Sender(gis, client).Send)
}
