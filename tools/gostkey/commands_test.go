package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/xades"
)

const container = "../../internal/keyimport/testdata/cryptopro-test"

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := commands[args[0]](args[1:], strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "b.pem")
	if code, _, stderr := runCmd(t, "", "gen", "-out", bundle); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := runCmd(t, "", "check", bundle)
	if code != 0 {
		t.Fatalf("check: %d %s", code, stderr)
	}
	for _, re := range []string{`(?m)^subject: +CN=gis-payments test,O=Test,C=RU$`, `(?m)^issuer: +CN=gis-payments test,O=Test,C=RU$`,
		`(?m)^serial: +\d+ \(hex [0-9A-F]+\)$`, `(?m)^not before: +\d{4}-`, `(?m)^not after: +\d{4}-.* \((364|365) days left\)$`,
		`(?m)^key: +GOST R 34.10-2012 256, curve 1.2.643.2.2.35.1$`, `(?m)^signature: +.* signed and verified$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no %s in\n%s", re, out)
		}
	}
}

func TestCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	a, _ := xades.GenerateTestKey()
	b, _ := xades.GenerateTestKey()
	aKey, _, _ := a.PEM()
	_, bCert, _ := b.PEM()
	mismatched := filepath.Join(dir, "mismatched.pem")
	os.WriteFile(mismatched, slices.Concat(aKey, bCert), 0o600)
	code, _, stderr := runCmd(t, "", "check", mismatched)
	if code == 0 || !strings.Contains(stderr, "the certificate is not the private key's") {
		t.Errorf("a key with another key's certificate: %d %s", code, stderr)
	}
	// The public test container's certificate expired in 2024.
	expired := filepath.Join(dir, "expired.pem")
	if code, _, stderr := runCmd(t, "\n", "import-container", container, "--out", expired); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := runCmd(t, "", "check", expired)
	if code == 0 || !strings.Contains(stderr, "expired on 2024-05-05 12:25:00 UTC") {
		t.Errorf("an expired certificate: %d %s", code, stderr)
	}
	if !strings.Contains(out, `issuer:      CN=Тестовый УЦ ООО \"КРИПТО-ПРО\",O=ООО \"КРИПТО-ПРО\",L=Москва,ST=г. Москва,C=RU,street=ул. Сущёвский вал д. 18,INN=001234567890,OGRN=1234567890123`) {
		t.Errorf("the issuer is not as OpenSSL prints it:\n%s", out)
	}
	if code, _, stderr := runCmd(t, "", "check", filepath.Join(dir, "missing.pem")); code == 0 || stderr == "" {
		t.Error("a missing bundle passed")
	}
}

func TestImportContainer(t *testing.T) {
	out := filepath.Join(t.TempDir(), "k", "bundle.pem")
	t.Setenv("GOSTKEY_PASSWORD", "")
	code, stdout, stderr := runCmd(t, "", "import-container", container, "--out", out)
	if code != 0 || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("%d %s %s", code, stdout, stderr)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v %v", fi.Mode(), err)
	}
	data, _ := os.ReadFile(out)
	if _, err := xades.ParseKey(data, data); err != nil {
		t.Errorf("the bundle: %v", err)
	}
	t.Setenv("GOSTKEY_PASSWORD", "secret-pin")
	code, _, stderr = runCmd(t, "", "import-container", container, "--out", out+".2")
	if code == 0 || !strings.Contains(stderr, `wrong PIN for container "srv"`) || strings.Contains(stderr, "secret-pin") {
		t.Errorf("wrong PIN: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, "", "import-pfx", "--out", out); code == 0 {
		t.Error("import-pfx without a file succeeded")
	}
}
