package app

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"quire/internal/config"
	"quire/internal/guard/guardtest"
	"quire/internal/kernel"
	"quire/internal/kernelspec"
)

// chainOrigin is where the chain under test pretends to listen.
const (
	chainOrigin = "http://127.0.0.1:8888"
	chainToken  = "c0ffee0123456789c0ffee0123456789c0ffee0123456789"
)

// chain is the whole HTTP handler as the server builds it (access log,
// headers, Host/Origin guard, auth, routes, web UI), with a logged-in
// browser's cookies.
type chain struct {
	base    string
	h       http.Handler
	cookies string // Cookie header of a logged-in browser
	xsrf    string
}

func newChain(t testing.TB, base string) *chain {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{root, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := func(string) (string, bool) { return "", false }
	cfg, err := config.Load([]string{
		"--ip", "127.0.0.1", "--base-url", base, "--token", chainToken, "--root-dir", root,
		"--data-dir", filepath.Join(dir, "data"), "--trust-data-dir", filepath.Join(dir, "trust"),
		"--runtime-dir", filepath.Join(dir, "runtime"),
	}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s := &server{cfg: cfg, env: env, log: log, stdout: io.Discard}
	s.specs = kernelspec.Load(nil, log)
	s.kernels = kernel.NewManager(s.specs, kernel.Options{RuntimeDir: cfg.RuntimeDir, Dial: dialZMQ, Log: log})
	if err := s.credentials(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.conns = s.connLimiter() // as run does before building the handler
	h, closeAll, err := s.handler(func() {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeAll)
	c := &chain{base: cfg.BaseURL, h: h}
	// Log in as a browser does: the token in the address, then the cookie.
	w := c.do(t, "GET", cfg.BaseURL+"tree?token="+chainToken, "", nil)
	if w.Code != http.StatusFound {
		t.Fatalf("token login: status %d", w.Code)
	}
	var parts []string
	for _, ck := range w.Result().Cookies() {
		parts = append(parts, ck.Name+"="+ck.Value)
		if ck.Name == "_xsrf" {
			c.xsrf = ck.Value
		}
	}
	c.cookies = strings.Join(parts, "; ")
	if c.xsrf == "" || len(parts) < 2 {
		t.Fatalf("token login set cookies %q", c.cookies)
	}
	return c
}

// do sends one request, parsed from its raw request line by net/http's own
// parser as the server would. It returns nil when that parser refuses the
// request (the server answers 400 before any handler runs).
func (c *chain) do(t testing.TB, method, target, cookies string, body url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var raw strings.Builder
	raw.WriteString(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n")
	raw.WriteString("Accept: text/html\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\n")
	if cookies != "" {
		raw.WriteString("Cookie: " + cookies + "\r\n")
	}
	enc := body.Encode()
	if body != nil {
		raw.WriteString("Content-Type: application/x-www-form-urlencoded\r\n")
		raw.WriteString("Content-Length: " + strconv.Itoa(len(enc)) + "\r\n")
	}
	raw.WriteString("\r\n" + enc)
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
	if err != nil {
		return nil
	}
	r.RemoteAddr = "127.0.0.1:40000"
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// judge checks a response: a redirect must come from guard.Redirect (it
// alone sets Cache-Control: no-store and writes no body) and keep a browser
// on the server under the base URL. It returns the path the browser goes
// to next, or "" when w is not a redirect.
func (c *chain) judge(t testing.TB, what, target string, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w == nil || w.Code < 300 || w.Code > 399 {
		return ""
	}
	loc := w.Header().Get("Location")
	if err := guardtest.Check(loc, target, chainOrigin, c.base); err != nil {
		t.Fatalf("%s %q: %d: %v", what, target, w.Code, err)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Body.Len() != 0 {
		t.Fatalf("%s %q: %d to %q was not written by guard.Redirect (Cache-Control %q, body %q)",
			what, target, w.Code, loc, w.Header().Get("Cache-Control"), w.Body)
	}
	u, err := guardtest.Resolve(loc, chainOrigin+"/")
	if err != nil {
		t.Fatal(err)
	}
	next := u.Path
	if u.Query != "" {
		next += "?" + u.Query
	}
	return next
}

// try runs every redirecting entry point with target: a logged-in GET
// (trailing slash, path cleaning, missing slash, /api/notebooks), an
// anonymous GET (to login with next), ?token= in the address (token to
// cookie), and login's next, escaped and raw, logged in (GET) and by form
// (POST, only when post is set: each POST starts a session). Each redirect
// is judged and followed for up to three hops.
func (c *chain) try(t testing.TB, target string, post bool) {
	t.Helper()
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	type req struct {
		what, method, target, cookies string
		body                          url.Values
	}
	reqs := []req{
		{"logged-in GET", "GET", target, c.cookies, nil},
		{"anonymous GET", "GET", target, "", nil},
		{"token GET", "GET", target + sep + "token=" + chainToken, c.cookies, nil},
		{"login next (escaped)", "GET", c.base + "login?next=" + url.QueryEscape(target), c.cookies, nil},
		{"login next (raw)", "GET", c.base + "login?next=" + target, c.cookies, nil},
		{"anonymous login next", "GET", c.base + "login?next=" + url.QueryEscape(target), "", nil},
	}
	if post {
		reqs = append(reqs, req{"login POST next", "POST", c.base + "login", "_xsrf=" + c.xsrf,
			url.Values{"password": {chainToken}, "_xsrf": {c.xsrf}, "next": {target}}})
	}
	for _, r := range reqs {
		w := c.do(t, r.method, r.target, r.cookies, r.body)
		next := c.judge(t, r.what, r.target, w)
		for hop := 0; next != "" && hop < 3; hop++ {
			prev := next
			next = c.judge(t, r.what+" (followed)", prev, c.do(t, "GET", prev, c.cookies, nil))
		}
	}
}

// TestRedirectChain sends the issue #14 URLs, the advisories' open-redirect
// cases and the classic payloads through every redirecting entry point of
// the real handler chain, under base URL "/" and "/x/", and checks each
// Location as a browser would follow it.
func TestRedirectChain(t *testing.T) {
	rows := []struct{ name, target string }{
		{"issue14-1", "/.%2F%5Cevil.com/"},
		{"issue14-2", "/%09//evil.com/"},
		{"issue14-3", "/x/..%2F%5Cevil.com/"},
		{"issue14-4", "/x/a%2F..%2F..%2F%5Cevil.com/"},
		{"CVE-2019-10255-next-scheme-relative", "//evil.com"},
		{"CVE-2019-10856-next-empty-netloc", "///evil.com"},
		{"CVE-2019-10856-next-backslash", "/\\evil.com"},
		{"CVE-2020-26215-trailing-slash-encoded", "/%2F%2Fevil.com/"},
		{"CVE-2020-26232-trailing-slash-double-slash", "//evil.com/"},
		{"CVE-2020-26275-trailing-slash-backslash", "/%5Cevil.com/"},
		{"CVE-2023-39968-login-next-scheme", "https:evil.com"},
		{"CVE-2023-39968-login-next-url", "http://evil.com/x/"},
		{"jupyterhub-1908-double-slash", "//evil.com/x/tree"},
		{"CVE-2026-33709-next-path-confusion", "/x/../..//evil.com"},
		{"jupyter_server-2.18-login-open-redirect", "/\\/evil.com"},
	}
	for _, base := range []string{"/", "/x/"} {
		c := newChain(t, base)
		for _, row := range rows {
			t.Run(strings.Trim(base, "/")+"/"+row.name, func(t *testing.T) {
				c.try(t, row.target, true)
				if base != "/" {
					c.try(t, strings.TrimSuffix(base, "/")+row.target, false)
				}
			})
		}
		for _, p := range guardtest.Payloads() {
			c.try(t, p, false)
		}
	}
}

// TestRedirectChainKeepsWorking pins the redirects that must still happen,
// now that they all go through guard.Redirect.
func TestRedirectChainKeepsWorking(t *testing.T) {
	for _, base := range []string{"/", "/x/"} {
		c := newChain(t, base)
		b := c.base
		for _, tc := range []struct {
			method, target, cookies string
			code                    int
			loc                     string
		}{
			{"GET", b + "api/status/", c.cookies, 302, b + "api/status"},
			{"GET", b + "api/status/?a=1", c.cookies, 302, b + "api/status?a=1"},
			{"GET", b + "nope/", c.cookies, 302, b + "nope"},
			{"GET", b + "files", c.cookies, 307, b + "files/"},
			{"GET", b + "a/../api/status", c.cookies, 307, b + "api/status"},
			{"GET", b + "api//status", c.cookies, 307, b + "api/status"},
			{"GET", b + "api/notebooks/sub?x=1", c.cookies, 302, b + "api/contents/sub?x=1"},
			{"GET", b + "tree/a%20b.ipynb?token=" + chainToken, c.cookies, 302, b + "tree/a%20b.ipynb"},
			{"GET", b + "tree?x=1&token=" + chainToken, c.cookies, 302, b + "tree?x=1"},
			{"GET", b + "tree", "", 302, b + "login?next=" + url.QueryEscape(b+"tree")},
			{"GET", b + "login?next=" + url.QueryEscape(b+"tree/a.ipynb"), c.cookies, 302, b + "tree/a.ipynb"},
			{"GET", b + "login?next=%2F%2Fevil.com", c.cookies, 302, b},
			{"GET", "/.%2F%5Cevil.com/", c.cookies, 404, ""},
			{"CONNECT", b + "files?token=" + chainToken, "", 405, ""},
		} {
			w := c.do(t, tc.method, tc.target, tc.cookies, nil)
			if w == nil {
				t.Fatalf("%s %s: refused by the request parser", tc.method, tc.target)
			}
			if w.Code != tc.code || w.Header().Get("Location") != tc.loc {
				t.Errorf("%s %s: %d Location %q, want %d %q", tc.method, tc.target, w.Code, w.Header().Get("Location"), tc.code, tc.loc)
			}
		}
		if base != "/" {
			w := c.do(t, "POST", "/x?token="+chainToken, "", url.Values{})
			if w.Code != 307 || w.Header().Get("Location") != "/x/?token="+chainToken {
				t.Errorf("POST /x: %d %q, want 307 /x/?token=…", w.Code, w.Header().Get("Location"))
			}
		}
	}
}

// FuzzRedirectChain sends random request targets through every redirecting
// entry point of the real handler chain (see chain.try) under base URL "/"
// and "/x/"; any Location a browser would follow off the server or out of
// the base URL fails.
func FuzzRedirectChain(f *testing.F) {
	for _, p := range guardtest.Payloads() {
		f.Add(p)
	}
	chains := []*chain{newChain(f, "/"), newChain(f, "/x/")}
	f.Fuzz(func(t *testing.T, target string) {
		if len(target) > 2048 {
			return
		}
		for _, c := range chains {
			c.try(t, target, false)
		}
	})
}
