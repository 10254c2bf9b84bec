//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"quire/internal/kernel/wire"
)

// A varied session (token in queries, nested one to three levels inside
// next, form logins with a wrong and a right password, the XSRF cookie, a
// kernel WebSocket with ?token=, 404/400/413 errors and a shutdown) leaves
// no token, password or cookie value in any line of the log, at debug
// level in both formats (issue #14 hole 8). stdout, which shows the token
// in the URL to open by design, is not the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { logSecretsSession(t, format) })
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func logSecretsSession(t *testing.T, format string) { logSecretsSessionOn(t, format, opts{}) }

// logSecretsSessionOn runs the session on a quire started from base (the
// disk store, or the S3 store's options) and returns the stopped instance.
func logSecretsSessionOn(t *testing.T, format string, base opts) *instance {
	token := "tok" + randomHex(20)
	password := "pw" + randomHex(8)
	base.args = append(append([]string(nil), base.args...), "--log-format", format, "--max-body-size", "64KiB")
	base.env = append(append([]string(nil), base.env...), "QUIRE_TOKEN="+token, "QUIRE_PASSWORD="+password)
	in := startQuire(t, base)
	q := url.QueryEscape
	nested := []string{
		"/tree?token=" + token,                                        // 1 level
		"/tree?next=" + q("/lab?token="+token),                        // 2 levels
		"/a?next=" + q("/b?next="+q("/c#token="+token+"&x=1")),        // 3 levels, in a fragment
		"/tree;token=" + token,                                        // path parameter
		"/notebooks/x.ipynb?_xsrf=" + token + "&password=" + password, // other names
	}
	anon := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"api/status?token=" + token, "tree?token=" + token, "api/contents/missing?token=" + token, "nope?token=" + token} {
		send(t, anon, in.req("GET", p, nil))
	}
	for _, n := range nested {
		send(t, anon, in.req("GET", "login?next="+q(n), nil))
		send(t, anon, in.req("GET", "login?next="+q(q(n)), nil)) // double-encoded
		send(t, anon, in.req("GET", "tree?next="+q(n)+"&token="+token, nil))
	}

	// Form logins, wrong then right, each with a nested token in next.
	c := in.client()
	if status, _, _ := send(t, c, in.req("GET", "login", nil)); status != 200 {
		t.Fatalf("GET /login: %d", status)
	}
	xsrf := cookieValue(c, in, "_xsrf")
	for _, pw := range []string{password + "x", password} {
		form := url.Values{"password": {pw}, "_xsrf": {xsrf}}
		r := in.req("POST", "login?next="+q(nested[1]), strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Referer", in.URL+"login?next="+q(nested[0]))
		send(t, c, r)
	}
	var cookies []string
	u, _ := url.Parse(in.URL)
	for _, ck := range c.Jar.Cookies(u) {
		cookies = append(cookies, ck.Value)
	}
	if len(cookies) < 2 {
		t.Fatalf("after login the jar holds %d cookies, want the session and _xsrf", len(cookies))
	}
	// Cookie-authenticated requests: a save, a bad body (400), an
	// oversized body (413), with the XSRF header.
	for _, tc := range []struct{ path, body string }{
		{"api/contents/a.txt", `{"type":"file","format":"text","content":"hello"}`},
		{"api/contents/b.txt?token=" + token, `{"type":`},
		{"api/contents/c.txt?next=" + q(nested[2]), `{"type":"file","format":"text","content":"` + strings.Repeat("x", 70<<10) + `"}`},
	} {
		r := in.req("PUT", tc.path, strings.NewReader(tc.body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-XSRFToken", xsrf)
		send(t, c, r)
	}
	// Token in the Authorization header, and a WebSocket with ?token=.
	apiJSON(t, in, "GET", "api/contents?next="+q(nested[1]), nil)
	if needKernelOK() {
		k := startKernel(t, in)
		w, _, err := dialWS(t, in, k.ID, wire.NewID(), dialOpts{token: true, client: anon})
		if err != nil {
			t.Fatalf("WebSocket with ?token=: %v", err)
		}
		w.execute("1+1", 60*time.Second)
		w.close()
	}
	send(t, anon, in.req("GET", "api/kernels/00000000-0000-0000-0000-000000000000/channels?token="+token, nil))
	if status, b, _ := apiJSON(t, in, "POST", "api/shutdown?token="+token, nil); status >= 300 {
		t.Fatalf("POST api/shutdown: %d %s", status, b)
	}
	if err := in.waitExit(30 * time.Second); err != nil {
		t.Fatalf("quire exit: %v", err)
	}

	log := in.Stderr.String()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	requests := 0
	for _, line := range lines {
		if format == "json" && !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
		if strings.Contains(line, "request") && strings.Contains(line, "status") {
			requests++
		}
		for what, secret := range map[string]string{"token": token, "password": password} {
			if strings.Contains(line, secret) {
				t.Errorf("log line holds the %s: %s", what, line)
			}
		}
		for _, v := range cookies {
			if len(v) >= 8 && strings.Contains(line, v) {
				t.Errorf("log line holds a cookie value: %s", line)
			}
		}
	}
	for _, code := range []string{"302", "400", "401", "404", "413"} {
		if !strings.Contains(log, "status="+code) && !strings.Contains(log, `"status":`+code) {
			t.Errorf("the session logged no %s response; it no longer covers that case", code)
		}
	}
	if requests < 30 {
		t.Errorf("only %d access-log lines; the session was not logged at debug level?\n%s", requests, log)
	}
	return in
}

// needKernelOK reports whether ipykernel can run (what needIPyKernel
// checks), for tests that use a kernel when there is one.
func needKernelOK() bool {
	if exec.Command("/usr/bin/python3", "-c", "import ipykernel").Run() != nil {
		return false
	}
	_, err := os.Stat("/usr/share/jupyter/kernels/python3/kernel.json")
	return err == nil
}
