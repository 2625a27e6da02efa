// Command gostkey writes a throwaway GOST R 34.10-2012 (256-bit) key
// (PKCS#8) and a self-signed certificate valid for a year, for local runs
// and tests. GIS accepts only keys certified by an accredited CA; this one
// is for the simulator.
//
//	go run ./tools/gostkey -key .local/gost/key.pem -cert .local/gost/cert.pem
//	go run ./tools/gostkey -out .local/gost/signing.pem   # one bundle, as GIS_SIGNING_KEY reads it
//
// It also imports the keys organisations hold and checks a bundle
// (commands.go):
//
//	gostkey gen -out bundle.pem                       # the same as above
//	gostkey import-pfx FILE.pfx --out bundle.pem      # password: GOSTKEY_PASSWORD, else stdin
//	gostkey import-container DIR [--cert FILE.cer] --out bundle.pem   # PIN likewise
//	gostkey check bundle.pem
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gispayments/gis-payments/internal/xades"
)

func main() {
	if len(os.Args) > 1 {
		if cmd, ok := commands[os.Args[1]]; ok {
			os.Exit(cmd(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		}
	}
	keyPath := flag.String("key", "", "where to write the private key (PKCS#8 PEM)")
	certPath := flag.String("cert", "", "where to write the certificate (PEM)")
	bundlePath := flag.String("out", "", "where to write the key and the certificate as one PEM bundle")
	flag.Parse()
	if err := run(*keyPath, *certPath, *bundlePath); err != nil {
		fmt.Fprintln(os.Stderr, "gostkey:", err)
		os.Exit(2)
	}
}

func run(keyPath, certPath, bundlePath string) error {
	if (keyPath == "") != (certPath == "") || (keyPath == "" && bundlePath == "") {
		return errors.New("give -key and -cert, or -out, or all three")
	}
	key, err := xades.GenerateTestKey()
	if err != nil {
		return err
	}
	keyPEM, certPEM, err := key.PEM()
	if err != nil {
		return err
	}
	files := []struct {
		path string
		data []byte
		perm os.FileMode
	}{{keyPath, keyPEM, 0o600}, {certPath, certPEM, 0o644}, {bundlePath, slices.Concat(keyPEM, certPEM), 0o600}}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, f.data, f.perm); err != nil {
			return err
		}
		fmt.Println("wrote", f.path)
	}
	return nil
}
