package xades

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFiles(t *testing.T) {
	k := testKey(t)
	keyPEM, certPEM, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPath, certPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	for path, data := range map[string][]byte{keyPath: keyPEM, certPath: certPEM} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	back, err := FileKeySource{KeyPath: keyPath, CertPath: certPath}.Key(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !back.priv.Equal(k.priv) || !back.cert.Equal(k.cert) {
		t.Error("the key or certificate changed on the way")
	}
	bundle := append(keyPEM, certPEM...)
	if _, err := ParseKey(bundle, bundle); err != nil {
		t.Errorf("a bundle of key and certificate: %v", err)
	}
	if _, err := LoadKeyFiles(keyPath, filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("a missing certificate file was accepted")
	}
	// The PEM text in place of a path is the key, and is never echoed.
	if _, err := LoadKeyFiles(string(keyPEM), certPath); err != nil {
		t.Errorf("the key's PEM text in place of its path: %v", err)
	}
	body := strings.Split(string(keyPEM), "\n")[1]
	if _, err := LoadKeyFiles(body, certPath); err == nil || strings.Contains(err.Error(), body[:16]) {
		t.Errorf("key material in place of a path: %v", err)
	}
}

func TestParseKeyRejects(t *testing.T) {
	keyPEM, certPEM, err := testKey(t).PEM()
	if err != nil {
		t.Fatal(err)
	}
	_, otherCert, err := otherKey(t).PEM()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		key, cert []byte
	}{
		{"another key's certificate", keyPEM, otherCert},
		{"certificate in place of the key", certPEM, certPEM},
		{"not PEM", []byte("key"), certPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseKey(tt.key, tt.cert); err == nil {
				t.Error("accepted")
			}
		})
	}
}
