package signkey

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadFileBundle(t *testing.T) {
	dir := t.TempDir()
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{4, 5, 6}})
	both := filepath.Join(dir, "bundle.pem")
	os.WriteFile(both, append(append([]byte{}, cert...), key...), 0o600)
	b, err := Load(context.Background(), both, "")
	if err != nil || string(b.KeyPEM) != string(key) || string(b.CertPEM) != string(cert) {
		t.Fatalf("%+v %v", b, err)
	}
	keyOnly := filepath.Join(dir, "key.pem")
	certFile := filepath.Join(dir, "cert.pem")
	os.WriteFile(keyOnly, key, 0o600)
	os.WriteFile(certFile, cert, 0o600)
	if _, err := Load(context.Background(), keyOnly, ""); err == nil || !strings.Contains(err.Error(), "CERTIFICATE") {
		t.Errorf("key without certificate: %v", err)
	}
	if b, err := Load(context.Background(), keyOnly, certFile); err != nil || string(b.CertPEM) != string(cert) {
		t.Errorf("separate files: %v", err)
	}
}
