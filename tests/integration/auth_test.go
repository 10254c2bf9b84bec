//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func cookieValue(c *http.Client, in *instance, name string) string {
	u, _ := url.Parse(in.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// loginWithPassword does what a browser (and VS Code) does: GET /login for
// the _xsrf cookie, then POST the form.
func loginWithPassword(t *testing.T, in *instance, c *http.Client, pw string) bool {
	t.Helper()
	status, _, _ := send(t, c, in.req("GET", "login", nil))
	if status != 200 {
		t.Fatalf("GET /login: %d", status)
	}
	xsrf := cookieValue(c, in, "_xsrf")
	if xsrf == "" {
		t.Fatal("GET /login did not set _xsrf")
	}
	form := url.Values{"password": {pw}, "_xsrf": {xsrf}}
	r := in.req("POST", "login?next="+url.QueryEscape("/api/status"), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, h := send(t, c, r)
	if status == 302 {
		if loc := h.Get("Location"); loc != "/api/status" {
			t.Errorf("login redirect to %q, want /api/status", loc)
		}
		return true
	}
	return false
}

// browserGet is a top-level navigation as a browser sends it.
func browserGet(in *instance, path string) *http.Request {
	r := in.req("GET", path, nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	r.Header.Set("Sec-Fetch-Site", "none")
	return r
}

const sha1Vector = "sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a" // "mypassword"

func TestLoginWithPasswordHashes(t *testing.T) {
	out, _, err := runQuire(t, []string{"HOME=" + t.TempDir()}, "argon pw\nargon pw\n", "password")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, hash, pw string }{
		{"argon2", strings.TrimSpace(out), "argon pw"},
		{"sha1", sha1Vector, "mypassword"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := startQuire(t, opts{args: []string{"--password-hash", tc.hash}})
			if loginWithPassword(t, in, in.client(), tc.pw+"x") {
				t.Fatal("a wrong password logged in")
			}
			c := in.client()
			if !loginWithPassword(t, in, c, tc.pw) {
				t.Fatal("the right password did not log in")
			}
			if status, _, _ := send(t, c, in.req("GET", "api/contents", nil)); status != 200 {
				t.Fatalf("cookie request: %d", status)
			}
			// Cookie-authenticated writes need the XSRF header.
			r := in.req("POST", "api/contents", jsonBody(t, map[string]string{"type": "file"}))
			if status, _, _ := send(t, c, r); status != 403 {
				t.Fatalf("cookie POST without X-XSRFToken: %d, want 403", status)
			}
			r = in.req("POST", "api/contents", jsonBody(t, map[string]string{"type": "file"}))
			r.Header.Set("X-XSRFToken", cookieValue(c, in, "_xsrf"))
			if status, body, _ := send(t, c, r); status != 201 {
				t.Fatalf("cookie POST with X-XSRFToken: %d %s", status, body)
			}
			// Logout ends the session for real.
			if status, _, _ := send(t, c, in.req("GET", "logout", nil)); status != 200 {
				t.Fatalf("logout: %d", status)
			}
			if status, _, _ := send(t, c, in.req("GET", "api/contents", nil)); status != 403 {
				t.Fatalf("after logout: %d, want 403", status)
			}
		})
	}
}

func TestTokenForms(t *testing.T) {
	in := startQuire(t, opts{})
	for _, tc := range []struct {
		name   string
		path   string
		header string
		want   int
	}{
		{"token header", "api/status", "token " + in.Token, 200},
		{"bearer header", "api/status", "Bearer " + in.Token, 200},
		{"lowercase scheme", "api/status", "bearer " + in.Token, 200},
		{"query token", "api/status?token=" + in.Token, "", 200},
		{"wrong token", "api/status", "token x" + in.Token, 403},
		{"no credentials", "api/status", "", 403},
		{"public version", "api", "", 200},
		{"public health", "/health", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := in.req("GET", tc.path, nil)
			if tc.path == "/health" {
				r, _ = http.NewRequest("GET", strings.TrimSuffix(in.URL, "/")+"/health", nil)
			}
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			status, body, h := send(t, in.client(), r)
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, body)
			}
			if status == 403 && (!strings.HasPrefix(h.Get("Content-Type"), "application/json") || messageOf(body) == "") {
				t.Fatalf("403 without a JSON message: %q %s", h.Get("Content-Type"), body)
			}
		})
	}

	// ?token= on a page a browser navigates to sets the cookie and
	// redirects without the token.
	c := in.client()
	status, _, h := send(t, c, browserGet(in, "tree/a?x=1&token="+in.Token))
	loc := h.Get("Location")
	if status != 302 || strings.Contains(loc, in.Token) || !strings.Contains(loc, "x=1") {
		t.Fatalf("page with ?token=: %d Location=%q", status, loc)
	}
	if status, _, _ := send(t, c, in.req("GET", "api/status", nil)); status != 200 {
		t.Fatalf("cookie after ?token= login: %d", status)
	}
	// Pages without credentials redirect to the login form.
	status, _, h = send(t, in.client(), browserGet(in, "tree/x"))
	if status != 302 || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous page: %d %q", status, h.Get("Location"))
	}
}

func TestLoginThrottling(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--password-hash", sha1Vector, "--token", "tok-abcdefabcdefabcdefabcdef"}})
	in.Token = "tok-abcdefabcdefabcdefabcdef"
	c := in.client()
	throttled := false
	var retryAfter string
	for i := 0; i < 30 && !throttled; i++ {
		send(t, c, in.req("GET", "login", nil))
		form := url.Values{"password": {"wrong"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
		r := in.req("POST", "login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, _, h := send(t, c, r)
		switch status {
		case 401:
		case 429:
			throttled, retryAfter = true, h.Get("Retry-After")
		default:
			t.Fatalf("wrong password: status %d", status)
		}
	}
	if !throttled {
		t.Fatal("30 wrong passwords were never throttled")
	}
	if n := regexp.MustCompile(`^[1-9][0-9]*$`); !n.MatchString(retryAfter) {
		t.Fatalf("Retry-After %q", retryAfter)
	}
	// Even the right password waits while throttled …
	form := url.Values{"password": {"mypassword"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
	r := in.req("POST", "login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, _, _ := send(t, c, r); status != 429 {
		t.Fatalf("right password while throttled: %d, want 429", status)
	}
	// … but token clients are never slowed down.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			if status, _, _ := in.do(in.req("GET", "api/status", nil)); status != 200 {
				t.Errorf("token request during throttling: %d", status)
			}
		})
	}
	wg.Wait()
}

func TestHostAndOriginChecks(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--allow-origin", "https://ok.example", "--allow-host", "notebooks.internal"}})
	for _, tc := range []struct {
		name, host, origin string
		useToken           bool
		want               int
	}{
		{"loopback host", "", "", true, 200},
		{"localhost name", "localhost:1234", "", true, 200},
		{"rebinding host", "attacker.example", "", true, 403},
		{"allowed host", "notebooks.internal", "", true, 200},
		{"rebinding host with port", "attacker.example:8888", "", true, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := in.req("GET", "api/status", nil)
			if tc.host != "" {
				r.Host = tc.host
			}
			status, body, _ := in.do(r)
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, body)
			}
		})
	}

	// Cookie requests from other origins are refused; allowed origins get CORS.
	c := in.client()
	send(t, c, in.req("GET", "api/status?token="+in.Token, nil)) // API ?token= does not set a cookie
	pageStatus, _, _ := send(t, c, browserGet(in, "tree?token="+in.Token))
	if pageStatus != 302 {
		t.Fatalf("page login: %d", pageStatus)
	}
	for _, tc := range []struct {
		origin string
		want   int
		cors   bool
	}{
		{"https://evil.example", 403, false},
		{"https://ok.example.evil.example", 403, false},
		{"null", 403, false},
		{"https://ok.example", 200, true},
	} {
		r := in.req("GET", "api/status", nil)
		r.Header.Set("Origin", tc.origin)
		status, body, h := send(t, c, r)
		if status != tc.want {
			t.Errorf("Origin %s: %d, want %d (%s)", tc.origin, status, tc.want, body)
		}
		if got := h.Get("Access-Control-Allow-Origin"); (got == tc.origin) != tc.cors || (got != "" && got != tc.origin) {
			t.Errorf("Origin %s: Access-Control-Allow-Origin %q", tc.origin, got)
		}
	}
}

func TestOpenRedirectTable(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--password-hash", sha1Vector}})
	for _, next := range []string{
		"//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
		"https://evil.example/", "\t//evil.example", " //evil.example", "/%2F%2Fevil.example", "/%5Cevil.example",
		"//user@evil.example", "javascript:alert(1)", "/\t/evil.example", "\n//evil.example", "%2F%2Fevil.example",
		"/login/../../evil", "http://127.0.0.1:1/",
	} {
		c := in.client()
		send(t, c, in.req("GET", "login", nil))
		form := url.Values{"password": {"mypassword"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
		r := in.req("POST", "login?next="+url.QueryEscape(next), strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, _, h := send(t, c, r)
		loc := h.Get("Location")
		u, err := url.Parse(loc)
		if status != 302 || err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\t\n") {
			t.Errorf("next=%q: %d Location=%q", next, status, loc)
		}
	}
	// A same-site next is kept.
	c := in.client()
	send(t, c, in.req("GET", "login", nil))
	form := url.Values{"password": {"mypassword"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
	r := in.req("POST", "login?next="+url.QueryEscape("/tree/a b.ipynb?x=1"), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, _, h := send(t, c, r); h.Get("Location") != "/tree/a%20b.ipynb?x=1" && h.Get("Location") != "/tree/a b.ipynb?x=1" {
		t.Errorf("same-site next changed to %q", h.Get("Location"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	in := startQuire(t, opts{})
	for _, p := range []string{"api", "api/status", "login", "api/contents/missing", "files/missing", "nope/"} {
		status, _, h := in.do(in.req("GET", p, nil))
		_ = status
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors") {
			t.Errorf("%s: missing default headers: %v", p, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS without TLS", p)
		}
	}
}

func TestSelfSignedTLS(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--tls", "self-signed"}})
	if !strings.HasPrefix(in.URL, "https://") {
		t.Fatalf("URL %s is not https", in.URL)
	}
	m := regexp.MustCompile(`([0-9A-F]{2}(:[0-9A-F]{2}){31})`).FindString(in.Stdout.String())
	if m == "" {
		t.Fatalf("no SHA-256 fingerprint printed:\n%s", in.Stdout)
	}
	c := in.client()
	resp, err := c.Get(in.URL + "api/status?token=" + in.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// No HSTS by default: a browser told to insist on HTTPS would lock its
	// user out once a self-signed certificate changes.
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("TLS status %d HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if resp.TLS.Version < 0x0303 {
		t.Fatalf("TLS version %x < 1.2", resp.TLS.Version)
	}
	sum := sha256.Sum256(resp.TLS.PeerCertificates[0].Raw)
	if got := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(m, ":", "") != got {
		t.Fatalf("printed fingerprint %s does not match the served certificate %s", m, got)
	}
	// Cookies are Secure under TLS.
	rr, err := c.Do(browserGet(in, "tree?token="+in.Token))
	if err != nil {
		t.Fatal(err)
	}
	rr.Body.Close()
	for _, ck := range rr.Cookies() {
		if !ck.Secure || !ck.HttpOnly && ck.Name != "_xsrf" {
			t.Errorf("cookie %s: Secure=%v HttpOnly=%v", ck.Name, ck.Secure, ck.HttpOnly)
		}
	}
	// The same certificate is reused on the next start.
	in.stop()
	// --hsts-max-age turns HSTS on, too.
	in2 := startQuire(t, opts{args: []string{"--tls", "self-signed", "--data-dir", in.DataDir, "--hsts-max-age", "1h"}})
	if !strings.Contains(in2.Stdout.String(), m) {
		t.Fatalf("certificate not reused: %s", in2.Stdout)
	}
	resp, err = in2.client().Get(in2.URL + "api/status?token=" + in2.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=3600" {
		t.Errorf("with --hsts-max-age 1h: HSTS %q", got)
	}
}

// The limits given as options reach the running server: the throttle
// starts after --login-free-failures with --login-failure-delay, a header
// block over --max-header-size gets 431, and a client that does not finish
// its headers within --http-header-timeout is cut off.
func TestLimitOptions(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--password-hash", sha1Vector, "--token", "tok-abcdefabcdefabcdefabcdef",
		"--login-free-failures", "1", "--login-failure-delay", "7s", "--max-header-size", "8KiB", "--http-header-timeout", "1s"}})
	in.Token = "tok-abcdefabcdefabcdefabcdef"
	c := in.client()
	var statuses []int
	var retryAfter string
	for range 2 {
		send(t, c, in.req("GET", "login", nil))
		form := url.Values{"password": {"wrong"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
		r := in.req("POST", "login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, _, h := send(t, c, r)
		statuses = append(statuses, status)
		retryAfter = h.Get("Retry-After")
	}
	// The one free failure is checked and refused; the next waits.
	if n, err := strconv.Atoi(retryAfter); !slices.Equal(statuses, []int{401, 429}) || err != nil || n < 5 || n > 7 {
		t.Errorf("two wrong passwords: %v, Retry-After %q; want [401 429] and about 7 (--login-failure-delay)", statuses, retryAfter)
	}

	big := in.req("GET", "api/status", nil)
	big.Header.Set("X-Filler", strings.Repeat("x", 12<<10))
	if status, _, _ := in.do(big); status != 431 {
		t.Errorf("12 KiB of headers with --max-header-size 8KiB: %d, want 431", status)
	}
	if status, _, _ := in.do(in.req("GET", "api/status", nil)); status != 200 {
		t.Errorf("a normal request: %d", status)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(in.URL, "/"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(conn) // ends when the server closes the connection
	if d := time.Since(t0); err != nil || d > 5*time.Second {
		t.Errorf("unfinished headers with --http-header-timeout 1s: closed after %s (%v)", d.Round(time.Millisecond), err)
	}
}
