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

// GIS_SIGNING_KEY set to the PEM text itself, not a path, is taken as the
// bundle; nothing that is not a readable file ever comes back in an error
// (os.ReadFile's error echoed the "path": the private key, into the log).
func TestKeyTextIsContentAndNeverEchoed(t *testing.T) {
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("secret-key-material-1234567890")})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{4, 5, 6}})
	bundle := string(cert) + string(key)
	b, err := Load(context.Background(), bundle, "")
	if err != nil || string(b.KeyPEM) != string(key) || string(b.CertPEM) != string(cert) {
		t.Fatalf("PEM text as GIS_SIGNING_KEY: %+v %v", b, err)
	}
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(certFile, cert, 0o600)
	if b, err := Load(context.Background(), string(key), certFile); err != nil || string(b.CertPEM) != string(cert) {
		t.Fatalf("PEM key text with a certificate file: %v", err)
	}
	body := strings.Split(string(key), "\n")[1]
	for name, ref := range map[string]string{
		"a key without its certificate": string(key),
		"a truncated PEM":               string(key[:len(key)-30]),
		"base64 key material":           body,
		"a missing file":                "/nonexistent/" + body,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(context.Background(), ref, "")
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); strings.Contains(msg, "PRIVATE KEY-----") || strings.Contains(msg, body) || strings.Contains(msg, body[:16]) {
				t.Fatalf("the error shows the key: %s", msg)
			}
			t.Log(err)
		})
	}
}
