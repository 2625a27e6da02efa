package keyimport

import (
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deatil/go-cryptobin/cipher/gost"
	gostkey "github.com/deatil/go-cryptobin/pubkey/gost"

	"github.com/gispayments/gis-payments/internal/xades"
)

// The public test container (testdata/cryptopro-test/SOURCE.txt): a key
// CryptoPro CSP wrote, with the certificate CryptoPro's test CA issued for
// it inside header.key, and no PIN.
func TestPublicTestContainer(t *testing.T) {
	imp, err := Container("testdata/cryptopro-test", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := imp.Cert.Subject.CommonName; got != "test.91.gost.dev" {
		t.Errorf("certificate subject %q", got)
	}
	bundle, err := imp.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	// The bundle is what the packer reads: the key matches the certificate.
	if _, err := xades.ParseKey(bundle, bundle); err != nil {
		t.Errorf("the packer does not take the bundle: %v", err)
	}
	// The same certificate given separately, as a .cer file (DER or PEM).
	for _, cer := range [][]byte{imp.Cert.Raw, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: imp.Cert.Raw})} {
		if _, err := Container("testdata/cryptopro-test", "", cer); err != nil {
			t.Errorf("with a separate certificate: %v", err)
		}
	}
}

func TestContainerWrongPIN(t *testing.T) {
	_, err := Container("testdata/cryptopro-test", "12345678", nil)
	if err == nil || !errors.Is(err, ErrWrongPassword) || !strings.Contains(err.Error(), `wrong PIN for container "srv"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestContainerNotAContainer(t *testing.T) {
	dir := t.TempDir()
	if _, err := Container(dir, "", nil); err == nil || !strings.Contains(err.Error(), "has no header.key") {
		t.Errorf("empty folder: %v", err)
	}
	for _, f := range []string{"header.key", "masks.key", "primary.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Container(dir, "", nil); err == nil {
		t.Error("garbage files were read as a container")
	}
}

// writeContainer writes k as a CryptoPro container protected by pin, in
// the format container.go reads (the public algorithm, applied in the
// other direction): with the certificate in header.key when withCert.
// The public test container has no PIN; this covers the 2000-round KDF.
func writeContainer(t *testing.T, dir string, k *xades.Key, pin string, withCert bool) {
	t.Helper()
	keyPEM, _, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(keyPEM)
	priv, err := gostkey.ParsePrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	curveOID, _ := gostkey.OidFromNamedCurve(priv.Curve)
	q := priv.Curve.Params().N
	mask, _ := rand.Int(rand.Reader, q)
	salt := make([]byte, 12)
	rand.Read(salt)
	masked := new(big.Int).Mod(new(big.Int).Mul(priv.D, mask), q)
	le := func(n *big.Int) []byte { out := make([]byte, 32); n.FillBytes(out); return reversed(out) }
	plain := le(masked)
	block, err := gost.NewCipher(containerKEK(salt, []byte(pin)), gost.SboxTC26gost28147paramZ)
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]byte, 32)
	for i := 0; i < 32; i += 8 {
		block.Encrypt(enc[i:i+8], plain[i:i+8])
	}
	must := func(v any, params ...string) []byte {
		p := ""
		if len(params) > 0 {
			p = params[0]
		}
		der, err := asn1.MarshalWithParams(v, p)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	alg := keyAlgorithm{Algorithm: oidSign2012256}
	alg.Parameters.Curve, alg.Parameters.Digest = curveOID, asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 2, 2}
	params := must(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true,
		Bytes: append(must(asn1.BitString{Bytes: []byte{0x80}, BitLength: 1}), must(alg, "tag:0")...)})
	content := append(must(asn1.BitString{Bytes: []byte{0x80}, BitLength: 1}), params...)
	if withCert {
		content = append(content, must(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 5, Bytes: k.Certificate().Raw})...)
	}
	content = append(content, must(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 10, Bytes: gostkey.PublicKeyTo(&priv.PublicKey)[:8]})...)
	header := must(struct {
		Content asn1.RawValue
		HMAC    []byte
	}{asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: content}, []byte{1, 2, 3, 4}})
	files := map[string][]byte{
		"header.key":  header,
		"masks.key":   must(struct{ Mask, Salt, HMAC []byte }{le(mask), salt, []byte{1, 2, 3, 4}}),
		"primary.key": must(struct{ Key []byte }{enc}),
		"name.key":    must(struct{ Name string }{"test-org"}),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWrittenContainerWithPIN(t *testing.T) {
	k, err := xades.GenerateTestKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeContainer(t, dir, k, "12345678", true)
	imp, err := Container(dir, "12345678", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !imp.Cert.Equal(k.Certificate()) {
		t.Error("another certificate came back")
	}
	_, err = Container(dir, "1234567", nil)
	if err == nil || err.Error() != `keyimport: wrong PIN for container "test-org": wrong PIN or password` {
		t.Errorf("wrong PIN: %v", err)
	}
	if strings.Contains(err.Error(), "1234567") {
		t.Error("the error shows the PIN")
	}
}

func TestWrittenContainerWithSeparateCertificate(t *testing.T) {
	k, _ := xades.GenerateTestKey()
	other, _ := xades.GenerateTestKey()
	dir := t.TempDir()
	writeContainer(t, dir, k, "0000", false)
	if _, err := Container(dir, "0000", nil); err == nil || !strings.Contains(err.Error(), "holds no certificate; give its .cer file") {
		t.Errorf("no certificate anywhere: %v", err)
	}
	if _, err := Container(dir, "0000", k.Certificate().Raw); err != nil {
		t.Errorf("with its .cer: %v", err)
	}
	if _, err := Container(dir, "0000", other.Certificate().Raw); err == nil || !strings.Contains(err.Error(), "not the private key's") {
		t.Errorf("another key's certificate: %v", err)
	}
}

// openssl runs OpenSSL with its GOST engine, or skips the test.
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	if out, err := exec.Command(bin, "engine", "gost").CombinedOutput(); err != nil {
		t.Skipf("openssl has no GOST engine (apt-get install libengine-gost-openssl): %s", out)
	}
	cmd := exec.Command(bin, append([]string{args[0], "-engine", "gost"}, args[1:]...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestOpenSSLPFX imports PKCS#12 files OpenSSL's GOST engine writes with the
// GOST algorithms CryptoPro uses: PBES2 with GOST 28147-89 (gost89) for the
// key and the certificates, and a Streebog MAC (256 or 512).
func TestOpenSSLPFX(t *testing.T) {
	dir := t.TempDir()
	openssl(t, dir, "req", "-x509", "-newkey", "gost2012_256", "-pkeyopt", "paramset:A", "-nodes",
		"-keyout", "key.pem", "-out", "cert.pem", "-days", "30", "-subj", "/C=RU/O=Test/CN=pfx test")
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	b, _ := pem.Decode(keyPEM)
	want, err := gostkey.ParsePrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	const password = "Пароль-1"
	for _, mac := range []string{"md_gost12_256", "md_gost12_512"} {
		t.Run(mac, func(t *testing.T) {
			openssl(t, dir, "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-keypbe", "gost89",
				"-certpbe", "gost89", "-macalg", mac, "-iter", "100", "-passout", "pass:"+password, "-out", mac+".pfx")
			data, _ := os.ReadFile(filepath.Join(dir, mac+".pfx"))
			imp, err := PFX(data, password)
			if err != nil {
				t.Fatal(err)
			}
			if !imp.Key.Equal(want) || imp.Cert.Subject.CommonName != "pfx test" {
				t.Error("another key or certificate came back")
			}
			bundle, err := imp.Bundle()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := xades.ParseKey(bundle, bundle); err != nil {
				t.Errorf("the packer does not take the bundle: %v", err)
			}
			_, err = PFX(data, "wrong")
			if !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: %v", err)
			}
		})
	}
}
