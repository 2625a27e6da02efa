package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gispayments/gis-payments/internal/xades"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	key, cert, bundle := filepath.Join(dir, "gost", "key.pem"), filepath.Join(dir, "gost", "cert.pem"), filepath.Join(dir, "signing.pem")
	if err := run(key, cert, bundle); err != nil {
		t.Fatal(err)
	}
	if _, err := xades.LoadKeyFiles(key, cert); err != nil {
		t.Errorf("key and certificate files: %v", err)
	}
	if _, err := xades.LoadKeyFiles(bundle, bundle); err != nil {
		t.Errorf("bundle: %v", err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", fi.Mode(), err)
	}
}

func TestRunWantsPaths(t *testing.T) {
	for _, args := range [][3]string{{"", "", ""}, {"key.pem", "", ""}, {"", "cert.pem", "bundle.pem"}} {
		if err := run(args[0], args[1], args[2]); err == nil {
			t.Errorf("run%q succeeded", args)
		}
	}
}
