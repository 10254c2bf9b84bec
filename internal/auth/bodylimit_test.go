package auth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"quire/internal/auth"
)

// Requests without credentials may send at most MaxUnauthBody bytes: one
// announcing more is refused 413 unread (and its connection closed); a
// chunked one fails when it passes the limit. Requests that authenticate
// are reported through Options.Authenticated before their body is read.
func TestUnauthBodyLimitAndAuthenticatedCallback(t *testing.T) {
	var mu sync.Mutex
	var reported []string
	f := newFixture(t, auth.Options{MaxUnauthBody: 1024, Authenticated: func(r *http.Request) {
		mu.Lock()
		reported = append(reported, r.Method+" "+r.URL.Path)
		mu.Unlock()
	}})
	xsrf := cookieNamed(f.do(t, req{target: base + "login"}), "_xsrf")
	form := url.Values{"_xsrf": {xsrf.Value}, "password": {"wrong"}}.Encode()
	big := form + "&pad=" + strings.Repeat("x", 2000)
	tok := map[string]string{"Authorization": "token " + testToken}

	for _, tc := range []struct {
		name     string
		target   string
		body     string
		chunked  bool
		header   map[string]string
		status   int
		message  string
		close    bool
		reported string // "" = must not be reported
	}{
		{name: "login form fits", target: base + "login", body: form, status: 401},
		{name: "login form announced too large", target: base + "login", body: big, status: 413, message: "1024 bytes for requests without credentials (--max-unauth-body)", close: true},
		{name: "login form chunked too large", target: base + "login", body: big, chunked: true, status: 413, message: "--max-unauth-body", close: true},
		{name: "denied with a body", target: base + "api/contents/a", body: big, status: 403, close: true},
		{name: "token request: no small limit", target: base + "api/contents/a", body: big, header: tok, status: 200, reported: "POST " + base + "api/contents/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			reported = nil
			mu.Unlock()
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // unknown length
			}
			r := httptest.NewRequest("POST", tc.target, body)
			if tc.chunked {
				r.ContentLength = -1
			}
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.AddCookie(xsrf)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			resp := w.Result()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.message != "" {
				if m := jsonMessage(t, resp); !strings.Contains(m, tc.message) {
					t.Errorf("message %q, want it to contain %q", m, tc.message)
				}
			}
			if got := resp.Header.Get("Connection") == "close"; got != tc.close {
				t.Errorf("Connection: close = %v, want %v", got, tc.close)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := []string{tc.reported}; tc.reported == "" && len(reported) != 0 || tc.reported != "" && (len(reported) != 1 || reported[0] != want[0]) {
				t.Errorf("reported %q, want %q", reported, tc.reported)
			}
		})
	}
}
