package auth_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/auth"
	"quire/internal/guard"
)

// TestVSCodeHandshake follows jupyterPasswordConnect.ts step by step.
func TestVSCodeHandshake(t *testing.T) {
	f := newFixture(t, auth.Options{})
	// 1. Any non-200 from /tree means "password needed".
	if resp := f.do(t, req{target: base + "tree?"}); resp.StatusCode != http.StatusFound {
		t.Fatalf("GET tree: %d, want 302", resp.StatusCode)
	}
	// 2. The login page sets _xsrf.
	resp := f.do(t, req{target: base + "login?"})
	xsrf := cookieNamed(resp, "_xsrf")
	if resp.StatusCode != 200 || xsrf == nil {
		t.Fatalf("GET login: %d, _xsrf %v", resp.StatusCode, xsrf)
	}
	// 3. The login cookie is the first Set-Cookie of the 302.
	resp = f.do(t, req{method: "POST", target: base + "login?", cookies: []*http.Cookie{xsrf},
		form: url.Values{"_xsrf": {xsrf.Value}, "password": {"mypassword"}}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("POST login: %d, want 302", resp.StatusCode)
	}
	first, _, _ := strings.Cut(resp.Header.Values("Set-Cookie")[0], ";")
	name, value, _ := strings.Cut(first, "=")
	if name != loginName || len(value) < 40 {
		t.Fatalf("first Set-Cookie = %q", first)
	}
	if loc := resp.Header.Get("Location"); loc != guard.SafeNext("", base) {
		t.Errorf("Location = %q", loc)
	}
	// 4. Cookie + X-XSRFToken from then on.
	cookies := []*http.Cookie{xsrf, {Name: name, Value: value}}
	hdr := map[string]string{"X-XSRFToken": xsrf.Value}
	if resp := f.do(t, req{target: base + "tree", cookies: cookies, header: hdr}); resp.StatusCode != 200 {
		t.Errorf("GET tree after login: %d", resp.StatusCode)
	}
	if resp := f.do(t, req{method: "PUT", target: base + "api/contents/a.ipynb", cookies: cookies, header: hdr}); resp.StatusCode != 200 {
		t.Errorf("PUT after login: %d", resp.StatusCode)
	}
}

func TestLoginForm(t *testing.T) {
	f := newFixture(t, auth.Options{})
	xsrf := &http.Cookie{Name: "_xsrf", Value: "abc"}
	post := func(form url.Values, cookies ...*http.Cookie) *http.Response {
		return f.do(t, req{method: "POST", target: base + "login?next=" + url.QueryEscape(base+"tree/x"), form: form, cookies: cookies})
	}
	for _, tc := range []struct {
		name    string
		resp    *http.Response
		status  int
		body    string
		session bool
	}{
		{"password", post(url.Values{"_xsrf": {"abc"}, "password": {"mypassword"}}, xsrf), 302, "", true},
		{"token", post(url.Values{"_xsrf": {"abc"}, "password": {testToken}}, xsrf), 302, "", true},
		{"wrong password", post(url.Values{"_xsrf": {"abc"}, "password": {"nope"}}, xsrf), 401, "Invalid credentials", false},
		{"empty password", post(url.Values{"_xsrf": {"abc"}}, xsrf), 401, "Invalid credentials", false},
		{"no xsrf", post(url.Values{"password": {"mypassword"}}, xsrf), 403, "'_xsrf' argument missing", false},
		{"no xsrf cookie", post(url.Values{"_xsrf": {"abc"}, "password": {"mypassword"}}), 403, "XSRF cookie does not match", false},
		{"xsrf mismatch", post(url.Values{"_xsrf": {"abd"}, "password": {"mypassword"}}, xsrf), 403, "XSRF cookie does not match", false},
		{"xsrf header", f.do(t, req{method: "POST", target: base + "login?next=" + url.QueryEscape(base+"tree/x"), cookies: []*http.Cookie{xsrf},
			header: map[string]string{"X-XSRFToken": "abc"}, form: url.Values{"password": {"mypassword"}}}), 302, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := io.ReadAll(tc.resp.Body)
			if tc.resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
				t.Fatalf("status %d body %q; want %d containing %q", tc.resp.StatusCode, body, tc.status, tc.body)
			}
			got := cookieNamed(tc.resp, loginName) != nil
			if got != tc.session {
				t.Errorf("login cookie set = %v, want %v", got, tc.session)
			}
			if tc.status == 302 {
				if loc := tc.resp.Header.Get("Location"); loc != guard.SafeNext(base+"tree/x", base) {
					t.Errorf("Location = %q", loc)
				}
			}
			if strings.Contains(string(body), "mypassword") || strings.Contains(string(body), testToken) {
				t.Error("response echoes a secret")
			}
		})
	}
}

func TestLoginPage(t *testing.T) {
	for _, tc := range []struct {
		name, token, label string
	}{
		{"with token", "", "Password or token"},
		{"password only", "-", ">Password</label>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, auth.Options{Token: tc.token})
			evil := `"><script>alert(1)</script>`
			resp := f.do(t, req{target: base + "login?next=" + url.QueryEscape(evil)})
			b, _ := io.ReadAll(resp.Body)
			body := string(b)
			xsrf := cookieNamed(resp, "_xsrf")
			switch {
			case resp.StatusCode != 200:
				t.Fatalf("status %d", resp.StatusCode)
			case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			case xsrf == nil || !strings.Contains(body, `name="_xsrf" value="`+xsrf.Value+`"`):
				t.Errorf("form lacks the _xsrf cookie's value")
			case !strings.Contains(body, tc.label):
				t.Errorf("label %q missing", tc.label)
			case strings.Contains(body, "<script"), strings.Contains(body, "style="), strings.Contains(body, "<style"):
				t.Errorf("page needs inline script or style, or echoes next unescaped:\n%s", body)
			case !strings.Contains(body, base+"static/login/login.css"):
				t.Errorf("stylesheet link missing")
			}
		})
	}
}

func TestLoginWhenLoggedIn(t *testing.T) {
	f := newFixture(t, auth.Options{})
	session, xsrf := f.login(t, "")
	resp := f.do(t, req{target: base + "login?next=" + url.QueryEscape(base+"tree"), cookies: []*http.Cookie{session, xsrf}})
	if resp.StatusCode != 302 || resp.Header.Get("Location") != guard.SafeNext(base+"tree", base) {
		t.Errorf("logged-in GET login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Logging in again replaces the session (no fixation).
	resp = f.do(t, req{method: "POST", target: base + "login", cookies: []*http.Cookie{session, xsrf},
		form: url.Values{"_xsrf": {xsrf.Value}, "password": {"mypassword"}}})
	if resp.StatusCode != 302 {
		t.Fatalf("second login: %d", resp.StatusCode)
	}
	if resp := f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 403 {
		t.Errorf("old session after a new login: %d, want 403", resp.StatusCode)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t, auth.Options{})
	session, xsrf := f.login(t, "")
	if resp := f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 200 {
		t.Fatalf("before logout: %d", resp.StatusCode)
	}
	resp := f.do(t, req{target: base + "logout", cookies: []*http.Cookie{session, xsrf}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `href="`+base+`login"`) {
		t.Errorf("logout: %d %s", resp.StatusCode, body)
	}
	if c := cookieNamed(resp, loginName); c == nil || c.MaxAge >= 0 {
		t.Errorf("logout does not clear the login cookie: %q", resp.Header.Values("Set-Cookie"))
	}
	// The replayed cookie is dead, also after a restart.
	if resp := f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 403 {
		t.Errorf("replayed cookie: %d, want 403", resp.StatusCode)
	}
	f.a.Close()
	g := newFixture(t, auth.Options{DataDir: f.dir})
	if resp := g.do(t, req{target: base + "tree", cookies: []*http.Cookie{session}}); resp.StatusCode != 302 {
		t.Errorf("replayed cookie after restart: %d, want 302", resp.StatusCode)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t, auth.Options{SessionIdle: 2 * time.Hour, SessionMax: 10 * time.Hour})
	ok := func(session *http.Cookie) bool {
		return f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}).StatusCode == 200
	}
	idle, _ := f.login(t, "")
	f.clock.Advance(2*time.Hour - time.Minute)
	if !ok(idle) {
		t.Fatal("session ended before its idle time")
	}
	f.clock.Advance(2*time.Hour - time.Minute) // last use refreshed the idle timer
	if !ok(idle) {
		t.Fatal("use did not refresh the idle timer")
	}
	f.clock.Advance(2*time.Hour + time.Minute)
	if ok(idle) {
		t.Fatal("session outlived its idle time")
	}

	busy, _ := f.login(t, "")
	for range 9 {
		f.clock.Advance(time.Hour)
		if !ok(busy) {
			t.Fatal("busy session ended early")
		}
	}
	f.clock.Advance(time.Hour)
	if ok(busy) {
		t.Fatal("session outlived its absolute lifetime")
	}
}

func TestSessionsSurviveRestart(t *testing.T) {
	f := newFixture(t, auth.Options{})
	session, _ := f.login(t, "")
	if err := f.a.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(f.dir, "quire_sessions.json")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("session store mode %o, want 600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(file)
	id, _, _ := strings.Cut(session.Value, ".")
	if strings.Contains(string(raw), id) || strings.Contains(string(raw), session.Value) {
		t.Error("session store holds a raw session id")
	}

	same := newFixture(t, auth.Options{DataDir: f.dir})
	if resp := same.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 200 {
		t.Errorf("same password after restart: %d, want 200", resp.StatusCode)
	}
	same.a.Close()

	// A new token leaves password sessions alone.
	newToken := newFixture(t, auth.Options{DataDir: f.dir, Token: "another-token-another-token-another-token"})
	if resp := newToken.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 200 {
		t.Errorf("new token, same password: %d, want 200", resp.StatusCode)
	}
	newToken.a.Close()

	// A new password ends every session.
	h, err := auth.HashPassword("new password")
	if err != nil {
		t.Fatal(err)
	}
	changed := newFixture(t, auth.Options{DataDir: f.dir, PasswordHash: h})
	if resp := changed.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 403 {
		t.Errorf("new password: old cookie gets %d, want 403", resp.StatusCode)
	}
	changed.a.Close()
	if raw, _ := os.ReadFile(file); strings.Contains(string(raw), `"id"`) {
		t.Errorf("sessions of the old password kept in the store:\n%s", raw)
	}
}

func TestTokenSessionsEndWithToken(t *testing.T) {
	f := newFixture(t, auth.Options{})
	resp := f.do(t, req{target: base + "tree?token=" + testToken, header: map[string]string{"Sec-Fetch-Mode": "navigate"}})
	session := cookieNamed(resp, loginName)
	if session == nil {
		t.Fatal("no session from ?token=")
	}
	f.a.Close()
	g := newFixture(t, auth.Options{DataDir: f.dir, Token: "a-different-token-a-different-token"})
	if resp := g.do(t, req{target: base + "api/me", cookies: []*http.Cookie{session}}); resp.StatusCode != 403 {
		t.Errorf("session made with an old token: %d, want 403", resp.StatusCode)
	}
}

func TestMaxSessions(t *testing.T) {
	f := newFixture(t, auth.Options{MaxSessions: 3})
	var sessions []*http.Cookie
	for range 5 {
		s, _ := f.login(t, "")
		sessions = append(sessions, s)
		f.clock.Advance(2 * time.Minute)
	}
	for i, s := range sessions {
		got := f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{s}}).StatusCode
		if want := map[bool]int{true: 403, false: 200}[i < 2]; got != want {
			t.Errorf("session %d: %d, want %d", i, got, want)
		}
	}
}

func TestSecretFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	f := newFixture(t, auth.Options{DataDir: dir})
	f.a.Close()
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "quire_cookie_secret"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
	secret := filepath.Join(dir, "quire_cookie_secret")
	if err := os.Chmod(secret, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := auth.New(auth.Options{BaseURL: base, Token: testToken, DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("New with a world-readable secret: %v, want a refusal saying chmod 600", err)
	}
	if err := os.WriteFile(secret, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(auth.Options{BaseURL: base, Token: testToken, DataDir: dir}); err == nil {
		t.Error("New with a malformed secret succeeded")
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    auth.Options
	}{
		{"bad hash", auth.Options{BaseURL: base, PasswordHash: "sha1:x", DataDir: t.TempDir()}},
		{"bad base", auth.Options{BaseURL: "q", Token: testToken, DataDir: t.TempDir()}},
		{"no data dir", auth.Options{BaseURL: base, Token: testToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := auth.New(tc.o); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

// TestNoSecretsLogged drives every credential path with a debug logger and
// greps the log for the secrets.
func TestNoSecretsLogged(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, auth.Options{Log: log, FreeFailures: 1})
	session, xsrf := f.login(t, "192.0.2.5")
	f.do(t, req{target: base + "api/status?token=wrong-token-value"})
	f.do(t, req{target: base + "api/status", header: map[string]string{"Authorization": "token wrong-token-value"}})
	f.do(t, req{target: base + "tree?token=" + testToken, header: map[string]string{"Sec-Fetch-Mode": "navigate"}})
	f.do(t, req{method: "POST", target: base + "api/contents", cookies: []*http.Cookie{session, xsrf}})
	f.attempt(t, "192.0.2.6", "wrong-password-value")
	f.attempt(t, "192.0.2.6", "wrong-password-value")
	f.do(t, req{target: base + "logout", cookies: []*http.Cookie{session}})
	id, _, _ := strings.Cut(session.Value, ".")
	for _, secret := range []string{testToken, "wrong-token-value", "mypassword", "wrong-password-value", id, xsrf.Value} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "login failed") {
		t.Errorf("failed login not logged:\n%s", buf.String())
	}
}
