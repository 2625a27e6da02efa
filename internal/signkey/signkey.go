// Package signkey fetches the signing key and certificate: from AWS
// Secrets Manager in the cloud (GIS_SIGNING_KEY is the secret's ARN, its
// SecretString a PEM bundle), from a PEM file locally.
package signkey

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gispayments/gis-payments/internal/secrets"
)

// Bundle is a private key and its certificate, each PEM-encoded.
type Bundle struct {
	KeyPEM  []byte
	CertPEM []byte
}

// Load reads the bundle ref names: a Secrets Manager ARN or a file path.
// certPath, when set, is a separate certificate file.
func Load(ctx context.Context, ref, certPath string) (*Bundle, error) {
	var data []byte
	if strings.HasPrefix(ref, "arn:aws:secretsmanager:") {
		secret, err := secrets.String(ctx, ref)
		if err != nil {
			return nil, err
		}
		data = []byte(secret)
	} else {
		var err error
		if data, err = os.ReadFile(ref); err != nil {
			return nil, fmt.Errorf("signkey: %w", err)
		}
	}
	if certPath != "" {
		cert, err := os.ReadFile(certPath)
		if err != nil {
			return nil, fmt.Errorf("signkey: %w", err)
		}
		data = append(append(data, '\n'), cert...)
	}
	return Split(data)
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
