//go:build integration

package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire/tests/internal/harness"
)

// The ACME tests run Quire against Pebble, Let's Encrypt's test CA
// (Debian package pebble, which `make test` installs), with
// pebble-challtestsrv as its DNS server answering every name with
// 127.0.0.1. Pebble validates challenges on the ports its config names,
// so each test points them at Quire's ports (or at a closed port, to make
// one challenge type fail).

const acmeName = "notebook.test"

// pebble is a running Pebble with its DNS server.
type pebble struct {
	Dir      string // ACME directory URL
	CertFile string // Pebble's own HTTPS certificate, for --acme-ca-root
	mgmt     string // management API base URL
	Log      *syncBuffer
	client   *http.Client // trusts CertFile
	proc     *harness.Process
}

type pebbleOpts struct {
	httpPort, tlsPort int // where Pebble validates HTTP-01 and TLS-ALPN-01
	validity          int // certificate lifetime in seconds (0 = Pebble's default)
	eab               map[string]string
}

func needPebble(t *testing.T) (string, string) {
	t.Helper()
	p, err1 := exec.LookPath("pebble")
	c, err2 := exec.LookPath("pebble-challtestsrv")
	if err1 != nil || err2 != nil {
		t.Skip("SKIPPED: pebble and pebble-challtestsrv are not installed (Debian package pebble; `make test` installs it), so the ACME tests cannot run")
	}
	return p, c
}

// portNum is freePort (advisories_test.go) as a number.
func portNum(t *testing.T) int {
	t.Helper()
	n, err := strconv.Atoi(freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// selfSigned writes a certificate and key for localhost and 127.0.0.1
// into dir: Pebble's HTTPS identity (its package ships none).
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pebble test listener"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "pebble-cert.pem"), filepath.Join(dir, "pebble-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func startPebble(t *testing.T, o pebbleOpts) *pebble {
	t.Helper()
	pebbleBin, challBin := needPebble(t)
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	dnsPort, challMgmt, acmePort, mgmtPort := portNum(t), portNum(t), portNum(t), portNum(t)

	// DNS only: every A query gets 127.0.0.1, no AAAA (Quire listens on
	// 127.0.0.1; Pebble would try ::1 first).
	dns := &syncBuffer{}
	cmd := exec.Command(challBin, "-defaultIPv6", "", "-dns01", "127.0.0.1:"+strconv.Itoa(dnsPort),
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-management", "127.0.0.1:"+strconv.Itoa(challMgmt))
	cmd.Stdout, cmd.Stderr = dns, dns
	cts := harness.Start(t, "pebble-challtestsrv", cmd)
	t.Cleanup(func() { _ = cts.Stop() })

	cfg := map[string]any{
		"listenAddress":                  "127.0.0.1:" + strconv.Itoa(acmePort),
		"managementListenAddress":        "127.0.0.1:" + strconv.Itoa(mgmtPort),
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       o.httpPort,
		"tlsPort":                        o.tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": o.eab != nil,
		"externalAccountMACKeys":         o.eab,
	}
	if o.validity > 0 {
		cfg["certificateValidityPeriod"] = o.validity
	}
	cfgJSON, _ := json.Marshal(map[string]any{"pebble": cfg})
	cfgFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgFile, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &pebble{
		Dir:      fmt.Sprintf("https://127.0.0.1:%d/dir", acmePort),
		CertFile: certFile,
		mgmt:     fmt.Sprintf("https://127.0.0.1:%d", mgmtPort),
		Log:      &syncBuffer{},
	}
	cmd = exec.Command(pebbleBin, "-config", cfgFile, "-dnsserver", "127.0.0.1:"+strconv.Itoa(dnsPort))
	// No artificial validation delays, no rejected nonces, and no reuse
	// of an earlier authorization: every order proves control afresh.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	proc := harness.Start(t, "pebble", cmd)
	p.proc = proc
	t.Cleanup(func() {
		_ = proc.Stop()
		if t.Failed() {
			t.Logf("pebble log:\n%s\npebble-challtestsrv log:\n%s", p.Log, dns)
		}
	})

	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	p.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	proc.WaitReady(t, 30*time.Second, 50*time.Millisecond, func() string { return p.Log.String() }, func() (bool, string) {
		resp, err := p.client.Get(p.Dir)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	return p
}

// roots is a pool holding Pebble's root CA (made afresh at each start).
func (p *pebble) roots(t *testing.T) *x509.CertPool {
	t.Helper()
	resp, err := p.client.Get(p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if resp.StatusCode != 200 || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble root: %s %q", resp.Status, b)
	}
	return pool
}

// orders counts the orders Pebble has been asked for.
func (p *pebble) orders() int { return strings.Count(p.Log.String(), "POST /order-plz") }

// acmeQuire starts Quire on 127.0.0.1:tlsPort with certificates for
// acmeName from p, HTTP-01 on httpPort (0 = none), in home.
func acmeQuire(t *testing.T, p *pebble, home string, tlsPort, httpPort int, extra ...string) *instance {
	t.Helper()
	args := append([]string{
		"--ip", "127.0.0.1", "--port", strconv.Itoa(tlsPort), "--acme-http-port", strconv.Itoa(httpPort),
		"--acme-domain", acmeName, "--acme-directory", p.Dir, "--acme-ca-root", p.CertFile,
		"--acme-email", "admin@example.org",
	}, extra...)
	return startQuire(t, opts{args: args, home: home})
}

// dialTo sends every connection to 127.0.0.1:port, whatever the URL's host
// (the test's name resolves nowhere but in Pebble's DNS).
func dialTo(port int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
	}
}

// verifiedClient trusts only roots and connects to Quire on port whatever
// name the URL holds; it does not follow redirects.
func verifiedClient(roots *x509.CertPool, port int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:       dialTo(port),
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// served returns the leaf certificate Quire serves for name on port,
// verified against roots, or an error.
func served(roots *x509.CertPool, port int, name string) (*x509.Certificate, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", "127.0.0.1:"+strconv.Itoa(port),
		&tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

// waitServed waits until Quire serves a certificate for acmeName that
// verifies against roots and, if notSerial is set, has another serial.
func waitServed(t *testing.T, in *instance, roots *x509.CertPool, notSerial string, timeout time.Duration) *x509.Certificate {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		leaf, err := served(roots, in.Port, acmeName)
		if err == nil && leaf.SerialNumber.Text(16) != notSerial {
			return leaf
		}
		if time.Now().After(deadline) {
			t.Fatalf("no (new) certificate for %s after %s: %v\nquire log:\n%s", acmeName, timeout, err, in.Stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestACMEHTTP01: a fresh Quire gets its certificate by HTTP-01 (Pebble's
// TLS-ALPN-01 goes to a closed port), serves it with HSTS, redirects plain
// HTTP, orders nothing for other names, and after a restart serves the
// cached certificate without a new order.
func TestACMEHTTP01(t *testing.T) {
	tlsPort, httpPort := portNum(t), portNum(t)
	p := startPebble(t, pebbleOpts{httpPort: httpPort, tlsPort: portNum(t)})
	roots := p.roots(t)
	home := t.TempDir()
	in := acmeQuire(t, p, home, tlsPort, httpPort)
	leaf := waitServed(t, in, roots, "", 30*time.Second)
	if err := leaf.VerifyHostname(acmeName); err != nil {
		t.Fatal(err)
	}
	log := in.Stderr.String()
	for _, want := range []string{
		`terms of service are accepted on your behalf \(autocert.AcceptTOS\).*terms=data:text/plain`,
		`could not validate a challenge.*challenge=tls-alpn-01.*detail=`, // the CA's reason, logged
		`new certificate from the CA stored.*domain=notebook.test`,
	} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("log lacks %q", want)
		}
	}
	if !strings.Contains(p.Log.String(), "Attempting to validate w/ HTTP: http://notebook.test:"+strconv.Itoa(httpPort)+"/.well-known/acme-challenge/") {
		t.Errorf("pebble did not validate by HTTP-01 on port %d", httpPort)
	}

	// The API over verified HTTPS, with HSTS.
	c := verifiedClient(roots, tlsPort)
	base := fmt.Sprintf("https://%s:%d/", acmeName, tlsPort)
	if in.URL != base {
		t.Errorf("runtime file URL %q, want %q", in.URL, base)
	}
	req, _ := http.NewRequest("GET", base+"api/status", nil)
	req.Header.Set("Authorization", "token "+in.Token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("status %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}

	// Plain HTTP: redirected to HTTPS on the TLS port, path and query kept,
	// host one of the configured names whatever the request said.
	plain := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialTo(httpPort)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ url, want string }{
		{"http://notebook.test/tree/a%20b.ipynb?x=1", base + "tree/a%20b.ipynb?x=1"},
		{"http://evil.example//evil.example/", base},
		{"http://127.0.0.1/lab", base + "lab"},
	} {
		resp, err := plain.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != tc.want {
			t.Errorf("GET %s: %d Location %q, want 301 %q", tc.url, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}

	// Another name never triggers an order.
	before := p.orders()
	if _, err := served(roots, tlsPort, "other.test"); err == nil {
		t.Error("a certificate was served for other.test")
	}
	time.Sleep(500 * time.Millisecond)
	if n := p.orders(); n != before {
		t.Errorf("a handshake for other.test made %d orders", n-before)
	}

	// The cache: 0700 directories, 0600 files.
	acmeDir := filepath.Join(in.DataDir, "acme")
	err = filepath.Walk(acmeDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A restart serves the cached certificate; Pebble gets no new order.
	if err := in.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	before = p.orders()
	in2 := acmeQuire(t, p, home, tlsPort, httpPort)
	leaf2 := waitServed(t, in2, roots, "", 15*time.Second)
	if leaf2.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("after a restart: serial %x, want the cached %x", leaf2.SerialNumber, leaf.SerialNumber)
	}
	if n := p.orders(); n != before {
		t.Errorf("the restart made %d orders", n-before)
	}
	if strings.Contains(in2.Stderr.String(), "new certificate from the CA") {
		t.Error("the restarted server stored a new certificate")
	}

	// With the CA gone, a restart still serves the cached certificate.
	if err := in2.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	_ = p.proc.Stop()
	in3 := acmeQuire(t, p, home, tlsPort, httpPort)
	if leaf3 := waitServed(t, in3, roots, "", 15*time.Second); leaf3.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("with the CA down: serial %x, want the cached %x", leaf3.SerialNumber, leaf.SerialNumber)
	}
	if !strings.Contains(in3.Stderr.String(), "cannot reach the CA") {
		t.Error("the log does not say the CA cannot be reached")
	}
}

// TestACMETLSALPN01: with no HTTP listener (and Pebble's HTTP-01 going to
// a closed port), the certificate comes by TLS-ALPN-01 on the HTTPS port,
// from a CA that requires external account binding; it is renewed
// before it expires without a restart; the EAB key never reaches the log.
func TestACMETLSALPN01(t *testing.T) {
	const kid, hmac = "kid-quire", "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
	tlsPort := portNum(t)
	// Certificates live 30 s and are renewed 20 s before they expire.
	p := startPebble(t, pebbleOpts{httpPort: portNum(t), tlsPort: tlsPort, validity: 30, eab: map[string]string{kid: hmac}})
	roots := p.roots(t)
	in := acmeQuire(t, p, t.TempDir(), tlsPort, 0,
		"--acme-eab-kid", kid, "--acme-eab-hmac", hmac, "--acme-renew-before", "20s")
	first := waitServed(t, in, roots, "", 30*time.Second)
	if strings.Contains(p.Log.String(), "Attempting to validate w/ HTTP") {
		t.Error("pebble validated by HTTP-01; want TLS-ALPN-01 only")
	}
	if !strings.Contains(p.Log.String(), `Successful newAccount Binding with CA using kid "`+kid+`"`) {
		t.Error("pebble did not bind the account to the external account")
	}

	// Renewed in place: a new serial on the same listener, no restart.
	orders := p.orders()
	renewed := waitServed(t, in, roots, first.SerialNumber.Text(16), 25*time.Second)
	if !renewed.NotAfter.After(first.NotAfter) {
		t.Errorf("renewed certificate expires %v, not after %v", renewed.NotAfter, first.NotAfter)
	}
	if p.orders() <= orders {
		t.Error("no new order for the renewal")
	}
	if n := strings.Count(in.Stderr.String(), "new certificate from the CA stored"); n < 2 {
		t.Errorf("%d certificates stored, want at least 2", n)
	}
	if strings.Contains(in.Stderr.String(), hmac) || strings.Contains(in.Stdout.String(), hmac) {
		t.Error("the EAB HMAC key is in Quire's output")
	}
}

// TestACMEFailureRetried: when the CA cannot validate any challenge, the
// CA's reason is logged and the attempt retried after a doubling wait,
// while Quire keeps running (and answers plain HTTP).
func TestACMEFailureRetried(t *testing.T) {
	tlsPort, httpPort := portNum(t), portNum(t)
	p := startPebble(t, pebbleOpts{httpPort: portNum(t), tlsPort: portNum(t)})
	in := acmeQuire(t, p, t.TempDir(), tlsPort, httpPort, "--acme-retry", "1s")
	in.proc.WaitReady(t, 30*time.Second, 100*time.Millisecond, func() string { return in.Stderr.String() }, func() (bool, string) {
		log := in.Stderr.String()
		return strings.Contains(log, "retry_in=1s") && strings.Contains(log, "retry_in=2s"), "no second retry yet"
	})
	log := in.Stderr.String()
	for _, want := range []string{
		`could not validate a challenge.*challenge=tls-alpn-01.*detail=.*connect`,
		`could not validate a challenge.*challenge=http-01.*detail=.*connect`,
	} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("log lacks %q", want)
		}
	}
	if _, err := served(p.roots(t), tlsPort, acmeName); err == nil {
		t.Error("a certificate was served though none was issued")
	}
	resp, err := (&http.Client{Transport: &http.Transport{DialContext: dialTo(httpPort)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get("http://notebook.test/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently {
		t.Errorf("plain HTTP: %d", resp.StatusCode)
	}
}

// TestACMERefusedByCA: a CA's refusal (here of an external account
// binding signed with the wrong key) is logged with the CA's own reason,
// and retried.
func TestACMERefusedByCA(t *testing.T) {
	tlsPort := portNum(t)
	p := startPebble(t, pebbleOpts{httpPort: portNum(t), tlsPort: tlsPort,
		eab: map[string]string{"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}})
	in := acmeQuire(t, p, t.TempDir(), tlsPort, 0, "--acme-retry", "1s",
		"--acme-eab-kid", "kid-1", "--acme-eab-hmac", "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH")
	re := regexp.MustCompile(`the CA refused a request.*path=/sign-me-up.*type=urn:ietf:params:acme:error:\w+.*detail=`)
	in.proc.WaitReady(t, 20*time.Second, 100*time.Millisecond, func() string { return in.Stderr.String() }, func() (bool, string) {
		log := in.Stderr.String()
		return re.MatchString(log) && strings.Contains(log, "retry_in=2s"), "no logged refusal and second retry yet"
	})
}

// TestACMEConflictsRefused: options that cannot work together stop Quire
// with a message naming them. (No CA is contacted.)
func TestACMEConflictsRefused(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "q.sock")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"certfile", []string{"--port", "8443", "--acme-domain", acmeName, "--certfile", "c.pem", "--keyfile", "k.pem"}, `--acme-domain and --certfile/--keyfile exclude each other`},
		{"self-signed", []string{"--port", "8443", "--acme-domain", acmeName, "--tls", "self-signed"}, `--acme-domain and --tls self-signed exclude each other`},
		{"socket", []string{"--port", "8443", "--acme-domain", acmeName, "--sock", sock}, `--sock listens on a Unix socket only`},
		{"port 0", []string{"--acme-domain", acmeName}, `needs a fixed --port`},
		{"same ports", []string{"--port", "8443", "--acme-domain", acmeName, "--acme-http-port", "8443"}, `--acme-http-port 8443 is also --port`},
		{"no domain", []string{"--acme-email", "a@example.org"}, `--acme-email needs --acme-domain`},
		{"half EAB", []string{"--port", "8443", "--acme-domain", acmeName, "--acme-eab-kid", "k"}, `--acme-eab-kid and --acme-eab-hmac go together`},
		{"wildcard", []string{"--port", "8443", "--acme-domain", "*.example.org"}, `wildcard certificates need the DNS-01 challenge`},
		{"IP address", []string{"--port", "8443", "--acme-domain", "192.0.2.1"}, `an IP address`},
		{"plain http directory", []string{"--port", "8443", "--acme-domain", acmeName, "--acme-directory", "http://ca.example/dir"}, `--acme-directory "http://ca.example/dir"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := startQuire(t, opts{args: tc.args, noWait: true})
			if err := in.waitExit(10 * time.Second); err == nil {
				t.Fatal("quire started; want a refusal")
			}
			if !strings.Contains(in.Stderr.String(), tc.want) {
				t.Fatalf("stderr lacks %q:\n%s", tc.want, in.Stderr)
			}
		})
	}
}
