package gosttls_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gosttls"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
)

const gatewayDir = "../../gateway"

// rig is the simulator behind a GOST-TLS server (the stand-in for GIS's
// front) and the keys to reach it.
type rig struct {
	e       *testkit.Env
	openssl gosttls.OpenSSL
	pki     gosttls.PKI
	ca      gosttls.Pair // issues the server's certificate and the good client's
	client  gosttls.Pair
	other   gosttls.Pair // a client certificate from another CA
	server  *gosttls.Tunnel
	secrets string // the last gateway's secrets directory
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if err := gosttls.Check(gatewayDir); err != nil {
		t.Skipf("GOST-TLS gateway not runnable here (scripts/deps.sh installs it): %v", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	openssl := gosttls.OpenSSL{Conf: gatewayDir + "/openssl.cnf"}
	pki := gosttls.PKI{Dir: dir, OpenSSL: openssl}
	must := func(p gosttls.Pair, err error) gosttls.Pair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := &rig{e: testkit.New(t, 0), openssl: openssl, pki: pki}
	r.ca = must(pki.CA(ctx, "ca", "Test GIS CA"))
	serverPair := must(pki.Server(ctx, r.ca, "server", "localhost"))
	r.client = must(pki.Client(ctx, r.ca, "client", "gis-payments"))
	otherCA := must(pki.CA(ctx, "other-ca", "Another CA"))
	r.other = must(pki.Client(ctx, otherCA, "other", "gis-payments"))

	server, err := gosttls.StartServer(ctx, openssl, gosttls.ServerOptions{Dir: dir, Accept: "127.0.0.1:0",
		Upstream: strings.TrimPrefix(r.e.GISURL, "http://"), Server: serverPair, ClientCA: r.ca.Cert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	r.server = server
	return r
}

// gateway starts gateway/entrypoint.sh with client's certificate, checking
// the server's certificate for checkHost.
func (r *rig) gateway(t *testing.T, client gosttls.Pair, checkHost string) (*gosttls.Tunnel, *gisclient.Client) {
	t.Helper()
	r.secrets = t.TempDir()
	gw, err := gosttls.StartGateway(context.Background(), gosttls.GatewayOptions{GatewayDir: gatewayDir,
		SecretsDir: r.secrets, Accept: "127.0.0.1:0", Target: r.server.Addr, CheckHost: checkHost,
		Client: client, CAChain: r.ca.Cert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	gis, err := gisclient.New(gisclient.Config{Endpoint: "http://" + gw.Addr, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return gw, gis
}

// TestPaymentsThroughTheGateway sends signed packages and polls them
// through the gateway (plain HTTP in, GOST TLS out with the client
// certificate) and a GOST-TLS server in front of the simulator.
func TestPaymentsThroughTheGateway(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	gw, gis := r.gateway(t, r.client, "localhost")
	e := r.e
	e.Send.GIS, e.Poll.GIS = gis, gis

	pgtest.Organization(t, e.Store, "org1", "uk_rso")
	runID, ids := e.Packed(t, "org1", 300, 1)
	if res, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); err != nil || res.Sent != len(ids) {
		t.Fatalf("send through the gateway: %+v, %v", res, err)
	}
	e.Clock.Add(3 * time.Minute) // the simulator's clock: received, processing, processed
	res, err := e.Poll.Poll(ctx, poller.Request{RunID: runID})
	if err != nil || !res.Done {
		t.Fatalf("poll through the gateway: %+v, %v", res, err)
	}
	var imported int
	if err := e.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM payment WHERE run_id = $1 AND status = 'imported'`, runID).
		Scan(&imported); err != nil || imported != 300 {
		t.Errorf("%d payments imported (%v), want 300", imported, err)
	}
	if got := e.Sim.Calls(gismessage.SupplierNotifications.SOAPAction()); got != len(ids) || e.Sim.Accepted() != len(ids) {
		t.Errorf("the simulator saw %d imports, accepted %d; want %d", got, e.Sim.Accepted(), len(ids))
	}

	// Both ends logged the suite they negotiated: a GOST 2012 one.
	for name, tunnel := range map[string]*gosttls.Tunnel{"gateway": gw, "server": r.server} {
		line, err := tunnel.WaitLog(ctx, "ciphersuite:")
		if err != nil || !strings.Contains(line, "TLSv1.2 ciphersuite: GOST2012-KUZNYECHIK-KUZNYECHIKOMAC") {
			t.Errorf("%s negotiated %q (%v)", name, line, err)
		}
	}
	for _, name := range []string{"client.pem", "client.key", "ca.pem"} {
		if fi, err := os.Stat(r.secrets + "/" + name); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the entrypoint wrote %s: %v, %v; want mode 0600", name, fi, err)
		}
	}
	if !strings.Contains(gw.Log(), `CERT: Host name "localhost" matched`) {
		t.Errorf("the gateway did not check the server's name:\n%s", gw.Log())
	}
}

// TestGOSTSuites asks the server with openssl s_client, offering one suite
// at a time: both suites the gateway offers are GOST 2012 and work, and a
// non-GOST suite does not.
func TestGOSTSuites(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, suite := range strings.Split(gosttls.Suites, ":") {
		got, err := gosttls.ProbeCipher(ctx, r.openssl, r.server.Addr, suite, r.client, r.ca.Cert)
		if err != nil || got != suite {
			t.Errorf("offering %s: negotiated %q, %v", suite, got, err)
		}
	}
	if got, _ := gosttls.ProbeCipher(ctx, r.openssl, r.server.Addr, "ECDHE-RSA-AES128-GCM-SHA256", r.client, r.ca.Cert); got != "(NONE)" {
		t.Errorf("a non-GOST suite was negotiated: %q", got)
	}

	// GATEWAY_CIPHERS (context key gatewayCiphers) chooses what the gateway offers.
	gw, err := gosttls.StartGateway(ctx, gosttls.GatewayOptions{GatewayDir: gatewayDir, SecretsDir: t.TempDir(),
		Accept: "127.0.0.1:0", Target: r.server.Addr, CheckHost: "localhost", Client: r.client, CAChain: r.ca.Cert,
		Ciphers: "GOST2012-MAGMA-MAGMAOMAC"})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	gis, err := gisclient.New(gisclient.Config{Endpoint: "http://" + gw.Addr, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gis.GetState(ctx, gismessage.Header{Date: time.Now(), MessageGUID: "7d5c6a14-0d7c-4f0b-8e4e-3f1f2a9b0c12",
		OrgPPAGUID: "6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c"}, "2a0e1a4b-5b1c-4d5e-8f90-123456789abd")
	if line, err := gw.WaitLog(ctx, "ciphersuite:"); err != nil || !strings.Contains(line, "GOST2012-MAGMA-MAGMAOMAC") {
		t.Errorf("offering MAGMA only, the gateway negotiated %q (%v)", line, err)
	}
	if r.e.Sim.Calls("urn:getState") != 1 {
		t.Errorf("the getState call did not reach the simulator")
	}
}

// TestWrongClientCertificateIsRefused: the server refuses a client
// certificate from another CA and passes nothing to the simulator; our
// client sees the connection closed, a transient failure (see
// README "Reaching GIS through the GOST-TLS gateway").
func TestWrongClientCertificateIsRefused(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	gw, gis := r.gateway(t, r.other, "localhost")
	_, _, err := gis.GetState(ctx, gismessage.Header{Date: time.Now(), MessageGUID: "7d5c6a14-0d7c-4f0b-8e4e-3f1f2a9b0c11",
		OrgPPAGUID: "6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c"}, "2a0e1a4b-5b1c-4d5e-8f90-123456789abc")
	assertClosed(t, err)
	if n := r.e.Sim.Calls("urn:getState"); n != 0 {
		t.Errorf("the simulator answered %d getState calls through a refused certificate", n)
	}
	if line, err := r.server.WaitLog(ctx, "Rejected by CERT at depth=0"); err != nil {
		t.Errorf("the server logged no rejection (%v):\n%s", err, r.server.Log())
	} else {
		t.Logf("server: %s", line)
	}
	// The gateway's log names the failure: the alarm's metric filter counts these lines.
	if line, err := gw.WaitLog(ctx, "SSL_connect"); err != nil {
		t.Errorf("the gateway logged no failed handshake (%v):\n%s", err, gw.Log())
	} else {
		t.Logf("gateway: %s", line)
	}
}

// TestServerOfAnotherNameIsRefused: the gateway checks GIS's certificate
// for the configured host name (checkHost), not only its chain.
func TestServerOfAnotherNameIsRefused(t *testing.T) {
	r := newRig(t)
	_, gis := r.gateway(t, r.client, "api.dom.gosuslugi.ru")
	_, _, err := gis.Send(context.Background(), gismessage.SupplierNotifications, []byte("<not-sent/>"))
	assertClosed(t, err)
	if n := r.e.Sim.Calls(gismessage.SupplierNotifications.SOAPAction()); n != 0 {
		t.Errorf("the simulator saw %d imports", n)
	}
}

// assertClosed: a TLS failure between the gateway and GIS reaches our
// client as a connection closed without a reply, which it classes
// transient (retried) and uncertain (it cannot tell that GIS never saw the
// request, so a later refusal of the same package is unknown, not error).
func assertClosed(t *testing.T, err error) {
	t.Helper()
	var ge *gisclient.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error %v, want a *gisclient.Error", err)
	}
	if ge.Disposition != gisclient.Transient || ge.HTTPStatus != 0 || !gisclient.IsTransient(err) || !ge.Uncertain() {
		t.Errorf("%v: kind %s, HTTP %d, uncertain %v; want transient, no status, uncertain", err, ge.Disposition, ge.HTTPStatus, ge.Uncertain())
	}
	t.Logf("our client saw: %v", err)
}

// TestEntrypointRefusesAnEmptySecret: a secret without the PEMs stops the
// gateway with a message naming what is missing, never the values.
func TestEntrypointRefusesAnEmptySecret(t *testing.T) {
	if err := gosttls.Check(gatewayDir); err != nil {
		t.Skipf("GOST-TLS gateway not runnable here (scripts/deps.sh installs it): %v", err)
	}
	dir := t.TempDir()
	empty := gosttls.Pair{Cert: dir + "/empty.pem", Key: dir + "/empty.key"}
	for _, f := range []string{empty.Cert, empty.Key} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := gosttls.StartGateway(context.Background(), gosttls.GatewayOptions{GatewayDir: gatewayDir, SecretsDir: dir,
		Accept: "127.0.0.1:0", Target: "127.0.0.1:9", CheckHost: "localhost", Client: empty, CAChain: empty.Cert})
	if err == nil || !strings.Contains(err.Error(), "no PEM in GATEWAY_CLIENT_CERT GATEWAY_CLIENT_KEY GATEWAY_CA_CHAIN") {
		t.Errorf("error %v", err)
	}
}
