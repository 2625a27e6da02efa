// Package gosttls runs the GOST-TLS gateway (gateway/ at the repository
// root: stunnel on OpenSSL 3 with the GOST engine) outside a container, for
// the tests and for `GOST_TLS=1 make run`: it makes GOST R 34.10-2012 keys
// and certificates with OpenSSL's GOST engine, starts a stunnel in server
// mode standing in for GIS's GOST-TLS front (client certificate required)
// before a plain HTTP upstream such as the simulator, and starts the gateway
// through its own entrypoint.sh, as the container does, connecting to it.
//
// Nothing here waits by the clock: a stunnel is ready when it logs the
// address it bound (it runs in the foreground and logs to stderr).
package gosttls

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Suites are the cipher suites the gateway offers, GIS's GOST 2012 ones.
const Suites = "GOST2012-KUZNYECHIK-KUZNYECHIKOMAC:GOST2012-MAGMA-MAGMAOMAC"

// Stunnel is the binary both ends run (Debian's stunnel4 package).
const Stunnel = "stunnel4"

// Check reports what is missing to run the gateway here: stunnel, or
// OpenSSL with its GOST engine and suites. gatewayDir holds openssl.cnf.
func Check(gatewayDir string) error {
	if _, err := exec.LookPath(Stunnel); err != nil {
		return fmt.Errorf("gosttls: no %s (apt-get install stunnel4, or scripts/deps.sh)", Stunnel)
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		return errors.New("gosttls: no openssl (apt-get install openssl)")
	}
	cmd := exec.Command("openssl", "ciphers", "-v", Suites)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+filepath.Join(gatewayDir, "openssl.cnf"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "GOST2012-KUZNYECHIK-KUZNYECHIKOMAC") {
		return fmt.Errorf("gosttls: OpenSSL offers no GOST 2012 suites (apt-get install libengine-gost-openssl): %s",
			strings.TrimSpace(string(out)))
	}
	return nil
}

// OpenSSL runs the openssl command with the gateway's openssl.cnf (the GOST
// engine loaded).
type OpenSSL struct {
	Conf string // path of openssl.cnf
}

// Run runs openssl with args and returns its combined output.
func (o OpenSSL) Run(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+o.Conf)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("openssl %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Pair is a certificate and its key, PEM files.
type Pair struct {
	Cert, Key string
}

// PKI makes GOST R 34.10-2012 (256, paramset A) keys and certificates
// signed with GOST R 34.11-2012 in Dir.
type PKI struct {
	Dir     string
	OpenSSL OpenSSL
}

// CA makes a self-signed CA named cn.
func (p PKI) CA(ctx context.Context, name, cn string) (Pair, error) {
	pair := p.pair(name)
	if err := p.key(ctx, pair.Key); err != nil {
		return pair, err
	}
	_, err := p.OpenSSL.Run(ctx, nil, "req", "-x509", "-new", "-key", pair.Key, "-subj", "/CN="+cn, "-md_gost12_256",
		"-days", "30", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
		"-out", pair.Cert)
	return pair, err
}

// Server issues a server certificate for host (its CN and DNS name) from ca.
func (p PKI) Server(ctx context.Context, ca Pair, name, host string) (Pair, error) {
	return p.issue(ctx, ca, name, host, "subjectAltName=DNS:"+host+"\nextendedKeyUsage=serverAuth\n")
}

// Client issues a client certificate named cn from ca.
func (p PKI) Client(ctx context.Context, ca Pair, name, cn string) (Pair, error) {
	return p.issue(ctx, ca, name, cn, "extendedKeyUsage=clientAuth\n")
}

func (p PKI) issue(ctx context.Context, ca Pair, name, cn, ext string) (Pair, error) {
	pair := p.pair(name)
	if err := p.key(ctx, pair.Key); err != nil {
		return pair, err
	}
	csr, extFile := filepath.Join(p.Dir, name+".csr"), filepath.Join(p.Dir, name+".ext")
	if err := os.WriteFile(extFile, []byte(ext), 0o600); err != nil {
		return pair, err
	}
	if _, err := p.OpenSSL.Run(ctx, nil, "req", "-new", "-key", pair.Key, "-subj", "/CN="+cn, "-md_gost12_256", "-out", csr); err != nil {
		return pair, err
	}
	_, err := p.OpenSSL.Run(ctx, nil, "x509", "-req", "-in", csr, "-CA", ca.Cert, "-CAkey", ca.Key, "-CAcreateserial",
		"-md_gost12_256", "-days", "30", "-extfile", extFile, "-out", pair.Cert)
	return pair, err
}

func (p PKI) pair(name string) Pair {
	return Pair{Cert: filepath.Join(p.Dir, name+".pem"), Key: filepath.Join(p.Dir, name+".key")}
}

func (p PKI) key(ctx context.Context, path string) error {
	_, err := p.OpenSSL.Run(ctx, nil, "genpkey", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", "-out", path)
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	return err
}

// Tunnel is a running stunnel.
type Tunnel struct {
	Addr string // the address it accepts on, as it logged it
	cmd  *exec.Cmd
	log  *lines
	done chan struct{}
}

// Log is what it has logged so far.
func (t *Tunnel) Log() string { return t.log.String() }

// WaitLog waits until the log holds a line containing substr, the process
// ends, or ctx is done. It returns the line.
func (t *Tunnel) WaitLog(ctx context.Context, substr string) (string, error) {
	return t.log.wait(ctx, t.done, func(line string) bool { return strings.Contains(line, substr) })
}

// Close stops it.
func (t *Tunnel) Close() error {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	<-t.done
	return nil
}

// ServerOptions configure the stand-in for GIS's GOST-TLS front.
type ServerOptions struct {
	Dir      string // where its configuration goes
	Accept   string // e.g. 127.0.0.1:0
	Upstream string // host:port of the plain HTTP service behind it
	Server   Pair   // its certificate
	ClientCA string // PEM file of the CA whose client certificates it takes
}

// ServerConfig is a stunnel server configuration: TLS 1.2, the GOST 2012
// suites only, a client certificate from ClientCA required.
func ServerConfig(o ServerOptions) string {
	return strings.Join([]string{
		"foreground = yes", "pid =", "debug = info", "",
		"[gis]",
		"accept = " + o.Accept,
		"connect = " + o.Upstream,
		"cert = " + o.Server.Cert,
		"key = " + o.Server.Key,
		"CAfile = " + o.ClientCA,
		"verifyChain = yes",
		"requireCert = yes",
		"sslVersion = TLSv1.2",
		"ciphers = " + Suites,
		"",
	}, "\n")
}

// StartServer starts the stand-in for GIS's front.
func StartServer(ctx context.Context, openssl OpenSSL, o ServerOptions) (*Tunnel, error) {
	conf := filepath.Join(o.Dir, "server.conf")
	if err := os.WriteFile(conf, []byte(ServerConfig(o)), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(Stunnel, conf)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+openssl.Conf)
	return start(ctx, cmd)
}

// GatewayOptions configure the gateway, given to its entrypoint.sh as the
// task definition gives them.
type GatewayOptions struct {
	GatewayDir string // gateway/ at the repository root: entrypoint.sh, openssl.cnf, stunnel.conf.tmpl
	SecretsDir string // where the entrypoint writes the PEM files and stunnel.conf
	Accept     string // GATEWAY_ACCEPT, e.g. 127.0.0.1:0
	Target     string // GATEWAY_TARGET: host:port of GIS (here, the server's)
	CheckHost  string // GATEWAY_CHECK_HOST: the name the server's certificate must carry
	Client     Pair   // its client certificate, passed as PEM text
	CAChain    string // PEM file of the CA that issued the server's certificate
	Ciphers    string // GATEWAY_CIPHERS; empty: the entrypoint's default, Suites
}

// StartGateway runs gateway/entrypoint.sh with the certificate, key and CA
// chain in its environment, as ECS injects them from the secret.
func StartGateway(ctx context.Context, o GatewayOptions) (*Tunnel, error) {
	env := os.Environ()
	for name, file := range map[string]string{"GATEWAY_CLIENT_CERT": o.Client.Cert, "GATEWAY_CLIENT_KEY": o.Client.Key,
		"GATEWAY_CA_CHAIN": o.CAChain} {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		env = append(env, name+"="+string(pem))
	}
	env = append(env, "GATEWAY_CONF_DIR="+o.GatewayDir, "GATEWAY_SECRETS_DIR="+o.SecretsDir,
		"GATEWAY_ACCEPT="+o.Accept, "GATEWAY_TARGET="+o.Target, "GATEWAY_CHECK_HOST="+o.CheckHost)
	if o.Ciphers != "" {
		env = append(env, "GATEWAY_CIPHERS="+o.Ciphers)
	}
	cmd := exec.Command("sh", filepath.Join(o.GatewayDir, "entrypoint.sh"))
	cmd.Env = env
	return start(ctx, cmd)
}

var boundRE = regexp.MustCompile(`bound to (\S+)$`)

// start runs cmd and waits until it logs the address it bound, or fails.
func start(ctx context.Context, cmd *exec.Cmd) (*Tunnel, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &Tunnel{cmd: cmd, log: newLines(), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.log.add(sc.Text())
		}
		_ = cmd.Wait()
		close(t.done)
		t.log.add("") // wake waiters
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a bound on a readiness wait, not a delay
	defer cancel()
	line, err := t.log.wait(ctx, t.done, func(line string) bool { return boundRE.MatchString(line) })
	if err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("%s did not start: %w\n%s", filepath.Base(cmd.Args[len(cmd.Args)-1]), err, t.Log())
	}
	t.Addr = boundRE.FindStringSubmatch(line)[1]
	return t, nil
}

// lines is a log that goroutines wait on.
type lines struct {
	mu      sync.Mutex
	all     []string
	changed chan struct{}
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

func (l *lines) add(line string) {
	l.mu.Lock()
	if line != "" {
		l.all = append(l.all, line)
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

func (l *lines) wait(ctx context.Context, done <-chan struct{}, match func(string) bool) (string, error) {
	seen := 0
	for {
		l.mu.Lock()
		for ; seen < len(l.all); seen++ {
			if match(l.all[seen]) {
				line := l.all[seen]
				l.mu.Unlock()
				return line, nil
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-done:
			l.mu.Lock()
			rest := l.all[seen:]
			l.mu.Unlock()
			for _, line := range rest {
				if match(line) {
					return line, nil
				}
			}
			return "", errors.New("the process ended")
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

var cipherRE = regexp.MustCompile(`Cipher is (\S+)`)

// ProbeCipher connects to a GOST-TLS server with openssl s_client offering
// suites, and returns the cipher suite it negotiated ("(NONE)" when the
// handshake failed).
func ProbeCipher(ctx context.Context, openssl OpenSSL, addr, suites string, client Pair, caFile string) (string, error) {
	out, _ := openssl.Run(ctx, bytes.NewReader(nil), "s_client", "-connect", addr, "-tls1_2", "-cipher", suites,
		"-cert", client.Cert, "-key", client.Key, "-CAfile", caFile, "-verify_return_error")
	m := cipherRE.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("openssl s_client printed no cipher: %s", out)
	}
	return m[1], nil
}
