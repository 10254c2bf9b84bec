package guard_test

import (
	"net/http/httptest"
	"testing"

	"quire/internal/guard"
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
