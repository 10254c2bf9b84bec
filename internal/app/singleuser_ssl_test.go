package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

	"quire/internal/testca"
)

// issue signs a certificate for 127.0.0.1/localhost, good for servers
// and clients as JupyterHub's internal_ssl makes them, and writes its PEM
// files into dir.
func issue(t *testing.T, ca *testca.CA, dir, name string) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	is := ca.IssueT(t, testca.Leaf{Names: []string{name, "localhost", "127.0.0.1"}, ServerAndClient: true})
	f := is.WriteT(t, dir, name)
	return f.Cert, f.Key, is.TLS
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
	ca := testca.NewT(t, "notebooks-ca")
	other := testca.NewT(t, "someone-else")
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srvCert, srvKey, _ := issue(t, ca, dir, "alice")
	_, _, hubPair := issue(t, ca, dir, "hub")
	_, _, proxyPair := issue(t, ca, dir, "proxy")
	_, _, strangerPair := issue(t, other, dir, "stranger")

	// The Hub's API, requiring Quire's client certificate.
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
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
