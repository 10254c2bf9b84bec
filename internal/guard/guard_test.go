package guard_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"quire/internal/guard"
)

func mustNew(t *testing.T, o guard.Options) *guard.Guard {
	t.Helper()
	g, err := guard.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// reached is a handler that records that it ran and what Cookie it saw.
type reached struct {
	ran    bool
	cookie string
}

func (h *reached) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ran = true
	h.cookie = r.Header.Get("Cookie")
	w.WriteHeader(http.StatusOK)
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    guard.Options
		want string // substring of the error
	}{
		{"star origin", guard.Options{AllowOrigins: []string{"*"}}, "every web site"},
		{"null origin", guard.Options{AllowOrigins: []string{"null"}}, "sandboxed"},
		{"origin with path", guard.Options{AllowOrigins: []string{"https://a.example/x"}}, "no user, path"},
		{"origin without scheme", guard.Options{AllowOrigins: []string{"a.example"}}, "scheme"},
		{"origin ftp", guard.Options{AllowOrigins: []string{"ftp://a.example"}}, "scheme"},
		{"origin wildcard", guard.Options{AllowOrigins: []string{"https://*.example"}}, "wildcard"},
		{"origin userinfo", guard.Options{AllowOrigins: []string{"https://u@a.example"}}, "no user"},
		{"host wildcard", guard.Options{AllowHosts: []string{"*.example"}}, "wildcards"},
		{"host empty", guard.Options{AllowHosts: []string{""}}, "plain host"},
		{"host bad port", guard.Options{AllowHosts: []string{"a.example:8888.evil.com"}}, "plain host"},
		{"host userinfo", guard.Options{AllowHosts: []string{"u@a.example"}}, "plain host"},
		{"origin bad port", guard.Options{AllowOrigins: []string{"https://a.example:0"}}, "port from 1 to 65535"},
		{"bad proxy", guard.Options{TrustedProxies: []netip.Prefix{{}}}, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := guard.New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestHostCheck(t *testing.T) {
	g := mustNew(t, guard.Options{HostCheck: true, AllowHosts: []string{"Quire.Example", "10.0.0.5", "[fd00::1]:99"}})
	open := mustNew(t, guard.Options{HostCheck: false})
	// want: "" = allowed; "hint" = a well-formed host that is not allowed
	// (the refusal names --allow-host); "malformed" = not host[:port] at all.
	const ok, hint, malformed = "", "hint", "malformed"
	for _, tc := range []struct {
		host string
		want string
	}{
		{"localhost", ok},
		{"localhost:8888", ok},
		{"LOCALHOST:8888", ok},
		{"localhost.", ok},
		{"localhost.:8888", ok},
		{"app.localhost:8888", ok},
		{"127.0.0.1", ok},
		{"127.0.0.1:8888", ok},
		{"127.1.2.3:8888", ok},
		{"[::1]", ok},
		{"[::1]:8888", ok},
		{"[::ffff:127.0.0.1]:8888", ok},
		{"quire.example", ok},
		{"QUIRE.example:443", ok},
		{"10.0.0.5:8888", ok},
		{"[fd00::1]:8888", ok},
		{"localhost:1", ok},
		{"localhost:65535", ok},
		{"localhost:08888", ok},
		{"attacker.example", hint},
		{"attacker.example:8888", hint},
		{"localhost.attacker.example", hint},
		{"localhostx", hint},
		{"notlocalhost", hint},
		{"quire.example.attacker.example", hint},
		{"127.0.0.1.attacker.example", hint},
		{"0x7f.0.0.1", hint},
		{"2130706433", hint},
		{"10.0.0.6", hint},
		{"[::2]:8888", hint},
		{"0.0.0.0:8888", hint},

		// Issue #14 hole 9: the port part must be a port, and the whole
		// value host[:port], or the name check is bypassed.
		{"localhost:18888.evil.com", malformed},
		{"127.0.0.1:8888.evil.com", malformed},
		{"[::1]:8888.evil.com", malformed},
		{"localhost:8888:evil.com", malformed},
		{"localhost:0x50", malformed},
		{"localhost:+80", malformed},
		{"localhost:-1", malformed},
		{"localhost:", malformed},
		{"[::1]:", malformed},
		{"localhost:0", malformed},
		{"localhost:65536", malformed},
		{"localhost:99999", malformed},
		{"localhost:000008888", malformed},
		{"localhost: 8888", malformed},
		{"localhost:8888 ", malformed},
		{"localhost:8888/", malformed},
		{"localhost:8888?", malformed},
		{"localhost:8888#x", malformed},
		{"localhost:8888@evil.com", malformed},
		{"evil.com@localhost", malformed},
		{"user:pass@localhost:8888", malformed},
		{"localhost%2eevil.com", malformed},
		{"localhost\\evil.com", malformed},
		{"localhost/evil.com", malformed},
		{"localhost..", malformed},
		{".localhost", malformed},
		{"local host", malformed},
		{"::1", malformed},
		{"::1:8888", malformed},
		{"[::1", malformed},
		{"[::1]x", malformed},
		{"[::1]]:8888", malformed},
		{"[127.0.0.1]:8888", malformed},
		{"[fe80::1%25lo]:8888", malformed},
		{"[localhost]:8888", malformed},
		{"ｌｏｃａｌｈｏｓｔ", malformed},
		{"", malformed},
	} {
		t.Run(tc.host, func(t *testing.T) {
			h := &reached{}
			req := httptest.NewRequest("GET", "/api/status", nil)
			req.Host = tc.host
			rec := httptest.NewRecorder()
			g.HostOrigin(h).ServeHTTP(rec, req)
			if h.ran != (tc.want == ok) {
				t.Fatalf("Host %q: handler ran = %v, want %v (status %d)", tc.host, h.ran, tc.want == ok, rec.Code)
			}
			if tc.want != ok {
				if rec.Code != http.StatusForbidden {
					t.Errorf("status = %d, want 403", rec.Code)
				}
				var body struct{ Message string }
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("body %q: %v", rec.Body, err)
				}
				wantMsg := "--allow-host"
				if tc.want == malformed {
					wantMsg = "not a valid host"
				}
				if !strings.Contains(body.Message, wantMsg) {
					t.Errorf("message %q lacks %q", body.Message, wantMsg)
				}
			}
			// Without HostCheck every Host passes.
			h2 := &reached{}
			open.HostOrigin(h2).ServeHTTP(httptest.NewRecorder(), req)
			if !h2.ran {
				t.Errorf("Host %q refused without HostCheck", tc.host)
			}
		})
	}
}

func TestHostCheckUnixSocket(t *testing.T) {
	g := mustNew(t, guard.Options{HostCheck: true})
	h := &reached{}
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "anything.example"
	ctx := context.WithValue(req.Context(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/run/quire.sock", Net: "unix"})
	g.HostOrigin(h).ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx))
	if !h.ran {
		t.Fatal("request over a Unix socket refused by the Host check")
	}
}

func TestHostCheckForwardedHost(t *testing.T) {
	g := mustNew(t, guard.Options{
		HostCheck:      true,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	for _, tc := range []struct {
		host, fwd string
		ok        bool
	}{
		{"localhost:8888", "", true},
		{"localhost:8888", "localhost:8888", true},
		{"localhost:8888", "attacker.example", false},
		// A rebinding page can add X-Forwarded-Host; Host still decides.
		{"attacker.example", "localhost", false},
	} {
		h := &reached{}
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "127.0.0.1:5000"
		req.Host = tc.host
		if tc.fwd != "" {
			req.Header.Set("X-Forwarded-Host", tc.fwd)
		}
		g.HostOrigin(h).ServeHTTP(httptest.NewRecorder(), req)
		if h.ran != tc.ok {
			t.Errorf("Host %q, X-Forwarded-Host %q: ran = %v, want %v", tc.host, tc.fwd, h.ran, tc.ok)
		}
	}
}

func TestOrigin(t *testing.T) {
	g := mustNew(t, guard.Options{
		AllowOrigins:   []string{"https://allowed.example", "http://dev.example:3000", "https://port.example:443"},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	const host = "quire.example:8888"
	type hdr = map[string]string
	for _, tc := range []struct {
		name    string
		method  string
		target  string
		remote  string
		tls     bool
		headers hdr
		status  int  // 0: handler runs
		cookie  bool // handler still sees the Cookie
		cors    bool // Access-Control-Allow-Origin echoed
	}{
		{name: "no origin", method: "POST", headers: hdr{"Cookie": "c=1"}, cookie: true},
		{name: "same origin", method: "POST", headers: hdr{"Origin": "http://quire.example:8888", "Cookie": "c=1"}, cookie: true},
		{name: "same origin upper case", method: "POST", headers: hdr{"Origin": "HTTP://Quire.Example:8888", "Cookie": "c=1"}, cookie: true},
		{name: "same origin GET", method: "GET", headers: hdr{"Origin": "http://quire.example:8888"}, cookie: false},
		{name: "scheme differs", method: "POST", tls: true, headers: hdr{"Origin": "http://quire.example:8888", "Cookie": "c=1"}, status: 403},
		{name: "same origin over TLS", method: "POST", tls: true, headers: hdr{"Origin": "https://quire.example:8888", "Cookie": "c=1"}, cookie: true},
		{name: "port differs", method: "POST", headers: hdr{"Origin": "http://quire.example:8889", "Cookie": "c=1"}, status: 403},
		{name: "cross origin with cookie", method: "POST", headers: hdr{"Origin": "https://evil.example", "Cookie": "c=1"}, status: 403},
		{name: "cross origin GET", method: "GET", headers: hdr{"Origin": "https://evil.example", "Cookie": "c=1"}, status: 403},
		{name: "cross origin DELETE", method: "DELETE", headers: hdr{"Origin": "https://evil.example"}, status: 403},
		{name: "null origin", method: "POST", headers: hdr{"Origin": "null", "Cookie": "c=1"}, status: 403},
		{name: "null origin static asset", method: "GET", target: "/static/app/sandbox.js", headers: hdr{"Origin": "null", "Cookie": "c=1"}, cookie: false},
		{name: "cross origin static HEAD", method: "HEAD", target: "/static/app/assets/a.js", headers: hdr{"Origin": "https://evil.example", "Cookie": "c=1"}, cookie: false},
		{name: "null origin static POST", method: "POST", target: "/static/app/sandbox.js", headers: hdr{"Origin": "null", "Cookie": "c=1"}, status: 403},
		{name: "null origin unclean static path", method: "GET", target: "/static/app/../../api/contents", headers: hdr{"Origin": "null", "Cookie": "c=1"}, status: 403},
		{name: "null origin static outside the UI", method: "GET", target: "/static/login/login.css", headers: hdr{"Origin": "null", "Cookie": "c=1"}, status: 403},
		{name: "null origin page", method: "GET", target: "/tree", headers: hdr{"Origin": "null", "Cookie": "c=1"}, status: 403},
		{name: "allowed exact", method: "POST", headers: hdr{"Origin": "https://allowed.example", "Cookie": "c=1"}, cookie: true, cors: true},
		{name: "allowed with port", method: "PUT", headers: hdr{"Origin": "http://dev.example:3000", "Cookie": "c=1"}, cookie: true, cors: true},
		{name: "allowed default port canonical", method: "PUT", headers: hdr{"Origin": "https://port.example", "Cookie": "c=1"}, cookie: true, cors: true},
		{name: "allowed wrong port", method: "PUT", headers: hdr{"Origin": "http://dev.example:3001", "Cookie": "c=1"}, status: 403},
		{name: "allowed wrong scheme", method: "POST", headers: hdr{"Origin": "http://allowed.example", "Cookie": "c=1"}, status: 403},
		{name: "prefix trick", method: "POST", headers: hdr{"Origin": "https://allowed.example.evil.com", "Cookie": "c=1"}, status: 403},
		{name: "suffix trick", method: "POST", headers: hdr{"Origin": "https://evilallowed.example", "Cookie": "c=1"}, status: 403},
		{name: "trailing slash trick", method: "POST", headers: hdr{"Origin": "https://allowed.example/", "Cookie": "c=1"}, status: 403},
		{name: "host as origin prefix", method: "POST", headers: hdr{"Origin": "http://quire.example:8888.evil.com", "Cookie": "c=1"}, status: 403},
		{name: "token header cross origin", method: "POST", headers: hdr{"Origin": "https://evil.example", "Authorization": "token abc", "Cookie": "c=1"}, cookie: false},
		{name: "token query cross origin", method: "POST", target: "/api/contents?token=abc", headers: hdr{"Origin": "https://evil.example", "Cookie": "c=1"}, cookie: false},
		{name: "empty token query", method: "POST", target: "/api/contents?token=", headers: hdr{"Origin": "https://evil.example", "Cookie": "c=1"}, status: 403},
		{name: "sec-fetch-site cross POST", method: "POST", headers: hdr{"Sec-Fetch-Site": "cross-site", "Cookie": "c=1"}, status: 403},
		{name: "sec-fetch-site cross GET", method: "GET", headers: hdr{"Sec-Fetch-Site": "cross-site", "Cookie": "c=1"}, cookie: true},
		{name: "sec-fetch-site same-origin POST", method: "POST", headers: hdr{"Sec-Fetch-Site": "same-origin", "Cookie": "c=1"}, cookie: true},
		{name: "sec-fetch-site cross with token", method: "POST", headers: hdr{"Sec-Fetch-Site": "cross-site", "Authorization": "token x", "Cookie": "c=1"}},
		{name: "sec-fetch-site cross allowed origin", method: "POST", headers: hdr{"Sec-Fetch-Site": "cross-site", "Origin": "https://allowed.example", "Cookie": "c=1"}, cookie: true, cors: true},
		{name: "websocket cross origin", method: "GET", target: "/api/kernels/k/channels",
			headers: hdr{"Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Cookie": "c=1"}, status: 403},
		{name: "websocket legacy origin header", method: "GET", target: "/api/kernels/k/channels",
			headers: hdr{"Sec-WebSocket-Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket", "Cookie": "c=1"}, status: 403},
		{name: "websocket same origin", method: "GET", target: "/api/kernels/k/channels",
			headers: hdr{"Origin": "http://quire.example:8888", "Connection": "Upgrade", "Upgrade": "websocket", "Cookie": "c=1"}, cookie: true},
		{name: "websocket token query", method: "GET", target: "/api/kernels/k/channels?token=abc",
			headers: hdr{"Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket", "Cookie": "c=1"}},
		{name: "proxy says https", method: "POST", remote: "10.1.2.3:4000",
			headers: hdr{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example", "Origin": "https://public.example", "Cookie": "c=1"}, cookie: true},
		{name: "untrusted peer claims https", method: "POST", remote: "192.0.2.1:4000",
			headers: hdr{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example", "Origin": "https://public.example", "Cookie": "c=1"}, status: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = "/api/contents"
			}
			req := httptest.NewRequest(tc.method, target, nil)
			req.Host = host
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			h := &reached{}
			rec := httptest.NewRecorder()
			g.HostOrigin(h).ServeHTTP(rec, req)
			if tc.status != 0 {
				if h.ran || rec.Code != tc.status {
					t.Fatalf("ran = %v, status = %d; want refusal %d", h.ran, rec.Code, tc.status)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
			} else {
				if !h.ran {
					t.Fatalf("refused with %d: %s", rec.Code, rec.Body)
				}
				if got := h.cookie != ""; got != tc.cookie {
					t.Errorf("handler saw Cookie = %v, want %v", got, tc.cookie)
				}
			}
			acao := rec.Header().Get("Access-Control-Allow-Origin")
			if tc.cors {
				if acao != tc.headers["Origin"] || rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
					t.Errorf("CORS headers = %v", rec.Header())
				}
			} else if acao != "" {
				t.Errorf("Access-Control-Allow-Origin = %q for a non-allowed origin", acao)
			}
			if tc.headers["Origin"] != "" && !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Origin") {
				t.Errorf("Vary lacks Origin: %v", rec.Header())
			}
		})
	}
}

// TestWebSocketRefusedBeforeUpgrade drives a real connection: a cross-origin
// upgrade gets a plain 403, and the handler that would upgrade never runs.
func TestWebSocketRefusedBeforeUpgrade(t *testing.T) {
	g := mustNew(t, guard.Options{HostCheck: true})
	upgraded := false
	srv := httptest.NewServer(g.HostOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgraded = true
		w.WriteHeader(http.StatusSwitchingProtocols)
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/kernels/k/channels", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Cookie", "quire-session=abc")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || upgraded {
		t.Fatalf("status = %d, upgraded = %v; want 403 before upgrade", resp.StatusCode, upgraded)
	}
}

func TestPreflight(t *testing.T) {
	g := mustNew(t, guard.Options{AllowOrigins: []string{"https://allowed.example"}})
	for _, tc := range []struct {
		origin string
		status int
		cors   bool
	}{
		{"https://allowed.example", http.StatusNoContent, true},
		{"https://evil.example", http.StatusForbidden, false},
		{"https://allowed.example.evil.com", http.StatusForbidden, false},
		{"null", http.StatusForbidden, false},
		{"http://quire.example", http.StatusNoContent, false}, // same origin
	} {
		t.Run(tc.origin, func(t *testing.T) {
			h := &reached{}
			req := httptest.NewRequest("OPTIONS", "/api/contents/a.ipynb?token=abc", nil)
			req.Host = "quire.example"
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", "PUT")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			rec := httptest.NewRecorder()
			g.HostOrigin(h).ServeHTTP(rec, req)
			if h.ran {
				t.Error("preflight reached the handler")
			}
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d", rec.Code, tc.status)
			}
			hd := rec.Header()
			if !tc.cors {
				if hd.Get("Access-Control-Allow-Origin") != "" || hd.Get("Access-Control-Allow-Methods") != "" {
					t.Errorf("CORS headers sent: %v", hd)
				}
				return
			}
			for k, want := range map[string]string{
				"Access-Control-Allow-Origin":      tc.origin,
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "GET, PUT, POST, PATCH, DELETE, OPTIONS",
			} {
				if got := hd.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, want := range []string{"authorization", "content-type", "x-xsrftoken", "if-match"} {
				if !strings.Contains(hd.Get("Access-Control-Allow-Headers"), want) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %q", hd.Get("Access-Control-Allow-Headers"), want)
				}
			}
			if hd.Get("Access-Control-Max-Age") == "" {
				t.Error("no Access-Control-Max-Age")
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tree/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
	mux.HandleFunc("GET /go", func(w http.ResponseWriter, r *http.Request) { guard.Redirect(w, http.StatusFound, "/tree/", "/") })
	mux.HandleFunc("GET /files/x", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "sandbox allow-scripts")
	})
	page := "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'"
	api := "default-src 'none'; frame-ancestors 'none'"
	// HSTS goes only on HTTPS requests, with the configured max-age.
	for _, hc := range []struct {
		maxAge time.Duration
		https  bool
		want   string
	}{
		{0, false, ""},
		{0, true, ""},
		{time.Hour, false, ""},
		{time.Hour, true, "max-age=3600"},
		{365 * 24 * time.Hour, true, "max-age=31536000"},
	} {
		g := mustNew(t, guard.Options{HSTSMaxAge: hc.maxAge})
		h := g.Headers(g.HostOrigin(mux))
		for _, tc := range []struct {
			path   string
			status int
			csp    string
		}{
			{"/tree/", 200, page},
			{"/nowhere", 404, page},
			{"/go", 302, page},
			{"/api/status", 200, api},
			{"/api/nowhere", 404, api},
			{"/api", 404, api},
			{"/apix", 404, page},
			{"/files/x", 200, "sandbox allow-scripts"},
		} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", tc.path, nil)
			if hc.https {
				req.TLS = &tls.ConnectionState{}
			}
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("%s: status %d, want %d", tc.path, rec.Code, tc.status)
			}
			hd := rec.Header()
			for k, want := range map[string]string{
				"X-Content-Type-Options":     "nosniff",
				"Referrer-Policy":            "same-origin",
				"X-Frame-Options":            "SAMEORIGIN",
				"Cross-Origin-Opener-Policy": "same-origin",
				"Content-Security-Policy":    tc.csp,
			} {
				if got := hd.Get(k); got != want {
					t.Errorf("%+v %s: %s = %q, want %q", hc, tc.path, k, got, want)
				}
			}
			if got := hd.Get("Strict-Transport-Security"); got != hc.want {
				t.Errorf("%+v %s: HSTS %q, want %q", hc, tc.path, got, hc.want)
			}
			// API answers are never stored (nor redirects, guard.Redirect's
			// own rule); pages and files keep their own rules.
			wantCache := ""
			if tc.csp == api || tc.status == 302 {
				wantCache = "no-store"
			}
			if got := hd.Get("Cache-Control"); got != wantCache {
				t.Errorf("%+v %s: Cache-Control %q, want %q", hc, tc.path, got, wantCache)
			}
		}
	}
	// Refusals by HostOrigin carry the headers too.
	g := mustNew(t, guard.Options{HostCheck: true})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/status", nil)
	req.Host = "attacker.example"
	g.Headers(g.HostOrigin(mux)).ServeHTTP(rec, req)
	if rec.Code != 403 || rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Security-Policy") != api {
		t.Errorf("refusal: %d %v", rec.Code, rec.Header())
	}
}

func TestHeadersBaseURL(t *testing.T) {
	g := mustNew(t, guard.Options{BaseURL: "/quire/"})
	for path, want := range map[string]string{
		"/quire/api/kernels": "default-src 'none'; frame-ancestors 'none'",
		"/api/kernels":       "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'",
		"/quire/tree":        "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'",
	} {
		rec := httptest.NewRecorder()
		g.Headers(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Header().Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: CSP %q, want %q", path, got, want)
		}
	}
}

func TestHSTSBehindProxy(t *testing.T) {
	g := mustNew(t, guard.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, HSTSMaxAge: time.Hour})
	for _, tc := range []struct {
		remote string
		want   bool
	}{{"10.0.0.1:1", true}, {"192.0.2.1:1", false}} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		g.Headers(http.NotFoundHandler()).ServeHTTP(rec, req)
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != tc.want {
			t.Errorf("peer %s: HSTS = %v, want %v", tc.remote, got, tc.want)
		}
	}
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	trusting := mustNew(t, guard.Options{TrustedProxies: proxies})
	plain := mustNew(t, guard.Options{})
	for _, tc := range []struct {
		name      string
		remote    string
		xff       []string
		want      string // with trusted proxies
		wantPlain string // without
	}{
		{"direct", "192.0.2.7:1234", nil, "192.0.2.7", "192.0.2.7"},
		{"direct ipv6", "[2001:db8::1]:1234", nil, "2001:db8::1", "2001:db8::1"},
		{"mapped ipv4", "[::ffff:192.0.2.7]:1234", nil, "192.0.2.7", "192.0.2.7"},
		{"spoof from untrusted", "192.0.2.7:1234", []string{"1.2.3.4"}, "192.0.2.7", "192.0.2.7"},
		{"one proxy", "10.0.0.1:1234", []string{"198.51.100.9"}, "198.51.100.9", "10.0.0.1"},
		{"client prepends a lie", "10.0.0.1:1234", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9", "10.0.0.1"},
		{"two proxies", "10.0.0.1:1234", []string{"198.51.100.9, 10.0.0.2"}, "198.51.100.9", "10.0.0.1"},
		{"several headers", "10.0.0.1:1234", []string{"1.2.3.4", "198.51.100.9", "10.0.0.3"}, "198.51.100.9", "10.0.0.1"},
		{"all trusted", "10.0.0.1:1234", []string{"10.0.0.5, 10.0.0.2"}, "10.0.0.5", "10.0.0.1"},
		{"hop with port", "10.0.0.1:1234", []string{"198.51.100.9:5555"}, "198.51.100.9", "10.0.0.1"},
		{"ipv6 hop", "[::1]:1234", []string{"[2001:db8::2]"}, "2001:db8::2", "::1"},
		{"garbage hop", "10.0.0.1:1234", []string{"1.2.3.4, <script>"}, "10.0.0.1", "10.0.0.1"},
		{"empty header", "10.0.0.1:1234", []string{""}, "10.0.0.1", "10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := trusting.ClientIP(req); got != tc.want {
				t.Errorf("trusting: ClientIP = %q, want %q", got, tc.want)
			}
			if got := plain.ClientIP(req); got != tc.wantPlain {
				t.Errorf("plain: ClientIP = %q, want %q", got, tc.wantPlain)
			}
		})
	}
}

func TestClientIPUnix(t *testing.T) {
	g := mustNew(t, guard.Options{})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "@"
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/s", Net: "unix"}))
	if got := g.ClientIP(req); got != "unix" {
		t.Errorf("ClientIP = %q, want unix", got)
	}
}

func TestIsSecure(t *testing.T) {
	g := mustNew(t, guard.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for _, tc := range []struct {
		remote string
		tls    bool
		proto  string
		want   bool
	}{
		{"192.0.2.1:1", false, "", false},
		{"192.0.2.1:1", true, "", true},
		{"192.0.2.1:1", false, "https", false},
		{"10.0.0.1:1", false, "https", true},
		{"10.0.0.1:1", false, "HTTPS", true},
		{"10.0.0.1:1", false, "http", false},
		{"10.0.0.1:1", false, "https, http", false},
		{"10.0.0.1:1", false, "http, https", true},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		if tc.tls {
			req.TLS = &tls.ConnectionState{}
		}
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := g.IsSecure(req); got != tc.want {
			t.Errorf("%s tls=%v proto=%q: IsSecure = %v, want %v", tc.remote, tc.tls, tc.proto, got, tc.want)
		}
	}
}

// TestFrameNone: in hub mode every response says frame-ancestors 'none',
// merged into the handler's own policy, except the output sandbox page
// that Quire's pages frame.
func TestFrameNone(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /u/tree/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'; object-src 'none'")
		w.Write([]byte("page"))
	})
	mux.HandleFunc("GET /u/files/x", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'self'")
		http.ServeContent(w, r, "x", time.Time{}, strings.NewReader("data"))
	})
	mux.HandleFunc("GET /u/static/app/sandbox.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "sandbox allow-scripts; frame-ancestors 'self'")
	})
	mux.HandleFunc("GET /u/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		http.NewResponseController(w).Flush()
	})
	for _, tc := range []struct {
		frameNone bool
		path      string
		csp, xfo  string
	}{
		{true, "/u/tree/", "default-src 'self'; object-src 'none'; frame-ancestors 'none'", "DENY"},
		{true, "/u/files/x", "sandbox; default-src 'none'; frame-ancestors 'none'", "DENY"},
		{true, "/u/stream", "frame-ancestors 'none'", "DENY"},
		{true, "/u/api/nowhere", "default-src 'none'; frame-ancestors 'none'", "DENY"},
		{true, "/u/nowhere", "base-uri 'self'; form-action 'self'; object-src 'none'; frame-ancestors 'none'", "DENY"},
		{true, "/u/static/app/sandbox.html", "sandbox allow-scripts; frame-ancestors 'self'", "SAMEORIGIN"},
		{false, "/u/tree/", "default-src 'self'; frame-ancestors 'self'; object-src 'none'", "SAMEORIGIN"},
	} {
		g := mustNew(t, guard.Options{BaseURL: "/u/", FrameNone: tc.frameNone})
		rec := httptest.NewRecorder()
		g.Headers(mux).ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if got := rec.Header().Values("Content-Security-Policy"); len(got) != 1 || got[0] != tc.csp {
			t.Errorf("FrameNone=%v %s: CSP %q, want %q", tc.frameNone, tc.path, got, tc.csp)
		}
		if got := rec.Header().Get("X-Frame-Options"); got != tc.xfo {
			t.Errorf("FrameNone=%v %s: X-Frame-Options %q, want %q", tc.frameNone, tc.path, got, tc.xfo)
		}
	}
}

// TestTLSProxies: with JupyterHub's internal SSL the TLS hop is the
// proxy's; a peer with a verified client certificate is a trusted proxy
// whose X-Forwarded-Proto says what the browser used.
func TestTLSProxies(t *testing.T) {
	g := mustNew(t, guard.Options{TLSProxies: true})
	verified := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{}}}}
	for _, tc := range []struct {
		state *tls.ConnectionState
		proto string
		want  bool
	}{
		{verified, "", false},
		{verified, "http", false},
		{verified, "https", true},
		{verified, "wss", true},
		{verified, "ws", false},
		{&tls.ConnectionState{}, "https", false}, // no client certificate: not a proxy
		{nil, "https", false},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.TLS = tc.state
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := g.IsSecure(req); got != tc.want {
			t.Errorf("tls=%v proto=%q: IsSecure = %v, want %v", tc.state != nil, tc.proto, got, tc.want)
		}
	}
}

// TestOriginAnyScheme: behind JupyterHub's proxy, which may end the
// browser's TLS without Quire trusting its headers, the page's https
// origin is the server's own when its host and port are the request's;
// another host, or another port, is still cross-origin.
func TestOriginAnyScheme(t *testing.T) {
	for _, tc := range []struct {
		name      string
		anyScheme bool
		host      string
		origin    string
		want      int // 0: handler runs
	}{
		{"https page behind the Hub", true, "hub.example.org", "https://hub.example.org", 0},
		{"https page, explicit default port", true, "hub.example.org:443", "https://hub.example.org", 0},
		{"http page behind the Hub", true, "hub.example.org", "http://hub.example.org", 0},
		{"https page on a port", true, "hub.example.org:8443", "https://hub.example.org:8443", 0},
		{"another port", true, "hub.example.org:8443", "https://hub.example.org", 403},
		{"another host", true, "hub.example.org", "https://evil.example.org", 403},
		{"a host under the Hub's", true, "hub.example.org", "https://x.hub.example.org", 403},
		{"null", true, "hub.example.org", "null", 403},
		{"off: https page refused", false, "hub.example.org", "https://hub.example.org", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustNew(t, guard.Options{OriginAnyScheme: tc.anyScheme})
			for _, ws := range []bool{false, true} {
				req := httptest.NewRequest("GET", "/api/kernels/k/channels", nil)
				if !ws {
					req = httptest.NewRequest("POST", "/api/contents", nil)
				}
				req.Host = tc.host
				req.Header.Set("Origin", tc.origin)
				req.Header.Set("Cookie", "c=1")
				if ws {
					req.Header.Set("Connection", "Upgrade")
					req.Header.Set("Upgrade", "websocket")
				}
				ran := false
				rec := httptest.NewRecorder()
				g.HostOrigin(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })).ServeHTTP(rec, req)
				if tc.want == 0 && !ran {
					t.Errorf("websocket=%v: refused (%d %s), want allowed", ws, rec.Code, rec.Body)
				}
				if tc.want != 0 && (ran || rec.Code != tc.want) {
					t.Errorf("websocket=%v: status %d, handler ran %v; want %d", ws, rec.Code, ran, tc.want)
				}
			}
		})
	}
}
