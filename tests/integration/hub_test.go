//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/tests/internal/harness"
)

// jhub is Debian's JupyterHub 3.0 with configurable-http-proxy on
// loopback, spawning bin/quire singleuser with SimpleLocalProcessSpawner and
// letting anyone in with the dummy authenticator.
type jhub struct {
	t    *testing.T
	URL  string // the Hub's public URL through the proxy, "http://127.0.0.1:port"
	port string // the proxy's port
	// subdomain: users' servers are at http://<name>.hub.localhost:port.
	subdomain bool
	admin     string // an admin service's API token
	out       *syncBuffer
	homes     string
	proc      *harness.Process
	noAuth    string // a service token without access scopes
}

const hubNoScopeToken = "noaccess-0123456789abcdef0123456789abcdef"

// hubMode picks the Hub's optional setups.
type hubMode struct {
	// subdomain: c.JupyterHub.subdomain_host = http://hub.localhost:<port>;
	// each user's server at http://<name>.hub.localhost:<port>/user/<name>/
	// (hubTransport dials every *.localhost name on loopback).
	subdomain bool
	// internalSSL: c.JupyterHub.internal_ssl = True; the Hub, the proxy
	// and the servers talk TLS with client certificates of the Hub's CAs.
	internalSSL bool
}

// hubTransport reaches every localhost name on 127.0.0.1, as browsers do.
var hubTransport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
}}

func startHub(t *testing.T) *jhub { return startHubMode(t, hubMode{}) }

func startHubMode(t *testing.T, mode hubMode) *jhub {
	t.Helper()
	if _, err := exec.LookPath("/usr/bin/jupyterhub"); err != nil {
		t.Skip("SKIPPED: JupyterHub is not installed (apt-get install jupyterhub node-configurable-http-proxy, or make deps-apt)")
	}
	if _, err := exec.LookPath("configurable-http-proxy"); err != nil {
		t.Skip("SKIPPED: configurable-http-proxy is not installed (apt-get install node-configurable-http-proxy)")
	}
	needIPyKernel(t)
	bin := quireBin(t)
	dir := t.TempDir()
	homes := filepath.Join(dir, "home")
	for _, u := range []string{"alice", "bob", hubEscapedUser} {
		if err := os.MkdirAll(filepath.Join(homes, u), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h := &jhub{t: t, admin: "probe-0123456789abcdef0123456789abcdef", noAuth: hubNoScopeToken, out: &syncBuffer{}, homes: homes}
	proxyPort, apiPort, hubPort := freePort(t), freePort(t), freePort(t) // as strings
	h.URL = "http://127.0.0.1:" + proxyPort
	h.port = proxyPort
	if mode.subdomain {
		h.URL = "http://hub.localhost:" + proxyPort
		h.subdomain = true
	}
	apiScheme := "http" // the proxy's API: https with internal SSL
	if mode.internalSSL {
		apiScheme = "https"
	}
	conf := fmt.Sprintf(`
c.JupyterHub.ip = '127.0.0.1'
c.JupyterHub.port = %s
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = %s
c.ConfigurableHTTPProxy.api_url = '%s://127.0.0.1:%s'
c.ConfigurableHTTPProxy.pid_file = %q
c.JupyterHub.db_url = 'sqlite:///' + %q
c.JupyterHub.cookie_secret_file = %q
c.JupyterHub.authenticator_class = 'dummy'
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = %q
c.Spawner.cmd = [%q, 'singleuser']
c.Spawner.args = ['--allow-root', '--ServerApp.some_trait=1', '--audit-log', 'quire-audit.log']
c.Spawner.default_url = '/lab'
c.Spawner.environment = {'JUPYTERHUB_ACTIVITY_INTERVAL': '2'}
c.Spawner.http_timeout = 20
c.JupyterHub.allow_named_servers = True
c.JupyterHub.last_activity_interval = 3600
c.JupyterHub.services = [
    {'name': 'probe', 'api_token': %q, 'admin': True},
    {'name': 'noaccess', 'api_token': %q},
]
`, proxyPort, hubPort, apiScheme, apiPort, filepath.Join(dir, "proxy.pid"), filepath.Join(dir, "hub.sqlite"),
		filepath.Join(dir, "cookie_secret"), filepath.Join(homes, "{username}"), bin, h.admin, h.noAuth)
	if mode.subdomain {
		conf += "c.JupyterHub.subdomain_host = " + strconv.Quote(h.URL) + "\n"
	}
	if mode.internalSSL {
		conf += "c.JupyterHub.internal_ssl = True\nc.JupyterHub.internal_certs_location = " + strconv.Quote(filepath.Join(dir, "certs")) + "\n"
	}
	cfg := filepath.Join(dir, "jupyterhub_config.py")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/jupyterhub", "-f", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_PATH=/usr/share/nodejs", "PATH=/usr/bin:/bin:"+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = h.out, h.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	h.proc = harness.Start(t, "jupyterhub", cmd)
	t.Cleanup(func() {
		// SIGINT: the Hub stops its servers and its proxy, then exits.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-h.proc.Exited:
		case <-time.After(15 * time.Second):
		}
		_ = h.proc.Stop()
		if t.Failed() {
			t.Logf("JupyterHub's output:\n%s", tail(h.out.String(), 8000))
		}
	})
	c := &http.Client{Timeout: 5 * time.Second, Transport: hubTransport}
	h.proc.WaitReady(t, 60*time.Second, 200*time.Millisecond, h.out.String, func() (bool, string) {
		resp, err := c.Get(h.URL + "/hub/api")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	return h
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// hubBrowser is a Go HTTP client acting as a user's browser: a cookie jar,
// redirects followed, Accept: text/html (Hub 3.0 answers 500 without it).
type hubBrowser struct {
	t    *testing.T
	hub  *jhub
	c    *http.Client
	user string
}

type acceptHTML struct{ rt http.RoundTripper }

func (a acceptHTML) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Accept") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
	}
	return a.rt.RoundTrip(r)
}

// rawPathJar matches cookie paths as browsers do, against the request's
// path as sent (escaped: "/user/zo%C3%AB@ex.org/"); Go's cookiejar
// compares the decoded path, so a cookie scoped to an escaped prefix would
// never be sent.
type rawPathJar struct{ jar *cookiejar.Jar }

func raw(u *url.URL) *url.URL {
	v := *u
	v.Path, v.RawPath = u.EscapedPath(), ""
	return &v
}

func (j rawPathJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.jar.SetCookies(raw(u), cs) }
func (j rawPathJar) Cookies(u *url.URL) []*http.Cookie        { return j.jar.Cookies(raw(u)) }

// login signs user in at the Hub's login page (the dummy authenticator
// takes any password).
func (h *jhub) login(user string) *hubBrowser {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &hubBrowser{t: h.t, hub: h, user: user, c: &http.Client{Jar: rawPathJar{jar}, Timeout: 60 * time.Second, Transport: acceptHTML{hubTransport}}}
	resp, err := b.c.PostForm(h.URL+"/hub/login?next=/hub/home", url.Values{"username": {user}, "password": {"pw"}})
	if err != nil {
		h.t.Fatalf("login %s: %v", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/hub/home" {
		h.t.Fatalf("login %s: %s at %s", user, resp.Status, resp.Request.URL)
	}
	return b
}

// get fetches path (on the proxy) and returns the final response's status,
// body and URL.
func (b *hubBrowser) get(path string) (int, string, *url.URL) {
	b.t.Helper()
	resp, err := b.c.Get(b.hub.URL + path)
	if err != nil {
		b.t.Fatalf("GET %s as %s: %v", path, b.user, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Request.URL
}

func (b *hubBrowser) xsrf(prefix string) string {
	u, _ := url.Parse(b.hub.URL + prefix)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			return c.Value
		}
	}
	b.t.Fatalf("no _xsrf cookie for %s", prefix)
	return ""
}

// api sends a cookie-authenticated API request with the XSRF header, as
// Quire's UI does.
func (b *hubBrowser) api(method, path string, body any) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, b.hub.URL+path, rd)
	prefix := path[:strings.Index(path, "/api/")+1]
	req.Header.Set("X-XSRFToken", b.xsrf(prefix))
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// hubAPI calls the Hub's REST API with token.
func (h *jhub) hubAPI(method, path, token string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, h.URL+"/hub/api"+path, rd)
	req.Header.Set("Authorization", "token "+token)
	resp, err := (&http.Client{Timeout: 60 * time.Second, Transport: hubTransport}).Do(req)
	if err != nil {
		h.t.Fatalf("%s /hub/api%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// tokenGet GETs path on the proxy with only Authorization: token (none
// when token is ""), following no redirect.
func (h *jhub) tokenGet(path, token string) (int, []byte) {
	code, body, _ := h.tokenGetH(path, token)
	return code, body
}

func (h *jhub) tokenGetH(path, token string) (int, []byte, http.Header) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second, Transport: hubTransport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

type hubServer struct {
	Ready        bool   `json:"ready"`
	URL          string `json:"url"`
	LastActivity string `json:"last_activity"`
	Started      string `json:"started"`
}

func (h *jhub) servers(user string) map[string]hubServer {
	h.t.Helper()
	code, body := h.hubAPI("GET", "/users/"+user, h.admin, nil)
	if code != 200 {
		h.t.Fatalf("GET /hub/api/users/%s: %d %s", user, code, body)
	}
	var m struct {
		Servers map[string]hubServer `json:"servers"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		h.t.Fatal(err)
	}
	return m.Servers
}

// waitReady waits until the Hub reports user's server ready.
func (h *jhub) waitReady(user, server string) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !h.servers(user)[server].Ready {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s's server %q never became ready", user, server)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestHub(t *testing.T) {
	h := startHub(t)
	alice := h.login("alice")

	// Spawn from the Hub as a user does: /hub/spawn waits for the server,
	// then the browser goes through Quire's OAuth dance to the page
	// JUPYTERHUB_DEFAULT_URL (/lab) maps to: the file browser.
	start := time.Now()
	code, body, at := alice.get("/hub/spawn/alice")
	if at.Path == "/hub/spawn-pending/alice" { // not ready within the Hub's wait: its page polls, as we do
		h.waitReady("alice", "")
		code, body, at = alice.get("/hub/user/alice/")
	}
	if code != 200 || at.Path != "/user/alice/tree/" {
		t.Fatalf("spawn: %d at %s\n%s", code, at, tail(body, 500))
	}
	t.Logf("spawn → file browser through OAuth in %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(body, "<html") || !strings.Contains(body, "static/app/") {
		t.Errorf("the file browser page is not Quire's UI:\n%s", tail(body, 500))
	}

	// /api/me names the Hub user.
	code, me := alice.api("GET", "/user/alice/api/me", nil)
	var id struct {
		Identity struct{ Username, Name string } `json:"identity"`
	}
	if json.Unmarshal(me, &id); code != 200 || id.Identity.Username != "alice" {
		t.Errorf("/api/me: %d %s", code, me)
	}

	// A notebook saved through the API (cookie + XSRF).
	nb := map[string]any{"type": "notebook", "content": map[string]any{
		"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{},
		"cells": []any{map[string]any{"cell_type": "code", "source": "print(6*7)", "metadata": map[string]any{}, "outputs": []any{}, "execution_count": nil}},
	}}
	if code, b := alice.api("PUT", "/user/alice/api/contents/hub.ipynb", nb); code != 201 && code != 200 {
		t.Fatalf("save notebook: %d %s", code, b)
	}
	if _, err := os.Stat(filepath.Join(h.homes, "alice", "hub.ipynb")); err != nil {
		t.Errorf("the notebook is not in alice's home: %v", err)
	}
	// Without the XSRF header the same cookie may not write.
	req, _ := http.NewRequest("DELETE", h.URL+"/user/alice/api/contents/hub.ipynb", nil)
	if resp, err := alice.c.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("cookie DELETE without XSRF: %v %v, want 403", resp.StatusCode, err)
	}

	// A cell run over the kernel WebSocket, through the proxy.
	code, kb := alice.api("POST", "/user/alice/api/kernels", map[string]any{"name": "python3"})
	var k struct{ ID string }
	if json.Unmarshal(kb, &k); code != 201 || k.ID == "" {
		t.Fatalf("start kernel: %d %s", code, kb)
	}
	in := &instance{URL: h.URL + "/user/alice/"}
	w, resp, err := dialWS(t, in, k.ID, "s-hub", dialOpts{client: alice.c, header: http.Header{"Origin": {h.URL}}})
	if err != nil {
		t.Fatalf("kernel WebSocket: %v %v", err, resp)
	}
	if r := w.execute("print(6*7)", 60*time.Second); strings.TrimSpace(r.Stdout) != "42" {
		t.Errorf("cell output %q, want 42", r.Stdout)
	}
	// The kernel sees who it runs for, never the server's Hub token.
	r := w.execute("import os; print(os.environ.get('JUPYTERHUB_USER'), os.environ.get('JUPYTERHUB_API_TOKEN', 'no-token'), os.environ.get('JPY_API_TOKEN', 'no-token'))", 60*time.Second)
	if got := strings.TrimSpace(r.Stdout); got != "alice no-token no-token" {
		t.Errorf("kernel environment: %q, want the user and no token", got)
	}
	ranAt := time.Now()

	// Behind a Hub whose proxy (or a load balancer before it) ends TLS, the
	// page's origin is https on the same host: the same user's socket is
	// let in; a page of another host is not.
	httpsOrigin := "https://" + strings.TrimPrefix(h.URL, "http://")
	if w2, resp, err := dialWS(t, in, k.ID, "s-https", dialOpts{client: alice.c, header: http.Header{"Origin": {httpsOrigin}}}); err != nil {
		t.Errorf("kernel WebSocket from the https page %s: %v %v", httpsOrigin, err, resp)
	} else {
		w2.close()
	}
	if _, resp, err := dialWS(t, in, k.ID, "s-evil", dialOpts{client: alice.c, header: http.Header{"Origin": {"https://evil.example"}}}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("kernel WebSocket from another site: %v %v, want 403", err, resp)
	}

	// An anonymous WebSocket is refused (403), never redirected.
	if _, resp, err := dialWS(t, in, k.ID, "s-anon", dialOpts{}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("anonymous WebSocket: %v %v, want 403", err, resp)
	}

	// A terminal, over its WebSocket.
	code, tb := alice.api("POST", "/user/alice/api/terminals", nil)
	var term struct{ Name string }
	if json.Unmarshal(tb, &term); code != 200 || term.Name == "" {
		t.Fatalf("open terminal: %d %s", code, tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tc, _, err := websocket.Dial(ctx, strings.Replace(h.URL, "http", "ws", 1)+"/user/alice/terminals/websocket/"+term.Name,
		&websocket.DialOptions{HTTPClient: alice.c, HTTPHeader: http.Header{"Origin": {h.URL}}})
	if err != nil {
		t.Fatalf("terminal WebSocket: %v", err)
	}
	_ = tc.Write(ctx, websocket.MessageText, []byte(`["stdin", "echo hub-$((40+2))-${JUPYTERHUB_API_TOKEN:-no}-${JPY_API_TOKEN:-no}\r"]`))
	var seen strings.Builder
	for !strings.Contains(seen.String(), "hub-42-no-no") {
		_, msg, err := tc.Read(ctx)
		if err != nil {
			t.Fatalf("terminal output %q: %v", seen.String(), err)
		}
		seen.Write(msg)
	}
	defer tc.Close(websocket.StatusNormalClosure, "")

	// Routes around the prefix: the Hub's health check path (Hub 5's) needs
	// no credentials and names the API; the prefix without its slash
	// redirects; an unknown path under the prefix (a named server whose
	// route is missing) is 404, not a page; every answer carries the
	// Hub's version.
	code, b, hdr := h.tokenGetH("/user/alice/api", "")
	if code != 200 || !strings.Contains(string(b), `"version"`) || hdr.Get("X-JupyterHub-Version") != "3.0.0" {
		t.Errorf("GET {prefix}api without credentials: %d %s %v", code, b, hdr)
	}
	if code, _, hdr := h.tokenGetH("/user/alice", ""); code/100 != 3 || hdr.Get("Location") != "/user/alice/" || hdr.Get("X-JupyterHub-Version") != "3.0.0" {
		t.Errorf("GET prefix without slash: %d %v", code, hdr)
	}
	if code, _, hdr := h.tokenGetH("/user/alice/api/contents", ""); code != 403 || hdr.Get("X-JupyterHub-Version") != "3.0.0" {
		t.Errorf("anonymous API: %d %v", code, hdr)
	}

	// Tokens: a Hub API token of alice's works with Authorization: token;
	// a service token without access scopes and bob's token do not.
	code, tokb := h.hubAPI("POST", "/users/alice/tokens", h.admin, map[string]any{"note": "quire test"})
	var tok struct{ Token string }
	if json.Unmarshal(tokb, &tok); code != 201 || tok.Token == "" {
		t.Fatalf("create alice's token: %d %s", code, tokb)
	}
	if code, b := h.tokenGet("/user/alice/api/contents/hub.ipynb", tok.Token); code != 200 {
		t.Errorf("alice's API token: %d %s", code, b)
	}
	// No page of this server may be framed (the Hub's origin is shared),
	// except the output sandbox Quire's own pages frame.
	for path, want := range map[string]string{
		"/user/alice/tree/":                   "frame-ancestors 'none'",
		"/user/alice/api/contents":            "frame-ancestors 'none'",
		"/user/alice/files/hub.ipynb":         "frame-ancestors 'none'",
		"/user/alice/static/app/sandbox.html": "frame-ancestors 'self'",
	} {
		code, _, hdr := h.tokenGetH(path, tok.Token)
		if csp := hdr.Values("Content-Security-Policy"); code != 200 || len(csp) != 1 || !strings.HasSuffix(csp[0], want) {
			t.Errorf("%s: %d, CSP %q, want one ending in %s", path, code, csp, want)
		}
	}
	if code, b := h.tokenGet("/user/alice/api/contents", h.noAuth); code != 403 {
		t.Errorf("token without access scope: %d %s, want 403", code, b)
	}
	if code, b := h.tokenGet("/user/alice/api/contents", "not-a-token"); code != 403 {
		t.Errorf("unknown token: %d %s, want 403", code, b)
	}
	if code, b := h.tokenGet("/user/alice/api/contents", ""); code != 403 {
		t.Errorf("anonymous API request: %d %s, want 403", code, b)
	}
	if code, b := h.tokenGet("/user/alice/api/contents", h.admin); code != 200 {
		t.Errorf("admin service token: %d %s", code, b)
	}
	if code, b := h.tokenGet("/user/alice/nb3/api/contents", tok.Token); code != 404 {
		t.Errorf("unknown path under the prefix: %d %s, want 404", code, b)
	}

	// Another Hub user: the Hub refuses bob at authorize, and bob's token
	// is refused by Quire.
	bob := h.login("bob")
	if code, _, at := bob.get("/user/alice/tree/"); code != 403 {
		t.Errorf("bob at alice's server: %d at %s, want 403", code, at)
	}
	code, bt := h.hubAPI("POST", "/users/bob/tokens", h.admin, map[string]any{"note": "quire test"})
	var btok struct{ Token string }
	if json.Unmarshal(bt, &btok); code != 201 {
		t.Fatalf("create bob's token: %d %s", code, bt)
	}
	if code, b := h.tokenGet("/user/alice/api/contents", btok.Token); code != 403 {
		t.Errorf("bob's token at alice's server: %d %s, want 403", code, b)
	}

	// Activity: with JUPYTERHUB_ACTIVITY_INTERVAL=2 the Hub learns of the
	// cell run within a few seconds (the proxy is polled hourly here).
	deadline := time.Now().Add(15 * time.Second)
	for {
		la, err := time.Parse(time.RFC3339Nano, h.servers("alice")[""].LastActivity)
		// Quire's reports, as the Hub logs them: the one at the first
		// request, then every interval.
		posts := strings.Count(h.out.String(), "200 POST /hub/api/users/alice/activity")
		if err == nil && !la.Before(ranAt.Add(-time.Second)) && posts >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the Hub's last_activity for alice %v (%v), %d activity reports; want one after the cell run at %s and at least 2 reports",
				la, err, posts, ranAt.UTC())
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	// What counts as activity (spec §9.5), with the kernel's and the
	// terminal's WebSockets open and no other request: the UI's background
	// polls (?no_track_activity, api/status) leave the Hub's last_activity
	// alone; a cell run and terminal input over the open WebSockets move
	// it. Each wait spans more than two reports (every 2 s ± 10 %).
	lastActivity := func() time.Time {
		la, err := time.Parse(time.RFC3339Nano, h.servers("alice")[""].LastActivity)
		if err != nil {
			t.Fatalf("the Hub's last_activity for alice: %v", err)
		}
		return la
	}
	settle := func() time.Time {
		time.Sleep(5 * time.Second)
		return lastActivity()
	}
	movesPast := func(what string, base time.Time) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !lastActivity().After(base) {
			if time.Now().After(deadline) {
				t.Errorf("%s did not move the Hub's last_activity past %s", what, base.UTC())
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	base := settle()
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		if code, b := alice.api("GET", "/user/alice/api/contents?no_track_activity=1", nil); code != 200 {
			t.Fatalf("background poll: %d %s", code, b)
		}
		if code, b := alice.api("GET", "/user/alice/api/status", nil); code != 200 {
			t.Fatalf("status poll: %d %s", code, b)
		}
	}
	if la := settle(); !la.Equal(base) {
		t.Errorf("background polls moved the Hub's last_activity from %s to %s", base.UTC(), la.UTC())
	}
	if r := w.execute("print(7*6)", 60*time.Second); strings.TrimSpace(r.Stdout) != "42" {
		t.Errorf("cell output %q, want 42", r.Stdout)
	}
	movesPast("a cell run over the open WebSocket", base)
	base = settle()
	_ = tc.Write(ctx, websocket.MessageText, []byte(`["stdin", "echo typed-$((6*7))\r"]`))
	movesPast("terminal input over the open WebSocket", base)

	// A named server beside the default one, with its own prefix, OAuth
	// client and cookie.
	if code, b := h.hubAPI("POST", "/users/alice/servers/nb2", h.admin, nil); code != 201 && code != 202 {
		t.Fatalf("start named server: %d %s", code, b)
	}
	h.waitReady("alice", "nb2")
	if code, _, at := alice.get("/user/alice/nb2/"); code != 200 || at.Path != "/user/alice/nb2/tree/" {
		t.Errorf("named server: %d at %s", code, at)
	}
	if code, me := alice.api("GET", "/user/alice/nb2/api/me", nil); code != 200 || !strings.Contains(string(me), `"alice"`) {
		t.Errorf("named server /api/me: %d %s", code, me)
	}
	if code, b := h.tokenGet("/user/alice/nb2/api/contents/hub.ipynb", tok.Token); code != 200 {
		t.Errorf("alice's token on nb2: %d %s", code, b)
	}

	// Logout: Quire clears its cookie and sends the browser to the Hub's
	// logout, which ends the Hub session; the API then refuses the browser.
	if code, _, at := alice.get("/user/alice/logout"); at.Path != "/hub/login" {
		t.Errorf("logout ended at %d %s, want the Hub's login page", code, at)
	}
	if code, b := alice.api("GET", "/user/alice/api/me", nil); code != 403 {
		t.Errorf("after logout: %d %s, want 403", code, b)
	}
	// The audit log (relative to the server's directory, alice's home;
	// her two servers share it) has her sign-ins through the Hub and the
	// logout.
	var hubLogins, logouts int
	for _, r := range readAudit(t, filepath.Join(h.homes, "alice", "quire-audit.log")) {
		switch {
		case r.str("event") == "login.success" && r.str("method") == "hub_oauth" && r.str("user") == "alice":
			hubLogins++
		case r.str("event") == "logout" && r.str("method") == "hub_oauth" && r.str("user") == "alice":
			logouts++
		}
	}
	if hubLogins == 0 || logouts != 1 {
		t.Errorf("audit log: %d Hub sign-ins and %d logouts of alice, want at least 1 and 1", hubLogins, logouts)
	}

	// Stop from the Hub's API: the Hub sends SIGINT; Quire stops at once.
	for _, path := range []string{"/users/alice/servers/nb2", "/users/alice/server"} {
		stopAt := time.Now()
		code, b := h.hubAPI("DELETE", path, h.admin, nil)
		if code != 204 && code != 202 {
			t.Fatalf("stop %s: %d %s", path, code, b)
		}
		deadline = time.Now().Add(10 * time.Second)
		for {
			srv := h.servers("alice")
			name := strings.TrimPrefix(path, "/users/alice/servers/")
			if path == "/users/alice/server" {
				name = ""
			}
			if _, running := srv[name]; !running {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still running 10 s after DELETE", path)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if d := time.Since(stopAt); d > 5*time.Second {
			t.Errorf("stopping %s took %s", path, d)
		} else {
			t.Logf("stopped %s in %s", path, d.Round(time.Millisecond))
		}
	}
	if code, _ := h.tokenGet("/user/alice/api/contents", tok.Token); code == 200 {
		t.Error("the stopped server still answers")
	}
}

// hubEscapedUser is a name JupyterHub escapes in URLs (quote(name,
// safe='@~')): its server lives at hubEscapedPrefix.
const (
	hubEscapedUser   = "zoë+test@ex.org"
	hubEscapedPrefix = "/user/zo%C3%AB%2Btest@ex.org/"
)

// setCookies records the Set-Cookie headers of the responses to requests
// under the prefix, and the OAuth callback URLs, as a browser's network
// panel would show them.
type setCookies struct {
	rt        http.RoundTripper
	mu        sync.Mutex
	seen      []*http.Cookie
	callbacks []string
}

func (s *setCookies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.rt.RoundTrip(r)
	if err == nil && strings.HasPrefix(r.URL.EscapedPath(), hubEscapedPrefix) {
		s.mu.Lock()
		s.seen = append(s.seen, resp.Cookies()...)
		if r.URL.EscapedPath() == hubEscapedPrefix+"oauth_callback" {
			s.callbacks = append(s.callbacks, r.URL.String())
		}
		s.mu.Unlock()
	}
	return resp, err
}

// TestHubEscapedNames: a user whose name the Hub escapes in URLs spawns
// through the real Hub, goes through the OAuth dance, loads the UI, saves
// a notebook and runs a cell over the WebSocket; the cookies Quire sets
// are scoped to the prefix as the Hub spells it (browsers compare it with
// the raw request path), and so are the links the UI gets.
func TestHubEscapedNames(t *testing.T) {
	h := startHub(t)
	zoe := h.login(hubEscapedUser)
	rec := &setCookies{rt: zoe.c.Transport}
	zoe.c.Transport = rec
	name := url.PathEscape(hubEscapedUser)

	code, body, at := zoe.get("/hub/spawn/" + name)
	if at.Path == "/hub/spawn-pending/"+hubEscapedUser { // not ready within the Hub's wait
		h.waitReady(name, "")
		code, body, at = zoe.get("/hub/user/" + name + "/")
	}
	if code != 200 || at.EscapedPath() != hubEscapedPrefix+"tree/" {
		t.Fatalf("spawn: %d at %s, want %stree/\n%s", code, at.EscapedPath(), hubEscapedPrefix, tail(body, 500))
	}
	// The UI's base and its asset links, in the Hub's spelling.
	if !strings.Contains(body, `<meta name="quire-base" content="`+hubEscapedPrefix+`"`) {
		t.Errorf("the page does not give the UI its base %s:\n%s", hubEscapedPrefix, tail(body, 800))
	}
	asset := regexp.MustCompile(`src="([^"]+\.js)"`).FindStringSubmatch(body)
	if asset == nil || !strings.HasPrefix(asset[1], hubEscapedPrefix+"static/app/") {
		t.Errorf("script link %v, want one under %sstatic/app/", asset, hubEscapedPrefix)
	} else if code, _, _ := zoe.get(asset[1]); code != 200 {
		t.Errorf("GET %s: %d", asset[1], code)
	}
	// Every cookie the server set is scoped to the escaped prefix.
	rec.mu.Lock()
	names := map[string]string{}
	for _, c := range rec.seen {
		names[c.Name] = c.Path
	}
	rec.mu.Unlock()
	for _, want := range []string{"jupyterhub-user-zo%C3%AB%2Btest%40ex.org", "jupyterhub-user-zo%C3%AB%2Btest%40ex.org-oauth-state", "_xsrf"} {
		if p, ok := names[want]; !ok || p != hubEscapedPrefix {
			t.Errorf("cookie %s: path %q (set: %v), want %s", want, p, names, hubEscapedPrefix)
		}
	}

	// /api/me names the user, unescaped.
	code, me := zoe.api("GET", hubEscapedPrefix+"api/me", nil)
	var id struct {
		Identity struct{ Username string } `json:"identity"`
	}
	if json.Unmarshal(me, &id); code != 200 || id.Identity.Username != hubEscapedUser {
		t.Errorf("/api/me: %d %s", code, me)
	}

	// A notebook saved (cookie + XSRF) lands in the user's home.
	nb := map[string]any{"type": "notebook", "content": map[string]any{
		"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{},
		"cells": []any{map[string]any{"cell_type": "code", "source": "print(6*7)", "metadata": map[string]any{}, "outputs": []any{}, "execution_count": nil}},
	}}
	if code, b := zoe.api("PUT", hubEscapedPrefix+"api/contents/z%C3%B6.ipynb", nb); code != 201 && code != 200 {
		t.Fatalf("save notebook: %d %s", code, b)
	}
	if _, err := os.Stat(filepath.Join(h.homes, hubEscapedUser, "zö.ipynb")); err != nil {
		t.Errorf("the notebook is not in the user's home: %v", err)
	}

	// A cell over the kernel WebSocket, through the proxy.
	code, kb := zoe.api("POST", hubEscapedPrefix+"api/kernels", map[string]any{"name": "python3"})
	var k struct{ ID string }
	if json.Unmarshal(kb, &k); code != 201 || k.ID == "" {
		t.Fatalf("start kernel: %d %s", code, kb)
	}
	in := &instance{URL: h.URL + hubEscapedPrefix}
	w, resp, err := dialWS(t, in, k.ID, "s-zoe", dialOpts{client: zoe.c, header: http.Header{"Origin": {h.URL}}})
	if err != nil {
		t.Fatalf("kernel WebSocket: %v %v", err, resp)
	}
	if r := w.execute("import os; print(os.environ['JUPYTERHUB_USER'])", 60*time.Second); strings.TrimSpace(r.Stdout) != hubEscapedUser {
		t.Errorf("cell output %q, want %s", r.Stdout, hubEscapedUser)
	}
	w.close()

	// Around the prefix: without its slash → the prefix; the health check
	// path; the decoded spelling reaches the same server; an encoded slash
	// or a dot segment never leaves the prefix for another route.
	if code, _, hdr := h.tokenGetH(strings.TrimSuffix(hubEscapedPrefix, "/"), ""); code/100 != 3 || hdr.Get("Location") != hubEscapedPrefix {
		t.Errorf("GET prefix without slash: %d %v", code, hdr)
	}
	if code, b, _ := h.tokenGetH(hubEscapedPrefix+"api", ""); code != 200 || !strings.Contains(string(b), `"version"`) {
		t.Errorf("GET {prefix}api: %d %s", code, b)
	}
	// Other spellings of the prefix reach the same server (a browser would
	// not send the cookie there, so with a token of the user's).
	code, tokb := h.hubAPI("POST", "/users/"+name+"/tokens", h.admin, map[string]any{"note": "quire test"})
	var tok struct{ Token string }
	if json.Unmarshal(tokb, &tok); code != 201 || tok.Token == "" {
		t.Fatalf("create the user's token: %d %s", code, tokb)
	}
	for _, p := range []string{"/user/zo%c3%ab%2btest@ex.org/", "/user/zo%C3%AB%2Btest%40ex.org/"} {
		if code, b := h.tokenGet(p+"api/contents/z%C3%B6.ipynb", tok.Token); code != 200 {
			t.Errorf("the prefix spelt %s: %d %s", p, code, b)
		}
	}
	// An encoded ../ after the prefix reaches nothing of this server's.
	for _, p := range []string{hubEscapedPrefix[:len(hubEscapedPrefix)-1] + "%2F..%2Fapi/contents", hubEscapedPrefix + "%2E%2E/%2E%2E/user/alice/api/contents"} {
		if code, b := h.tokenGet(p, tok.Token); code == 200 {
			t.Errorf("GET %s: %d %s", p, code, b)
		}
	}

	// The callback URL again (a reload, a bookmark): the signed-in browser
	// goes on to its page; a browser signed in to the Hub only is sent
	// through the login once and lands under the prefix; neither gets an
	// error or a loop.
	rec.mu.Lock()
	cb := rec.callbacks
	rec.mu.Unlock()
	if len(cb) != 1 {
		t.Fatalf("OAuth callbacks seen: %q, want one", cb)
	}
	path := strings.TrimPrefix(cb[0], h.URL)
	if code, body, at := zoe.get(path); code != 200 || !strings.HasPrefix(at.EscapedPath(), hubEscapedPrefix) {
		t.Errorf("replayed callback, signed in: %d at %s\n%s", code, at, tail(body, 300))
	}
	other := h.login(hubEscapedUser) // another browser: the Hub's cookie, none of Quire's
	if code, body, at := other.get(path); code != 200 || at.EscapedPath() != hubEscapedPrefix+"tree/" {
		t.Errorf("replayed callback in a browser without the state cookie: %d at %s\n%s", code, at, tail(body, 300))
	}

	// Logout, in the prefix's spelling: back to the Hub, session gone.
	if code, _, at := zoe.get(hubEscapedPrefix + "logout"); at.Path != "/hub/login" {
		t.Errorf("logout ended at %d %s, want the Hub's login page", code, at)
	}
	if code, b := zoe.api("GET", hubEscapedPrefix+"api/me", nil); code != 403 {
		t.Errorf("after logout: %d %s, want 403", code, b)
	}
}
