package tlsx_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"quire/internal/tlsx"
)

// A CA nobody answers at: every test here runs without one.
const noCA = "https://127.0.0.1:1/directory"

// syncBuf is a log sink safe for concurrent writers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newACME(t *testing.T, o tlsx.ACMEOptions) *tlsx.ACME {
	t.Helper()
	if o.Domains == nil {
		o.Domains = []string{"notebook.example.org", "alt.example.org"}
	}
	if o.DirectoryURL == "" {
		o.DirectoryURL = noCA
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(t.TempDir(), "acme")
	}
	if o.Retry == 0 {
		o.Retry = time.Hour
	}
	a, err := tlsx.NewACME(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewACMERefuses(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "junk.pem")
	os.WriteFile(notPEM, []byte("junk\n"), 0o600)
	keyOnly := filepath.Join(dir, "key.pem")
	os.WriteFile(keyOnly, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	for _, tc := range []struct {
		name string
		o    tlsx.ACMEOptions
		want string
	}{
		{"no domain", tlsx.ACMEOptions{Retry: time.Minute}, "no domain"},
		{"missing root file", tlsx.ACMEOptions{Domains: []string{"a.example"}, Retry: time.Minute, CARootFile: filepath.Join(dir, "missing.pem")}, "not found"},
		{"root file not PEM", tlsx.ACMEOptions{Domains: []string{"a.example"}, Retry: time.Minute, CARootFile: notPEM}, "not PEM"},
		{"root file without a certificate", tlsx.ACMEOptions{Domains: []string{"a.example"}, Retry: time.Minute, CARootFile: keyOnly}, "no certificate"},
		{"EAB key not base64", tlsx.ACMEOptions{Domains: []string{"a.example"}, Retry: time.Minute, EABKeyID: "k", EABHMAC: "not base64!"}, "base64url"},
		{"EAB key without ID", tlsx.ACMEOptions{Domains: []string{"a.example"}, Retry: time.Minute, EABHMAC: "c2VjcmV0"}, "key ID"},
		{"no retry wait", tlsx.ACMEOptions{Domains: []string{"a.example"}}, "retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.DirectoryURL = noCA
			tc.o.CacheDir = filepath.Join(t.TempDir(), "acme")
			_, err := tlsx.NewACME(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one saying %q", err, tc.want)
			}
			if tc.o.EABHMAC != "" && strings.Contains(err.Error(), tc.o.EABHMAC) {
				t.Errorf("the error shows the EAB key: %v", err)
			}
		})
	}
}

func TestCacheDirPerCA(t *testing.T) {
	base := filepath.Join(t.TempDir(), "acme")
	for _, u := range []string{"https://acme-v02.api.letsencrypt.org/directory", "https://acme-staging-v02.api.letsencrypt.org/directory", noCA} {
		newACME(t, tlsx.ACMEOptions{CacheDir: base, DirectoryURL: u})
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d cache directories for 3 CAs: %v", len(entries), entries)
	}
	for _, e := range append(entries, nil) {
		p := base
		if e != nil {
			p = filepath.Join(base, e.Name())
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v (%v), want 0700", p, fi.Mode().Perm(), err)
		}
	}
}

func TestName(t *testing.T) {
	a := newACME(t, tlsx.ACMEOptions{})
	for host, want := range map[string]string{
		"notebook.example.org":      "notebook.example.org",
		"alt.example.org:80":        "alt.example.org",
		"ALT.Example.org.":          "alt.example.org",
		"evil.example":              "notebook.example.org",
		"127.0.0.1:80":              "notebook.example.org",
		"":                          "notebook.example.org",
		"notebook.example.org.evil": "notebook.example.org",
	} {
		if got := a.Name(host); got != want {
			t.Errorf("Name(%q) = %q, want %q", host, got, want)
		}
	}
}

// TestHandshakeNeverOrders: before Run has a certificate, handshakes fail
// at once for every name, configured or not, without contacting the CA.
func TestHandshakeNeverOrders(t *testing.T) {
	a := newACME(t, tlsx.ACMEOptions{})
	get := a.TLSConfig().GetCertificate
	for _, tc := range []struct{ sni, want string }{
		{"notebook.example.org", "not issued it"},
		{"", "not issued it"},
		{"other.example.org", "not an --acme-domain"},
		{"notebook.example.org.evil", "not an --acme-domain"},
	} {
		start := time.Now()
		_, err := get(&tls.ClientHelloInfo{ServerName: tc.sni})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SNI %q: err %v, want %q", tc.sni, err, tc.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("SNI %q: took %s (contacted the CA?)", tc.sni, d)
		}
	}
}

// TestServesCachedWithoutCA: a valid certificate in the cache is served
// (for its name, and to clients naming none) though the CA cannot be
// reached, and the failure to reach it is logged. A renew-before as long
// as the certificate's lifetime is warned about.
func TestServesCachedWithoutCA(t *testing.T) {
	for _, tc := range []struct {
		renewBefore time.Duration
		warn        bool
	}{{0, false}, {20 * time.Minute, false}, {2 * time.Hour, true}} {
		t.Run(tc.renewBefore.String(), func(t *testing.T) {
			servesCached(t, tc.renewBefore, tc.warn)
		})
	}
}

func servesCached(t *testing.T, renewBefore time.Duration, warn bool) {
	base := filepath.Join(t.TempDir(), "acme")
	log := &syncBuf{}
	a := newACME(t, tlsx.ACMEOptions{Domains: []string{"notebook.example.org"}, CacheDir: base, RenewBefore: renewBefore,
		Log: slog.New(slog.NewTextHandler(log, nil))})
	entries, err := os.ReadDir(base)
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache dir: %v %v", entries, err)
	}
	leaf := cacheCert(t, filepath.Join(base, entries[0].Name(), "notebook.example.org"), "notebook.example.org")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	get := a.TLSConfig().GetCertificate
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := get(&tls.ClientHelloInfo{ServerName: "notebook.example.org"})
		if err == nil {
			if got := c.Leaf.SerialNumber; got.Cmp(leaf.SerialNumber) != 0 {
				t.Fatalf("served serial %v, want the cached %v", got, leaf.SerialNumber)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cached certificate not served: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c, err := get(&tls.ClientHelloInfo{}); err != nil || c.Leaf.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("no SNI: %v", err)
	}
	if _, err := get(&tls.ClientHelloInfo{ServerName: "other.example.org"}); err == nil {
		t.Error("served a certificate for other.example.org")
	}
	if !strings.Contains(log.String(), "cannot reach the CA") {
		t.Errorf("log does not say the CA cannot be reached:\n%s", log)
	}
	if strings.Contains(log.String(), "could not get a certificate") {
		t.Errorf("log reports a failure though the cached certificate is served:\n%s", log)
	}
	if got := strings.Contains(log.String(), "--acme-renew-before is not shorter"); got != warn {
		t.Errorf("renew-before %s: warned %v, want %v\n%s", renewBefore, got, warn, log)
	}
}

// cacheCert writes what autocert stores for name (an EC key, then the
// certificate) at path, valid for an hour, and returns the certificate.
func cacheCert(t *testing.T, path, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return leaf
}

// TestHTTPHandler: challenge paths are autocert's, for configured hosts
// only (port ignored); every other request goes to the fallback.
func TestHTTPHandler(t *testing.T) {
	a := newACME(t, tlsx.ACMEOptions{})
	h := a.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	for _, tc := range []struct {
		host, path string
		code       int
	}{
		{"notebook.example.org", "/tree/", http.StatusTeapot},
		{"evil.example", "/", http.StatusTeapot},
		{"notebook.example.org:8080", "/.well-known/acme-challenge/unknown-token", http.StatusNotFound},
		{"evil.example", "/.well-known/acme-challenge/unknown-token", http.StatusForbidden},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		r.Host = tc.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.code {
			t.Errorf("%s%s: %d, want %d", tc.host, tc.path, rec.Code, tc.code)
		}
	}
}

func TestTLSConfig(t *testing.T) {
	c := newACME(t, tlsx.ACMEOptions{}).TLSConfig()
	if c.MinVersion != tls.VersionTLS12 || strings.Join(c.NextProtos, ",") != "h2,http/1.1,acme-tls/1" {
		t.Errorf("MinVersion %x NextProtos %v", c.MinVersion, c.NextProtos)
	}
}

// The listener refuses the handshake of a name it has no certificate for,
// as a client sees it.
func TestHandshakeRefusedOverTheWire(t *testing.T) {
	a := newACME(t, tlsx.ACMEOptions{})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", a.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.(*tls.Conn).Handshake()
		c.Close()
	})
	_, err = tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
		&tls.Config{ServerName: "other.example.org", InsecureSkipVerify: true})
	if err == nil {
		t.Fatal("handshake succeeded")
	}
}
