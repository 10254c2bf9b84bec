package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test, like the ones
// JupyterHub's internal_ssl makes.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a certificate for 127.0.0.1/localhost, good for servers
// and clients, and writes its PEM files into dir.
func (ca *testCA) issue(t *testing.T, dir, name string) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pair
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSingleuserInternalSSL runs hub mode as JupyterHub's internal_ssl
// does: the Hub's API over mutual TLS, and a server that serves TLS with
// the Hub's key pair and admits only clients whose certificate the CA
// signed. The browser's scheme then comes from the proxy's headers.
func TestSingleuserInternalSSL(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "notebooks-ca")
	other := newTestCA(t, "someone-else")
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	srvCert, srvKey, _ := ca.issue(t, dir, "alice")
	_, _, hubPair := ca.issue(t, dir, "hub")
	_, _, proxyPair := ca.issue(t, dir, "proxy")
	_, _, strangerPair := other.issue(t, dir, "stranger")

	// The Hub's API, requiring Quire's client certificate.
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	var versionCalls, withCert atomic.Int32
	hubAPI := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hub/api" {
			versionCalls.Add(1)
			if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "alice" {
				withCert.Add(1)
			}
			w.Header().Set("X-JupyterHub-Version", "3.0.0")
			w.Write([]byte(`{"version": "3.0.0"}`))
			return
		}
		w.WriteHeader(http.StatusOK) // activity
	}))
	hubAPI.TLS = &tls.Config{Certificates: []tls.Certificate{hubPair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	hubAPI.StartTLS()
	defer hubAPI.Close()

	home := t.TempDir()
	// A user config file Quire would refuse (unknown setting): with
	// JUPYTERHUB_DISABLE_USER_CONFIG it is not read.
	if err := os.MkdirAll(filepath.Join(home, ".config", "quire"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".config", "quire", "config.json"), []byte(`{"no-such-setting": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	env := map[string]string{
		"HOME":                                  home,
		"JUPYTERHUB_API_TOKEN":                  "secret",
		"JUPYTERHUB_API_URL":                    strings.Replace(hubAPI.URL, "127.0.0.1", "localhost", 1) + "/hub/api",
		"JUPYTERHUB_ACTIVITY_URL":               hubAPI.URL + "/hub/api/users/alice/activity",
		"JUPYTERHUB_CLIENT_ID":                  "jupyterhub-user-alice",
		"JUPYTERHUB_SERVICE_PREFIX":             "/user/alice/",
		"JUPYTERHUB_SERVICE_URL":                "https://127.0.0.1:" + strconv.Itoa(port) + "/user/alice/",
		"JUPYTERHUB_OAUTH_CALLBACK_URL":         "/user/alice/oauth_callback",
		"JUPYTERHUB_OAUTH_ACCESS_SCOPES":        `["access:servers!server=alice/"]`,
		"JUPYTERHUB_USER":                       "alice",
		"JUPYTERHUB_SSL_KEYFILE":                srvKey,
		"JUPYTERHUB_SSL_CERTFILE":               srvCert,
		"JUPYTERHUB_SSL_CLIENT_CA":              caFile,
		"JUPYTERHUB_DISABLE_USER_CONFIG":        "1",
		"JUPYTERHUB_COOKIE_OPTIONS":             `{"samesite": "Strict", "expires_days": 1}`,
		"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "0",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan serverInfo, 1)
	exited := make(chan int, 1)
	var out, errb lockedBuffer
	go func() {
		exited <- run(ctx, []string{"singleuser", "--root-dir", home, "--data-dir", home + "/d", "--runtime-dir", home + "/r"},
			lookup, strings.NewReader(""), &out, &errb, onReady(func(i serverInfo) { ready <- i }))
	}()
	defer func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
		}
	}()
	select {
	case <-ready:
	case code := <-exited:
		t.Fatalf("quire exited with %d before serving", code)
	case <-time.After(15 * time.Second):
		t.Fatal("quire did not start in 15 s")
	}
	if withCert.Load() == 0 {
		t.Errorf("the Hub's API was asked %d times, never with Quire's client certificate", versionCalls.Load())
	}

	get := func(pair *tls.Certificate, path string, hdr map[string]string) (*http.Response, error) {
		tc := &tls.Config{RootCAs: pool}
		if pair != nil {
			tc.Certificates = []tls.Certificate{*pair}
		}
		tr := &http.Transport{TLSClientConfig: tc}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("GET", "https://127.0.0.1:"+strconv.Itoa(port)+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	// The Hub's health check, with the Hub's certificate.
	if resp, err := get(&hubPair, "/user/alice/api", nil); err != nil || resp.StatusCode != 200 || resp.Header.Get("X-JupyterHub-Version") != "3.0.0" {
		t.Fatalf("health check over mutual TLS: %v %v", resp, err)
	}
	// No client certificate, or one another CA signed: no connection.
	for name, pair := range map[string]*tls.Certificate{"none": nil, "other CA": &strangerPair} {
		if resp, err := get(pair, "/user/alice/api", nil); err == nil {
			t.Errorf("client certificate %s: %d, want the handshake refused", name, resp.StatusCode)
		}
	}
	// Through the proxy (its certificate): a browser on plain http gets a
	// state cookie without Secure, with the admin's SameSite; one on https
	// gets Secure. frame-ancestors 'none' on every response.
	for proto, secure := range map[string]bool{"http": false, "https": true} {
		resp, err := get(&proxyPair, "/user/alice/tree/", map[string]string{"X-Forwarded-Proto": proto})
		if err != nil || resp.StatusCode != 302 {
			t.Fatalf("anonymous page via the proxy (%s): %v %v", proto, resp, err)
		}
		var st *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "jupyterhub-user-alice-oauth-state" {
				st = c
			}
		}
		if st == nil || st.Secure != secure || st.SameSite != http.SameSiteStrictMode {
			t.Errorf("browser on %s: state cookie %+v, want Secure=%v SameSite=Strict", proto, st, secure)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q, want frame-ancestors 'none'", csp)
		}
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Error("quire did not stop")
	}

	// The same user config read (no JUPYTERHUB_DISABLE_USER_CONFIG): the
	// file is the user's, and its mistake stops the start.
	delete(env, "JUPYTERHUB_DISABLE_USER_CONFIG")
	var out2, err2 lockedBuffer
	code := run(context.Background(), []string{"singleuser", "--root-dir", home}, lookup, strings.NewReader(""), &out2, &err2)
	if code == 0 || !strings.Contains(err2.String(), "no-such-setting") {
		t.Errorf("with the user's config read: exit %d, stderr %q; want a refusal naming its setting", code, err2.String())
	}
	// --disable-user-config among the Hub's arguments does the same as the variable.
	if !disableUserConfig([]string{"--allow-root", "--disable-user-config"}) || disableUserConfig([]string{"--disable-user-config=false"}) ||
		disableUserConfig([]string{"--", "--disable-user-config"}) {
		t.Error("disableUserConfig misreads the Hub's arguments")
	}
}
