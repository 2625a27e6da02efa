// Package gisclient talks to the GIS ZhKKh asynchronous payment service
// (PaymentAsync, SOAP 1.1): it posts signed imports and reads the Ack,
// asks getState and parses the result. Every call has a timeout and a
// reply size limit; TLS is verified (a CA bundle and a client certificate
// can be configured: GIS is often reached through a GOST TLS proxy). Every
// failure is an *Error whose Disposition says what to do.
package gisclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gispayments/gis-payments/internal/gismessage"
)

// Path is the service's path on the GIS endpoint.
const Path = "/ext-bus-payment-service/services/PaymentAsync"

// Error is a failed call. Its Disposition is Transient or Unreadable when
// the call should be made again, else what GIS's refusal means for the
// message's payments (MessageDisposition).
type Error struct {
	Disposition Disposition
	HTTPStatus  int
	FaultCode   string // SOAP faultcode
	Code        string // GIS ErrorCode
	Msg         string
	Err         error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gis: %s", e.Disposition)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ", HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ", %s", e.Code)
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err asks for the same call again (an
// unreadable reply does).
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Disposition.CallAgain()
}

// Uncertain reports whether GIS may have received and processed the
// request although the call failed: its reply was lost, cut off or
// unreadable, or a gateway in between gave up waiting for it. A refused
// connection, an HTTP status GIS chose, or a SOAP fault are certain.
func (e *Error) Uncertain() bool {
	var op *net.OpError
	switch {
	case e.Disposition == Unreadable:
		return true
	case e.HTTPStatus == http.StatusBadGateway || e.HTTPStatus == http.StatusGatewayTimeout:
		return true
	case e.HTTPStatus != 0:
		return false
	case errors.As(e.Err, &op) && op.Op == "dial":
		return false // the request never left
	}
	return e.Err != nil
}

// DefaultMaxReply bounds a reply read into memory. A getStateResult for
// 500 payments is under 1 MiB; parsing a reply costs several times its
// size, and a function holds GIS_CONCURRENCY of them at once.
const DefaultMaxReply = 8 << 20

// Defaults of the GIS settings (GIS_TIMEOUT, GIS_CONCURRENCY,
// GIS_PACKAGE_SIZE), read by config and taken by the sender and poller
// when left zero.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultConcurrency = 4
	DefaultPackageSize = 500
)

// TimeForACall reports whether a call started now, timed out at worst
// (after callTimeout), ends before ctx's deadline with a margin to record
// its outcome. A Lambda that runs out of time mid-call loses the answer.
func TimeForACall(ctx context.Context, callTimeout time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > callTimeout+5*time.Second
}

// Config configures a Client.
type Config struct {
	Endpoint   string        // e.g. https://api.dom.gosuslugi.ru; Path is appended
	Timeout    time.Duration // per call; 0: 60 s
	MaxReply   int64         // bytes; 0: DefaultMaxReply
	CABundle   string        // PEM file of extra trusted CAs (a TLS proxy's)
	ClientCert string        // PEM certificate for mutual TLS
	ClientKey  string        // its PEM key
	// BasicUser and BasicPassword, when set, go with every request as HTTP
	// basic authentication: GIS's test stand asks for them (public clients
	// send them there); production needs only the TLS client certificate.
	BasicUser, BasicPassword string
}

// Client is safe for concurrent use.
type Client struct {
	url        string
	http       *http.Client
	maxReply   int64
	user, pass string
}

// New builds a client.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("gisclient: no endpoint")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxReply <= 0 {
		cfg.MaxReply = DefaultMaxReply
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CABundle != "" {
		pem, err := os.ReadFile(cfg.CABundle)
		if err != nil {
			return nil, fmt.Errorf("gisclient: CA bundle: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("gisclient: no certificates in %s", cfg.CABundle)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("gisclient: client certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	transport.ResponseHeaderTimeout = cfg.Timeout
	return &Client{url: strings.TrimRight(cfg.Endpoint, "/") + Path, maxReply: cfg.MaxReply,
		http: &http.Client{Transport: transport, Timeout: cfg.Timeout}, user: cfg.BasicUser, pass: cfg.BasicPassword}, nil
}

// Send posts a signed import and returns GIS's MessageGUID from the Ack.
func (c *Client) Send(ctx context.Context, op gismessage.Operation, envelope []byte) (string, []byte, error) {
	reply, err := c.post(ctx, op.SOAPAction(), envelope)
	if err != nil {
		return "", reply, err
	}
	guid, err := ParseAck(reply)
	return guid, reply, err
}

// GetState asks for the state of an acknowledged message.
func (c *Client) GetState(ctx context.Context, h gismessage.Header, ackGUID string) (*State, []byte, error) {
	req, err := GetStateRequest(h, ackGUID)
	if err != nil {
		return nil, nil, err
	}
	reply, err := c.post(ctx, "urn:getState", req)
	if err != nil {
		return nil, reply, err
	}
	st, err := ParseState(reply)
	return st, reply, err
}

func (c *Client) post(ctx context.Context, action string, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+action+`"`)
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Disposition: transportDisposition(err), Err: err}
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, c.maxReply+1))
	if err != nil {
		return nil, &Error{Disposition: Transient, HTTPStatus: resp.StatusCode, Err: err}
	}
	if int64(len(reply)) > c.maxReply {
		return nil, &Error{Disposition: Unreadable, HTTPStatus: resp.StatusCode, Msg: fmt.Sprintf("reply over %d bytes", c.maxReply)}
	}
	if resp.StatusCode == http.StatusOK {
		return reply, nil
	}
	// A SOAP fault comes with HTTP 500; read it for its code.
	if _, ferr := body(reply); ferr != nil {
		var e *Error
		if errors.As(ferr, &e) && e.Disposition != Unreadable {
			e.HTTPStatus = resp.StatusCode
			return reply, e
		}
	}
	d := MessageDisposition("") // a refusal by HTTP status names no code
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		d = Transient
	}
	return reply, &Error{Disposition: d, HTTPStatus: resp.StatusCode, Msg: http.StatusText(resp.StatusCode)}
}

// transportDisposition: a TLS verification failure is configuration, not
// weather; once it is fixed, a later run sends again.
func transportDisposition(err error) Disposition {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) {
		return MessageDisposition("")
	}
	return Transient // refused, reset, timed out: the network's weather
}
