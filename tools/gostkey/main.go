// Command gostkey writes a throwaway GOST R 34.10-2012 (256-bit) key and a
// self-signed certificate for local runs and tests, as one PEM bundle:
//
//	go run ./tools/gostkey -out .local/gost/signing.pem
//
// GIS accepts only keys certified by an accredited CA; this one is for
// the simulator.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gispayments/gis-payments/internal/xades"
)

func main() {
	out := flag.String("out", ".local/gost/signing.pem", "where to write the key and certificate")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gostkey:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}

func write(path string) error {
	key, err := xades.GenerateTestKey()
	if err != nil {
		return err
	}
	keyPEM, certPEM, err := key.PEM()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, append(keyPEM, certPEM...), 0o600)
}
