// Package xsdcheck validates XML against the official GIS ZhKKh schemas
// with libxml2's xmllint, a real XSD 1.0 validator. The schemas are not
// part of the project: they are found through GIS_SCHEMAS_DIR or in the
// shared folder beside the repository.
package xsdcheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/beevik/etree"
)

// ErrUnavailable means xmllint or the schemas are not on this machine.
var ErrUnavailable = errors.New("xsdcheck: xmllint or the GIS schemas are not available")

// SchemaDir returns the folder holding payment/ and lib/, or "".
func SchemaDir() string {
	if d := os.Getenv("GIS_SCHEMAS_DIR"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// internal/xsdcheck → repository → its parent, where shared/ lives.
	d := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "gis-schemas")
	if _, err := os.Stat(filepath.Join(d, "payment", "hcs-payment-types.xsd")); err != nil {
		return ""
	}
	return d
}

// Schema names a schema file under the schema folder.
type Schema string

const (
	// PaymentTypes declares the payment requests and getStateResult.
	PaymentTypes Schema = "payment/hcs-payment-types.xsd"
	// Base declares RequestHeader, AckRequest and getStateRequest.
	Base Schema = "lib/hcs-base.xsd"
)

// Validator runs xmllint with one schema.
type Validator struct {
	xmllint string
	schema  string
}

// New finds xmllint and the schema; ErrUnavailable when either is missing.
func New(s Schema) (*Validator, error) {
	dir := SchemaDir()
	bin, err := exec.LookPath("xmllint")
	if dir == "" || err != nil {
		return nil, ErrUnavailable
	}
	return &Validator{xmllint: bin, schema: filepath.Join(dir, string(s))}, nil
}

// Element validates el as a document of its own, carrying the namespace
// declarations it inherits from its ancestors.
func (v *Validator) Element(el *etree.Element) error {
	doc := etree.NewDocument()
	doc.SetRoot(Detached(el))
	data, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	return v.Bytes(data)
}

// Bytes validates a whole XML document.
func (v *Validator) Bytes(data []byte) error {
	cmd := exec.Command(v.xmllint, "--noout", "--nonet", "--schema", v.schema, "-")
	cmd.Stdin = bytes.NewReader(data)
	var out bytes.Buffer
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("xsdcheck: %s", bytes.TrimSpace(out.Bytes()))
	}
	return nil
}
