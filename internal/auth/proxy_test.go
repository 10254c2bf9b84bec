package auth_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"quire/internal/auth"
)

// fromProxy trusts the peer 10.0.0.1 only.
func fromProxy(r *http.Request) bool { return strings.HasPrefix(r.RemoteAddr, "10.0.0.1:") }

// TestUserHeader: a trusted proxy's user header signs the request in as
// that user; from any other peer it is ignored; --allowed-users limits the
// names; cookie-style XSRF rules apply; a Basic login passed on changes
// nothing.
func TestUserHeader(t *testing.T) {
	for _, withPassword := range []bool{true, false} {
		o := auth.Options{UserHeader: "x-remote-user", AllowedUsers: []string{"alice", "Zoë"}, FromProxy: fromProxy}
		if !withPassword {
			o.Token, o.PasswordHash = "-", "-" // the proxy's login is the only one
		}
		f := newFixture(t, o)
		var session, xsrf *http.Cookie
		if withPassword {
			session, xsrf = f.login(t, "10.0.0.1")
		} else {
			resp := f.do(t, req{target: base + "tree", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": "alice"}})
			xsrf = cookieNamed(resp, "_xsrf")
			if resp.StatusCode != 200 || xsrf == nil {
				t.Fatalf("page as alice: %d, _xsrf %v", resp.StatusCode, xsrf)
			}
		}
		alice := map[string]string{"X-Remote-User": "alice"}
		basic := map[string]string{"X-Remote-User": "alice", "Authorization": "Basic YWxpY2U6c2VjcmV0"}
		for _, tc := range []struct {
			name     string
			q        req
			status   int
			method   string
			user     string
			message  string
			password bool // only with a password configured
		}{
			{name: "proxy user", q: req{target: base + "api/status", remote: "10.0.0.1", header: alice}, status: 200, method: "proxy", user: "alice"},
			{name: "basic passed on", q: req{target: base + "api/status", remote: "10.0.0.1", header: basic}, status: 200, method: "proxy", user: "alice"},
			{name: "unicode name", q: req{target: base + "api/status", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": "Zoë"}}, status: 200, user: "Zoë"},
			{name: "not allowed", q: req{target: base + "api/status", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": "mallory"}}, status: 403, message: `User "mallory" may not use this server`},
			{name: "not allowed page", q: req{target: base + "tree", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": "mallory"}}, status: 403, message: "--allowed-users"},
			{name: "control character", q: req{target: base + "api/status", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": "al\x7fice"}}, status: 403, message: "no valid user name"},
			{name: "too long", q: req{target: base + "api/status", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": strings.Repeat("a", 257)}}, status: 403, message: "no valid user name"},
			{name: "empty header", q: req{target: base + "api/status", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": " "}}, status: 403, message: "Forbidden"},
			{name: "forged from elsewhere", q: req{target: base + "api/status", remote: "192.0.2.9", header: alice}, status: 403, message: "Forbidden"},
			{name: "forged page", q: req{target: base + "tree", remote: "192.0.2.9", header: alice}, status: 302},
			{name: "wrong token beats header", q: req{target: base + "api/status?token=nope", remote: "10.0.0.1", header: alice}, status: 403},
			{name: "token beats header", q: req{target: base + "api/status", remote: "10.0.0.1", header: map[string]string{"X-Remote-User": "alice", "Authorization": "token " + testToken}}, status: 200, method: "token", password: true},
			{name: "header beats cookie", q: req{target: base + "api/status", remote: "10.0.0.1", header: alice, cookies: []*http.Cookie{session}}, status: 200, method: "proxy", user: "alice", password: true},
			{name: "cookie without header", q: req{target: base + "api/status", remote: "10.0.0.1", cookies: []*http.Cookie{session}}, status: 200, method: "cookie", password: true},
			{name: "forged header, own cookie", q: req{target: base + "api/status", remote: "192.0.2.9", header: alice, cookies: []*http.Cookie{session}}, status: 200, method: "cookie", password: true},
			{name: "POST needs xsrf", q: req{method: "POST", target: base + "api/contents", remote: "10.0.0.1", header: alice}, status: 403, message: "'_xsrf' argument missing"},
			{name: "POST with xsrf", q: req{method: "POST", target: base + "api/contents", remote: "10.0.0.1", cookies: []*http.Cookie{xsrf},
				header: map[string]string{"X-Remote-User": "alice", "X-XSRFToken": xsrf.Value}}, status: 200, method: "proxy"},
		} {
			if tc.password && !withPassword {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				resp := f.do(t, tc.q)
				if resp.StatusCode != tc.status {
					t.Fatalf("password %v: status = %d, want %d", withPassword, resp.StatusCode, tc.status)
				}
				if tc.method != "" && resp.Header.Get("X-Method") != tc.method {
					t.Errorf("method = %q, want %q", resp.Header.Get("X-Method"), tc.method)
				}
				if tc.user != "" && resp.Header.Get("X-User") != tc.user {
					t.Errorf("user = %q, want %q", resp.Header.Get("X-User"), tc.user)
				}
				if tc.status == 403 {
					if msg := jsonMessage(t, resp); !strings.Contains(msg, tc.message) {
						t.Errorf("message = %q, want it to contain %q", msg, tc.message)
					}
				}
			})
		}
	}
}

// TestUserHeaderTwice: a proxy that adds its header beside the client's
// is refused rather than guessed at.
func TestUserHeaderTwice(t *testing.T) {
	f := newFixture(t, auth.Options{UserHeader: "X-Remote-User", FromProxy: fromProxy})
	r, _ := http.NewRequest("GET", base+"api/status", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Add("X-Remote-User", "mallory")
	r.Header.Add("X-Remote-User", "alice")
	w := &recorder{h: http.Header{}}
	f.h.ServeHTTP(w, r)
	if w.code != 403 {
		t.Fatalf("status = %d, want 403", w.code)
	}
}

type recorder struct {
	h    http.Header
	code int
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(c int)           { r.code = c }

// TestUserHeaderIgnoredLogRateLimited: a forged header is logged, once a
// minute at most, with the count of the lines held back.
func TestUserHeaderIgnoredLogRateLimited(t *testing.T) {
	var buf bytes.Buffer
	f := newFixture(t, auth.Options{UserHeader: "X-Remote-User", FromProxy: fromProxy,
		Log: slog.New(slog.NewTextHandler(&buf, nil))})
	forged := req{target: base + "api/status", remote: "192.0.2.9", header: map[string]string{"X-Remote-User": "alice"}}
	for range 5 {
		f.do(t, forged)
	}
	if n := strings.Count(buf.String(), "ignored the trusted user header"); n != 1 {
		t.Fatalf("%d log lines for 5 forged requests in one minute, want 1:\n%s", n, buf.String())
	}
	f.clock.Advance(61 * time.Second)
	f.do(t, forged)
	if !strings.Contains(buf.String(), "suppressed=4") || strings.Count(buf.String(), "ignored the trusted user header") != 2 {
		t.Fatalf("after a minute: want a second line saying suppressed=4:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "alice") {
		t.Errorf("the log repeats the forged header's value:\n%s", buf.String())
	}
}

func TestUserHeaderRefusedOptions(t *testing.T) {
	for _, tc := range []struct {
		o    auth.Options
		want string
	}{
		{auth.Options{UserHeader: "Authorization"}, "means something else"},
		{auth.Options{UserHeader: "X-Forwarded-For"}, "means something else"},
		{auth.Options{UserHeader: "X Remote User"}, "not a valid header name"},
		{auth.Options{AllowedUsers: []string{"alice"}}, "need a trusted user header"},
	} {
		tc.o.BaseURL, tc.o.DataDir, tc.o.Token = base, t.TempDir(), testToken
		_, err := auth.New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) error = %v, want %q", tc.o.UserHeader, err, tc.want)
		}
	}
}
