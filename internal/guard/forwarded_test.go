package guard_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"quire/internal/guard"
)

// TestForwarded: RFC 7239 Forwarded is read only from a trusted proxy that
// sends no X-Forwarded-For, right to left like X-Forwarded-For, and gives
// the scheme and host of the origin the Origin check compares with.
func TestForwarded(t *testing.T) {
	g := mustNew(t, guard.Options{
		HostCheck:      true,
		AllowHosts:     []string{"quire.example"},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	type hdr map[string][]string
	for _, tc := range []struct {
		name    string
		remote  string
		headers hdr
		ip      string
		secure  bool
		origin  string // an Origin that must pass as same-origin ("" = skip)
	}{
		{name: "plain", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=198.51.100.9;proto=https;host=quire.example"}},
			ip: "198.51.100.9", secure: true, origin: "https://quire.example"},
		{name: "quoted ipv6 and port", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {`for="[2001:db8::7]:4711";proto=https;host="quire.example:8443"`}},
			ip: "2001:db8::7", secure: true, origin: "https://quire.example:8443"},
		{name: "bare host with port", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=198.51.100.9;proto=https;host=quire.example:8443"}},
			ip: "198.51.100.9", secure: true, origin: "https://quire.example:8443"},
		{name: "case and spaces", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"For=198.51.100.9 ; Proto=HTTPS"}},
			ip: "198.51.100.9", secure: true},
		{name: "client prepends a lie", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=1.2.3.4;proto=http, for=198.51.100.9;proto=https"}},
			ip: "198.51.100.9", secure: true},
		{name: "two headers", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=1.2.3.4", "for=198.51.100.9, for=10.0.0.2;proto=https"}},
			ip: "198.51.100.9", secure: true},
		{name: "comma inside quotes", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {`for=198.51.100.9;ext="a,b";proto=https`}},
			ip: "198.51.100.9", secure: true},
		{name: "obfuscated hop stops", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=_hidden;proto=https"}},
			ip: "10.0.0.1", secure: true},
		{name: "unknown hop stops", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=1.2.3.4, for=unknown"}},
			ip: "10.0.0.1"},
		{name: "malformed element says nothing", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {`for=198.51.100.9;proto="https`}},
			ip: "10.0.0.1", secure: false},
		{name: "duplicate parameter", remote: "10.0.0.1:1", headers: hdr{"Forwarded": {"for=198.51.100.9;proto=http;proto=https"}},
			ip: "10.0.0.1", secure: false},
		{name: "untrusted peer", remote: "192.0.2.7:1", headers: hdr{"Forwarded": {"for=198.51.100.9;proto=https"}},
			ip: "192.0.2.7", secure: false},
		// The nearest proxy speaks X-Forwarded-*: a Forwarded header is the
		// client's own and is not read at all.
		{name: "x-forwarded-for wins", remote: "10.0.0.1:1", headers: hdr{
			"X-Forwarded-For": {"198.51.100.9"}, "Forwarded": {"for=1.2.3.4;proto=https;host=quire.example"}},
			ip: "198.51.100.9", secure: false},
		{name: "x-forwarded-proto with xff", remote: "10.0.0.1:1", headers: hdr{
			"X-Forwarded-For": {"198.51.100.9"}, "X-Forwarded-Proto": {"https"}, "Forwarded": {"proto=http"}},
			ip: "198.51.100.9", secure: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			req.Host = "localhost:8888"
			for k, vs := range tc.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			if got := g.ClientIP(req); got != tc.ip {
				t.Errorf("ClientIP = %q, want %q", got, tc.ip)
			}
			if got := g.IsSecure(req); got != tc.secure {
				t.Errorf("IsSecure = %v, want %v", got, tc.secure)
			}
			if tc.origin != "" {
				req.Method = "POST"
				req.Header.Set("Origin", tc.origin)
				h := &reached{}
				rec := httptest.NewRecorder()
				g.HostOrigin(h).ServeHTTP(rec, req)
				if !h.ran || rec.Header().Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("Origin %s: ran = %v (status %d), want same-origin", tc.origin, h.ran, rec.Code)
				}
			}
		})
	}
}

// TestForwardedHostChecked: Forwarded's host= passes the Host check like
// X-Forwarded-Host, so it cannot smuggle in a rebinding name.
func TestForwardedHostChecked(t *testing.T) {
	g := mustNew(t, guard.Options{HostCheck: true, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	for _, tc := range []struct {
		fwd string
		ok  bool
	}{
		{"for=127.0.0.2;host=localhost:8443", true},
		{"for=127.0.0.2;host=attacker.example", false},
		{`for=127.0.0.2;host="attacker.example:80"`, false},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "127.0.0.1:4000"
		req.Host = "127.0.0.1:8888"
		req.Header.Set("Forwarded", tc.fwd)
		h := &reached{}
		g.HostOrigin(h).ServeHTTP(httptest.NewRecorder(), req)
		if h.ran != tc.ok {
			t.Errorf("Forwarded %q: ran = %v, want %v", tc.fwd, h.ran, tc.ok)
		}
	}
}

// TestPublicURL: --public-url's origin is the server's own and its host
// passes the Host check, for proxies that say neither.
func TestPublicURL(t *testing.T) {
	g := mustNew(t, guard.Options{HostCheck: true, PublicURL: "https://Notebooks.example.org/jupyter/"})
	for _, tc := range []struct {
		name, host, origin string
		ok                 bool
	}{
		{"public origin, backend host", "127.0.0.1:8888", "https://notebooks.example.org", true},
		{"public origin, default port spelled", "127.0.0.1:8888", "https://notebooks.example.org:443", false}, // browsers never send it
		{"public host", "notebooks.example.org", "https://notebooks.example.org", true},
		{"other scheme", "127.0.0.1:8888", "http://notebooks.example.org", false},
		{"other port", "127.0.0.1:8888", "https://notebooks.example.org:8443", false},
		{"other site", "127.0.0.1:8888", "https://evil.example", false},
		{"other host", "evil.example", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/jupyter/api/contents", nil)
			req.RemoteAddr = "127.0.0.1:4000"
			req.Host = tc.host
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			req.Header.Set("Cookie", "c=1")
			h := &reached{}
			g.HostOrigin(h).ServeHTTP(httptest.NewRecorder(), req)
			if h.ran != tc.ok {
				t.Errorf("ran = %v, want %v", h.ran, tc.ok)
			}
		})
	}
}

func TestParsePublicURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // error substring, or the parsed URL
		ok   bool
	}{
		{"https://notebooks.example.org/jupyter/", "https://notebooks.example.org/jupyter/", true},
		{"https://notebooks.example.org", "https://notebooks.example.org/", true},
		{"http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/", true},
		{"https://notebooks.example.org/jupyter", "must end in /", false},
		{"ftp://notebooks.example.org/", "http(s)://", false},
		{"notebooks.example.org/", "http(s)://", false},
		{"https://u:p@notebooks.example.org/", "no user", false},
		{"https://notebooks.example.org/?x=1", "no user, query", false},
		{"https://notebooks.example.org:0/", "port from 1", false},
		{"https://a b/", "not a URL", false},
	} {
		u, err := guard.ParsePublicURL(tc.in)
		switch {
		case tc.ok && (err != nil || u.String() != tc.want):
			t.Errorf("ParsePublicURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ParsePublicURL(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

// TestBasicAuthIsNoToken: a browser attaches a proxy login's Basic
// credentials to cross-site requests on its own, so they do not let a
// cross-origin request through as token requests are; same-origin requests
// carrying them pass untouched.
func TestBasicAuthIsNoToken(t *testing.T) {
	g := mustNew(t, guard.Options{})
	for _, tc := range []struct {
		name, origin, auth string
		ok, cookie         bool
	}{
		{"cross-site basic", "https://evil.example", "Basic YWxpY2U6cHc=", false, false},
		{"cross-site token", "https://evil.example", "token abc", true, false},
		{"cross-site bearer tab", "https://evil.example", "Bearer\tabc", true, false},
		{"same-origin basic", "http://quire.example:8888", "Basic YWxpY2U6cHc=", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/contents", nil)
			req.Host = "quire.example:8888"
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Authorization", tc.auth)
			req.Header.Set("Cookie", "c=1")
			h := &reached{}
			rec := httptest.NewRecorder()
			g.HostOrigin(h).ServeHTTP(rec, req)
			if h.ran != tc.ok {
				t.Fatalf("ran = %v (status %d), want %v", h.ran, rec.Code, tc.ok)
			}
			if tc.ok && (h.cookie != "") != tc.cookie {
				t.Errorf("cookie kept = %v, want %v", h.cookie != "", tc.cookie)
			}
		})
	}
}

func TestFromProxy(t *testing.T) {
	g := mustNew(t, guard.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for remote, want := range map[string]bool{"10.1.2.3:1": true, "[::ffff:10.1.2.3]:1": true, "192.0.2.1:1": false, "@": false} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		if got := g.FromProxy(req); got != want {
			t.Errorf("FromProxy(%s) = %v, want %v", remote, got, want)
		}
	}
}

// FuzzForwarded: whatever a trusted proxy's Forwarded header holds,
// ClientIP answers an address (never the header's raw text), and only a
// well-formed proto=https makes the request secure.
func FuzzForwarded(f *testing.F) {
	for _, s := range []string{"for=1.2.3.4", `for="[::1]:80";proto=https`, "for=_x, for=unknown", `a="\"`, ";;,,", `for="1.2.3.4`} {
		f.Add(s)
	}
	g, err := guard.New(guard.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "10.0.0.1:1"
		req.Header = http.Header{"Forwarded": {v}}
		ip := g.ClientIP(req)
		if _, err := netip.ParseAddr(ip); err != nil {
			t.Fatalf("ClientIP with Forwarded %q = %q, not an address", v, ip)
		}
		if g.IsSecure(req) && !strings.Contains(strings.ToLower(v), "https") {
			t.Fatalf("Forwarded %q made the request secure", v)
		}
	})
}

// TestUnixProxy: with TrustUnix, a peer on the Unix socket is a trusted
// proxy (forwarding headers believed, X-Forwarded-Host checked); without,
// it is the client "unix" and its headers are ignored.
func TestUnixProxy(t *testing.T) {
	onSocket := func(h map[string]string) *http.Request {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "@"
		req.Host = "localhost"
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/run/q.sock", Net: "unix"}))
	}
	fwd := map[string]string{"X-Forwarded-For": "203.0.113.5, 198.51.100.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "quire.example"}
	for _, tc := range []struct {
		name      string
		trust     bool
		headers   map[string]string
		ip        string
		secure    bool
		fromProxy bool
		hostOK    bool
	}{
		{"trusted", true, fwd, "198.51.100.9", true, true, true},
		{"trusted, no headers", true, nil, "unix", false, true, true},
		{"trusted, rebound name", true, map[string]string{"X-Forwarded-Host": "attacker.example"}, "unix", false, true, false},
		{"not trusted", false, fwd, "unix", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustNew(t, guard.Options{HostCheck: true, AllowHosts: []string{"quire.example"}, TrustUnix: tc.trust})
			req := onSocket(tc.headers)
			if got := g.ClientIP(req); got != tc.ip {
				t.Errorf("ClientIP = %q, want %q", got, tc.ip)
			}
			if got := g.IsSecure(req); got != tc.secure {
				t.Errorf("IsSecure = %v, want %v", got, tc.secure)
			}
			if got := g.FromProxy(req); got != tc.fromProxy {
				t.Errorf("FromProxy = %v, want %v", got, tc.fromProxy)
			}
			h := &reached{}
			g.HostOrigin(h).ServeHTTP(httptest.NewRecorder(), req)
			if h.ran != tc.hostOK {
				t.Errorf("passed the Host check = %v, want %v", h.ran, tc.hostOK)
			}
		})
	}
}
