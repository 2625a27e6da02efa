package xades

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// openssl runs the openssl command with the GOST engine (Debian's
// libengine-gost-openssl), an implementation independent of ours; the
// test is skipped where either is missing.
func openssl(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	if out, err := exec.Command(bin, "engine", "gost").CombinedOutput(); err != nil {
		t.Skipf("openssl has no GOST engine (apt-get install libengine-gost-openssl): %s", out)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}

// OpenSSL's GOST engine computes the same Streebog digests and accepts our
// SignatureValue over the canonical SignedInfo with the certificate's key.
func TestOpenSSLAgrees(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k := testKey(t)
	doc, _ := signedRequest(t, k, 2)
	req := reparse(t, doc)
	sig := req.ChildElements()[0]
	siC14N, err := incC14N(sig.FindElement("./ds:SignedInfo"))
	if err != nil {
		t.Fatal(err)
	}
	data := write("signedinfo.xml", siC14N)

	got := openssl(t, "dgst", "-engine", "gost", "-md_gost12_256", "-binary", data)
	if i := bytes.LastIndex(got, []byte("\n")); i >= 0 && len(got)-i-1 == 32 {
		got = got[i+1:] // drop the engine's banner line
	}
	if !bytes.Equal(got[len(got)-32:], digest(siC14N)) {
		t.Fatalf("openssl Streebog-256 = %x, ours %x", got, digest(siC14N))
	}

	_, certPEM, _ := k.PEM()
	cert := write("cert.pem", certPEM)
	pub := write("pub.pem", openssl(t, "x509", "-engine", "gost", "-in", cert, "-pubkey", "-noout"))
	value, _ := decode(sig.FindElement("./ds:SignatureValue"))
	sigFile := write("sig.bin", value)
	out := openssl(t, "dgst", "-engine", "gost", "-md_gost12_256", "-verify", pub, "-signature", sigFile, data)
	if !bytes.Contains(out, []byte("Verified OK")) {
		t.Fatalf("openssl did not verify our signature:\n%s", out)
	}
	value[0] ^= 1
	write("sig.bin", value)
	if out, err := exec.Command("openssl", "dgst", "-engine", "gost", "-md_gost12_256", "-verify", pub, "-signature", sigFile, data).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified a damaged signature:\n%s", out)
	}
}
