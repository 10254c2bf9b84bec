package guard_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"quire/internal/guard"
	"quire/internal/guard/guardtest"
)

func TestRedirectHTTPS(t *testing.T) {
	for _, tc := range []struct {
		name, method, target, host string
		port                       int
		code                       int
		want                       string // Location
	}{
		{"path and query kept", "GET", "/tree/a%20b.ipynb?x=1&y=%2F", "notebook.example.org", 443, 301, "https://notebook.example.org/tree/a%20b.ipynb?x=1&y=%2F"},
		{"port kept when not 443", "GET", "/lab", "notebook.example.org", 8443, 301, "https://notebook.example.org:8443/lab"},
		{"root", "HEAD", "/", "notebook.example.org", 443, 301, "https://notebook.example.org/"},
		{"host lower-cased", "GET", "/", "Notebook.Example.ORG", 443, 301, "https://notebook.example.org/"},
		{"POST keeps its method", "POST", "/api/contents", "notebook.example.org", 443, 308, "https://notebook.example.org/api/contents"},
		{"absolute-form request: its host is ignored", "GET", "http://evil.example/x?y", "notebook.example.org", 443, 301, "https://notebook.example.org/x?y"},
		{"scheme-relative path refused", "GET", "//evil.example/x", "notebook.example.org", 443, 301, "https://notebook.example.org/"},
		{"encoded slashes refused", "GET", "/%2F%2Fevil.example", "notebook.example.org", 443, 301, "https://notebook.example.org/"},
		{"dot segments resolved", "GET", "/a/../b/./c", "notebook.example.org", 443, 301, "https://notebook.example.org/b/c"},
		{"bad host", "GET", "/", "bad host", 443, 400, ""},
		{"bad port", "GET", "/", "notebook.example.org", 0, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			guard.RedirectHTTPS(rec, httptest.NewRequest(tc.method, tc.target, nil), tc.host, tc.port)
			if rec.Code != tc.code {
				t.Errorf("status %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Location"); got != tc.want {
				t.Errorf("Location %q, want %q", got, tc.want)
			}
			if tc.want != "" && rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

// FuzzRedirectHTTPS: whatever the request target and method, the redirect
// to HTTPS lands a browser on the configured HTTPS origin, never elsewhere,
// with a path a second judgement leaves as it is.
func FuzzRedirectHTTPS(f *testing.F) {
	for _, s := range guardtest.Payloads() {
		f.Add(s, "GET")
	}
	f.Add("http://evil.example/x?y", "POST")
	f.Add("*", "OPTIONS")
	const origin = "https://notebook.example.org:8443"
	f.Fuzz(func(t *testing.T, target, method string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return // the server never hands such a request to a handler
		}
		r := &http.Request{Method: method, URL: u, Host: "evil.example", Header: http.Header{}}
		rec := httptest.NewRecorder()
		guard.RedirectHTTPS(rec, r, "notebook.example.org", 8443)
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusMovedPermanently && rec.Code != http.StatusPermanentRedirect {
			t.Fatalf("status %d", rec.Code)
		}
		if err := guardtest.Check(loc, "http://evil.example/", origin, "/"); err != nil {
			t.Fatalf("target %q: %v", target, err)
		}
		path, ok := strings.CutPrefix(loc, origin)
		if !ok {
			t.Fatalf("Location %q is not on %s", loc, origin)
		}
		if again, ok := guard.Location(path, "/"); !ok || again != path {
			t.Fatalf("Location %q: its path judged again is %q, %v", loc, again, ok)
		}
	})
}
