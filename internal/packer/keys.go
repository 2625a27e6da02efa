package packer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/gispayments/gis-payments/internal/emf"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/signkey"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/xades"
)

// Keys decides who signs an organisation's packages. An organisation
// that names its own key (organization.signing_key) signs with it, and
// nothing else: a key that cannot be loaded, or whose certificate is not
// valid, is InvalidInput naming the organisation, never a fall-back to the
// operator's key. An organisation that names none is signed for by the
// information system's operator, with the operator's key, and its requests
// say so (RequestHeader/IsOperatorSignature).
type Keys struct {
	Operator     string // the operator's key: GIS_SIGNING_KEY (a Secrets Manager ARN, a file or the PEM)
	OperatorCert string // GIS_SIGNING_CERT, when the certificate is apart
	// Load reads a key reference; nil: signkey.Load and xades.ParseKey.
	Load    func(ctx context.Context, ref, certRef string) (*xades.Key, error)
	Metrics io.Writer // SigningCertificateDaysLeft lines; nil: stdout, where Lambda ships them
}

// OperatorKey is the metric dimension value for the operator's key.
const OperatorKey = "operator"

// signing is a loaded choice: the key, and whether the operator signs.
type signing struct {
	key      *xades.Key
	operator bool
	label    string // the organisation's code, or "operator"
}

// keyCache holds the keys one invocation loaded: each is fetched once
// per invocation (a rotated secret is seen by the next one).
type keyCache struct {
	mu   sync.Mutex
	byID map[string]*signing
}

type keyCacheCtx struct{}

func withKeyCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, keyCacheCtx{}, &keyCache{byID: map[string]*signing{}})
}

// SignerFor returns the signer for org's requests and whether the operator
// signs; without Keys, the fixed Signer and OperatorSignature.
func (s *Service) SignerFor(ctx context.Context, org *postgres.Organization) (Signer, bool, error) {
	if s.Keys == nil {
		return s.Signer, s.OperatorSignature, nil
	}
	sg, err := s.signing(ctx, org)
	if err != nil {
		return nil, false, err
	}
	if err := sg.key.CheckValidity(s.Clock.Now()); err != nil {
		return nil, false, steperr.New(steperr.InvalidInput, fmt.Errorf("pack: organisation %s: %w", org.Code, err))
	}
	return &xades.Signer{Key: sg.key, Clock: s.Clock}, sg.operator, nil
}

// signing loads (once per invocation) the key that signs for org.
func (s *Service) signing(ctx context.Context, org *postgres.Organization) (*signing, error) {
	ref, cert, label, operator := org.SigningKey, "", org.Code, false
	if ref == "" {
		ref, cert, label, operator = s.Keys.Operator, s.Keys.OperatorCert, OperatorKey, true
	}
	cache, _ := ctx.Value(keyCacheCtx{}).(*keyCache)
	if cache == nil {
		cache = &keyCache{byID: map[string]*signing{}}
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if sg := cache.byID[label]; sg != nil {
		return sg, nil
	}
	load := s.Keys.Load
	if load == nil {
		load = loadKey
	}
	if ref == "" {
		return nil, steperr.New(steperr.InvalidInput, errors.New("pack: no operator signing key (GIS_SIGNING_KEY) for the organisations without their own"))
	}
	key, err := load(ctx, ref, cert)
	if err != nil {
		whose := "the operator's signing key"
		if !operator {
			whose = fmt.Sprintf("organisation %s: its own signing key (organization.signing_key)", org.Code)
		}
		if steperr.KindOf(err) == steperr.TransientError {
			return nil, fmt.Errorf("pack: %s cannot be loaded: %w", whose, err)
		}
		return nil, steperr.New(steperr.InvalidInput, fmt.Errorf("pack: %s cannot be loaded: %w", whose, err))
	}
	sg := &signing{key: key, operator: operator, label: label}
	cache.byID[label] = sg
	s.reportDaysLeft(sg)
	return sg, nil
}

// reportDaysLeft emits SigningCertificateDaysLeft for a key just loaded.
func (s *Service) reportDaysLeft(sg *signing) {
	w := s.Keys.Metrics
	if w == nil {
		w = os.Stdout
	}
	now := s.Clock.Now()
	days := sg.key.DaysLeft(now)
	if err := emf.Write(w, now, "SigningCertificateDaysLeft", "Count", float64(days), map[string]string{"Key": sg.label}); err != nil {
		s.Log.Warn("metric not written", "error", err.Error())
	}
	if days < 30 {
		s.Log.Warn("signing certificate expires soon", "key", sg.label, "days_left", days,
			"not_after", sg.key.Certificate().NotAfter.UTC().Format(time.RFC3339))
	}
}

// reportKey makes sure the run's key was loaded (and its metric emitted)
// even when the run had nothing to sign; a failure here only logs.
func (s *Service) reportKey(ctx context.Context, org *postgres.Organization) {
	if s.Keys == nil {
		return
	}
	if _, err := s.signing(ctx, org); err != nil {
		s.Log.Warn("signing key not loaded", "org", org.Code, "error", err.Error())
	}
}

func loadKey(ctx context.Context, ref, certRef string) (*xades.Key, error) {
	bundle, err := signkey.Load(ctx, ref, certRef)
	if err != nil {
		return nil, err
	}
	return xades.ParseKey(bundle.KeyPEM, bundle.CertPEM)
}

// signError gives a refusal for the certificate's validity its kind.
func signError(err error) error {
	var verr *xades.CertificateValidityError
	if errors.As(err, &verr) {
		return steperr.New(steperr.InvalidInput, err)
	}
	return err
}
