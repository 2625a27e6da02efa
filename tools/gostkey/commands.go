package main

import (
	"bufio"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/x509"
	"github.com/google/uuid"

	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/keyimport"
	"github.com/gispayments/gis-payments/internal/money"
	"github.com/gispayments/gis-payments/internal/signkey"
	"github.com/gispayments/gis-payments/internal/xades"
)

// commands are the subcommands; each returns the exit code.
var commands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"gen":              cmdGen,
	"import-pfx":       cmdImportPFX,
	"import-container": cmdImportContainer,
	"check":            cmdCheck,
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "gostkey:", err)
	return 1
}

// parse reads flags that may come after the positional argument too.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}

func cmdGen(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "where to write the private key (PKCS#8 PEM)")
	certPath := fs.String("cert", "", "where to write the certificate (PEM)")
	bundlePath := fs.String("out", "", "where to write the key and the certificate as one PEM bundle")
	if _, err := parse(fs, args); err != nil {
		return 2
	}
	if err := run(*keyPath, *certPath, *bundlePath); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// secret is GOSTKEY_PASSWORD, else the first line of stdin (a prompt goes
// to stderr). An empty line is an empty PIN (containers may have none).
func secret(what string, stdin io.Reader, stderr io.Writer) (string, error) {
	if v, ok := os.LookupEnv("GOSTKEY_PASSWORD"); ok {
		return v, nil
	}
	fmt.Fprintf(stderr, "%s (GOSTKEY_PASSWORD, or one line on stdin): ", what)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func writeBundle(imp *keyimport.Imported, out string, stdout io.Writer) error {
	bundle, err := imp.Bundle()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(out, bundle, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s)\n", out, imp.Cert.Subject)
	return nil
}

func cmdImportPFX(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import-pfx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "where to write the PEM bundle")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *out == "" {
		return fail(stderr, errors.New("usage: gostkey import-pfx FILE.pfx --out bundle.pem"))
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	password, err := secret("PFX password", stdin, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	imp, err := keyimport.PFX(data, password)
	if err == nil {
		err = writeBundle(imp, *out, stdout)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return 0
}

func cmdImportContainer(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import-container", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "where to write the PEM bundle")
	certPath := fs.String("cert", "", "the certificate (.cer, DER or PEM) when header.key holds none")
	pos, err := parse(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *out == "" {
		return fail(stderr, errors.New("usage: gostkey import-container DIR [--cert FILE.cer] --out bundle.pem"))
	}
	var cert []byte
	if *certPath != "" {
		if cert, err = os.ReadFile(*certPath); err != nil {
			return fail(stderr, err)
		}
	}
	pin, err := secret("container PIN", stdin, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	imp, err := keyimport.Container(pos[0], pin, cert)
	if err == nil {
		err = writeBundle(imp, *out, stdout)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return 0
}

var keyAlgorithms = map[string]string{
	"1.2.643.7.1.1.1.1": "GOST R 34.10-2012 256", "1.2.643.7.1.1.1.2": "GOST R 34.10-2012 512",
	"1.2.643.2.2.19": "GOST R 34.10-2001",
}

// keyAlgorithm names the certificate's key algorithm and curve OID.
func keyAlgorithm(raw []byte) (string, string) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(raw, &spki); err != nil {
		return "unknown", ""
	}
	name, ok := keyAlgorithms[spki.Algorithm.Algorithm.String()]
	if !ok {
		name = spki.Algorithm.Algorithm.String()
	}
	var params struct {
		Curve asn1.ObjectIdentifier
		Rest  []asn1.RawValue `asn1:"optional"`
	}
	curve := ""
	if _, err := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &params); err == nil {
		curve = params.Curve.String()
	}
	return name, curve
}

func cmdCheck(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		return fail(stderr, errors.New("usage: gostkey check bundle.pem"))
	}
	if err := check(args[0], time.Now(), stdout); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// check describes the bundle's certificate, then refuses a key that is not
// the certificate's or a certificate out of its validity, and signs and
// verifies a sample request as the packer would.
func check(path string, now time.Time, w io.Writer) error {
	data, err := signkey.ReadPEM("the bundle", path)
	if err != nil {
		return err
	}
	b, err := signkey.Split(data)
	if err != nil {
		return err
	}
	certOnly, err := keyimport.ParseCertificate(b.CertPEM)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(certOnly)
	if err != nil {
		return err
	}
	issuer, err := xades.IssuerName(cert.RawIssuer)
	if err != nil {
		return err
	}
	subject, err := xades.IssuerName(cert.RawSubject) // the same rendering works for any name
	if err != nil {
		return err
	}
	alg, curve := keyAlgorithm(cert.RawSubjectPublicKeyInfo)
	days := int(cert.NotAfter.Sub(now).Hours() / 24)
	fmt.Fprintf(w, "subject:     %s\n", subject)
	fmt.Fprintf(w, "issuer:      %s\n", issuer)
	fmt.Fprintf(w, "serial:      %s (hex %X)\n", cert.SerialNumber, cert.SerialNumber)
	fmt.Fprintf(w, "not before:  %s\n", cert.NotBefore.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "not after:   %s (%d days left)\n", cert.NotAfter.UTC().Format(time.RFC3339), days)
	fmt.Fprintf(w, "key:         %s, curve %s\n", alg, curve)
	key, err := xades.ParseKey(b.KeyPEM, b.CertPEM)
	if err != nil {
		return fmt.Errorf("the key cannot sign for GIS: %w", err)
	}
	if err := key.CheckValidity(now); err != nil {
		return err
	}
	doc, req, err := gismessage.Build(gismessage.SupplierNotifications,
		gismessage.Header{Date: now, MessageGUID: uuid.NewString(), OrgPPAGUID: uuid.NewString()}, nil,
		[]gismessage.Notification{{TransportGUID: uuid.NewString(), OrderDate: calendar.FromYMD(now.Year(), now.Month(), now.Day()),
			Amount: money.Kopecks(150000), PaymentDocumentID: "12АБ345678-01-6101"}})
	if err != nil {
		return err
	}
	if err := (&xades.Signer{Key: key, Clock: clock.At(now)}).Sign(req); err != nil {
		return err
	}
	// As GIS sees it: the written bytes, parsed again.
	text, err := doc.WriteToString()
	if err != nil {
		return err
	}
	back := etree.NewDocument()
	if err := back.ReadFromString(text); err != nil {
		return err
	}
	if _, err := xades.Verify(back.FindElement("//soapenv:Body/*")); err != nil {
		return fmt.Errorf("a sample request signed with the key does not verify: %w", err)
	}
	fmt.Fprintln(w, "signature:   a sample importSupplierNotificationsOfOrderExecution request signed and verified")
	return nil
}
