// Command gissim serves the GIS ZhKKh simulator on a local address for
// `make run` and manual testing:
//
//	go run ./tools/gissim -addr 127.0.0.1:8089
//
// GIS_ENDPOINT=http://127.0.0.1:8089 then points the functions at it.
package main

import (
	"flag"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/xades"
	"github.com/gispayments/gis-payments/internal/xsdcheck"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address")
	received := flag.Duration("received", 2*time.Second, "time a message stays in state 1")
	processing := flag.Duration("processing", 3*time.Second, "time a message stays in state 2")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg := gissim.Config{ReceivedFor: *received, ProcessingFor: *processing,
		Verify: func(el *etree.Element) error { _, err := xades.Verify(el); return err }}
	if v, err := xsdcheck.New(xsdcheck.PaymentTypes); err == nil {
		cfg.Validate = v.Element
	} else {
		log.Warn("requests are not validated against the XSD", "reason", err.Error())
	}
	log.Info("GIS simulator listening", "addr", *addr, "path", "/ext-bus-payment-service/services/PaymentAsync")
	srv := &http.Server{Addr: *addr, Handler: gissim.New(cfg), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("stopped", "error", err.Error())
		os.Exit(1)
	}
}
