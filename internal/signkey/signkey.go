// Package signkey fetches the signing key and certificate: from AWS
// Secrets Manager in the cloud (GIS_SIGNING_KEY is the secret's ARN, its
// SecretString a PEM bundle), from a PEM file (or the PEM text) locally.
package signkey

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Bundle is a private key and its certificate, each PEM-encoded.
type Bundle struct {
	KeyPEM  []byte
	CertPEM []byte
}

// Load reads the bundle ref names: a Secrets Manager ARN, a file path, or
// the PEM text itself (someone pasted the key into GIS_SIGNING_KEY).
// certPath, when set, is a separate certificate file (or its PEM text).
func Load(ctx context.Context, ref, certPath string) (*Bundle, error) {
	var data []byte
	if strings.HasPrefix(ref, "arn:aws:secretsmanager:") {
		secret, err := SecretString(ctx, ref)
		if err != nil {
			return nil, err
		}
		data = []byte(secret)
	} else {
		var err error
		if data, err = ReadPEM("GIS_SIGNING_KEY", ref); err != nil {
			return nil, err
		}
	}
	if certPath != "" {
		cert, err := ReadPEM("GIS_SIGNING_CERT", certPath)
		if err != nil {
			return nil, err
		}
		data = append(append(data, '\n'), cert...)
	}
	return Split(data)
}

// ReadPEM returns ref itself when it is PEM text, else the file it names.
// The error never shows ref: a value that is no readable file may be key
// material (base64 without its PEM lines), and errors end up in logs.
func ReadPEM(what, ref string) ([]byte, error) {
	if strings.Contains(ref, "-----BEGIN ") {
		return []byte(ref), nil
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err // its Path is ref
		}
		return nil, fmt.Errorf("signkey: %s names no readable PEM file (%v; the value, %d characters, is not shown)",
			what, err, len(ref))
	}
	return data, nil
}

// Split separates a PEM bundle into its key and certificate blocks.
func Split(data []byte) (*Bundle, error) {
	b := &Bundle{}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch {
		case strings.HasSuffix(block.Type, "PRIVATE KEY"):
			b.KeyPEM = append(b.KeyPEM, pem.EncodeToMemory(block)...)
		case block.Type == "CERTIFICATE":
			b.CertPEM = append(b.CertPEM, pem.EncodeToMemory(block)...)
		}
	}
	if len(b.KeyPEM) == 0 || len(b.CertPEM) == 0 {
		return nil, errors.New("signkey: the bundle needs a PRIVATE KEY block and a CERTIFICATE block")
	}
	return b, nil
}
