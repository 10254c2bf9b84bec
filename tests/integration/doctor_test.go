//go:build integration

package integration

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// doctorReport is quire doctor --json's output.
type doctorReport struct {
	Schema   int    `json:"schema"`
	Target   string `json:"target"`
	Status   string `json:"status"`
	Findings []struct {
		ID, Level, Title, Detail, Fix string
	} `json:"findings"`
}

// runDoctor runs quire doctor --json with args in in's environment (HOME,
// runtime and data dirs) plus env, and returns the parsed report and the
// exit code.
func runDoctor(t *testing.T, in *instance, env []string, args ...string) (doctorReport, int) {
	t.Helper()
	base := []string{"HOME=" + in.Home, "JUPYTER_RUNTIME_DIR=" + in.RuntimeDir,
		"XDG_DATA_HOME=" + filepath.Join(in.Home, "xdg-data"), "XDG_CONFIG_HOME=" + filepath.Join(in.Home, "xdg-config")}
	out, errOut, err := runQuire(t, append(base, env...), "", append([]string{"doctor", "--json"}, args...)...)
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("quire doctor: %v\n%s", err, errOut)
	}
	var r doctorReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("quire doctor --json printed no JSON (%v):\n%s\nstderr:\n%s", err, out, errOut)
	}
	if in.Token != "" && strings.Contains(out+errOut, in.Token) {
		t.Errorf("quire doctor printed the token")
	}
	return r, code
}

func (r doctorReport) find(id string) (level, text string, ok bool) {
	for _, f := range r.Findings {
		if f.ID == id || strings.HasPrefix(f.ID, id+":") {
			return f.Level, f.Title + "\n" + f.Detail + "\n" + f.Fix, true
		}
	}
	return "", "", false
}

func (r doctorReport) String() string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.Level + " " + f.ID + ": " + f.Title + "\n")
	}
	return b.String()
}

// TestDoctorHealthy: against a freshly started server, both the local and
// the remote checks pass, the WebSocket one included.
func TestDoctorHealthy(t *testing.T) {
	in := startQuire(t, opts{})
	local, code := runDoctor(t, in, nil, "--root-dir", in.Root, "--data-dir", in.DataDir)
	if code != 0 || local.Status != "ok" || local.Schema != 1 {
		t.Errorf("local: exit %d, status %q, want 0 and ok:\n%s", code, local.Status, local)
	}
	if lvl, text, ok := local.find("server.running"); !ok || lvl != "ok" || !strings.Contains(text, in.URL) {
		t.Errorf("local: the running server is not found: %s %s\n%s", lvl, text, local)
	}

	// With --public-url, quire doctor alone checks the running server from the outside too.
	both, code := runDoctor(t, in, []string{"QUIRE_TOKEN=" + in.Token}, "--root-dir", in.Root, "--data-dir", in.DataDir, "--public-url", in.URL)
	if lvl, _, ok := both.find("server.reachable"); code != 0 || !ok || lvl != "ok" || !strings.Contains(both.Target, in.URL) {
		t.Errorf("--public-url: exit %d, server.reachable %q, target %q; want the remote checks of %s too:\n%s", code, lvl, both.Target, in.URL, both)
	}

	remote, code := runDoctor(t, in, []string{"QUIRE_TOKEN=" + in.Token}, in.URL)
	if code != 0 || remote.Status != "ok" {
		t.Errorf("remote: exit %d, status %q, want 0 and ok:\n%s", code, remote.Status, remote)
	}
	for _, id := range []string{"server.reachable", "auth.api", "auth.page", "proxy.origin", "clock", "proxy.body-size", "websocket"} {
		if lvl, _, ok := remote.find(id); !ok || lvl != "ok" {
			t.Errorf("remote: %s is %q, want ok:\n%s", id, lvl, remote)
		}
	}
	// The body-size probe wrote nothing; the probe kernel is gone.
	if ents, err := os.ReadDir(in.Root); err != nil || len(ents) != 0 {
		t.Errorf("after doctor the root dir holds %v (%v), want nothing", ents, err)
	}
	status, body, _ := in.do(in.req("GET", "api/kernels", nil))
	if status != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("after doctor: GET api/kernels = %d %s, want no kernels", status, body)
	}

	// Without a token the WebSocket check is skipped, and says how to run it.
	remote, code = runDoctor(t, in, nil, in.URL)
	if lvl, text, _ := remote.find("websocket"); code != 0 || lvl != "skip" || !strings.Contains(text, "QUIRE_TOKEN=") {
		t.Errorf("remote without token: exit %d, websocket %s %q", code, lvl, text)
	}
}

// TestDoctorBrokenConfig: a config file with a misspelt key, readable by
// others, and a public bind without TLS are named, with exit status 2.
func TestDoctorBrokenConfig(t *testing.T) {
	in := startQuire(t, opts{})
	cfg := filepath.Join(in.Home, "bad.json")
	if err := os.WriteFile(cfg, []byte(`{"prot": 9999, "log_level": "info"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	r, code := runDoctor(t, in, nil, "--config", cfg, "--root-dir", in.Root, "--data-dir", in.DataDir, "--ip", "0.0.0.0")
	if code != 2 || r.Status != "error" {
		t.Errorf("exit %d, status %q; want 2 and error:\n%s", code, r.Status, r)
	}
	for _, w := range []struct{ id, level, says string }{
		{"config.unknown-key:prot", "error", `did you mean "port"?`},
		{"config.mode", "warn", "chmod 600 " + cfg},
		{"bind.tls", "error", "--tls self-signed"},
	} {
		lvl, text, ok := r.find(w.id)
		if !ok || lvl != w.level || !strings.Contains(text, w.says) {
			t.Errorf("%s: %s %q; want %s saying %q\n%s", w.id, lvl, text, w.level, w.says, r)
		}
	}

	// A world-readable cookie secret: quire serve would refuse to start.
	secret := filepath.Join(in.DataDir, "quire_cookie_secret")
	if err := os.Chmod(secret, 0o644); err != nil {
		t.Fatal(err)
	}
	r, code = runDoctor(t, in, nil, "--root-dir", in.Root, "--data-dir", in.DataDir)
	if lvl, text, _ := r.find("dirs.cookie-secret"); code != 2 || lvl != "error" || !strings.Contains(text, "chmod 600 "+secret) {
		t.Errorf("readable cookie secret: exit %d, %s %q", code, lvl, text)
	}
}

// TestDoctorProxyDropsUpgrade: a reverse proxy in front of the real
// server that drops the WebSocket upgrade is named with the fix.
func TestDoctorProxyDropsUpgrade(t *testing.T) {
	in := startQuire(t, opts{})
	target, _ := url.Parse(in.URL)
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.URL.Path = pr.In.URL.Path // the base is "/": keep the path as sent
		pr.Out.Header.Del("Upgrade")
		pr.Out.Header.Del("Connection")
	}}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()

	r, code := runDoctor(t, in, []string{"QUIRE_TOKEN=" + in.Token}, proxy.URL+"/")
	lvl, text, _ := r.find("websocket")
	t.Logf("through the stripping proxy:\n%s\nwebsocket: %s", r, text)
	if code != 2 || lvl != "error" || !strings.Contains(text, "instead of 101") || !strings.Contains(text, "proxy_set_header Upgrade $http_upgrade;") {
		t.Errorf("exit %d, websocket %s %q; want 2 and the missing Upgrade named\n%s", code, lvl, text, r)
	}
	status, body, _ := in.do(in.req("GET", "api/kernels", nil))
	if status != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("after doctor: GET api/kernels = %d %s, want the probe kernel deleted", status, body)
	}
}

// TestDoctorPassword: against a server with a password and no token, the
// WebSocket check logs in as the login form does and passes; a wrong
// password is named.
func TestDoctorPassword(t *testing.T) {
	in := startQuire(t, opts{env: []string{"QUIRE_PASSWORD=doctor-pass-123"}})
	r, code := runDoctor(t, in, []string{"QUIRE_PASSWORD=doctor-pass-123"}, in.URL)
	if lvl, text, _ := r.find("websocket"); code != 0 || lvl != "ok" {
		t.Errorf("exit %d, websocket %s %q; want 0 and ok\n%s", code, lvl, text, r)
	}
	r, code = runDoctor(t, in, []string{"QUIRE_PASSWORD=wrong"}, in.URL)
	if lvl, text, _ := r.find("auth.password"); code != 2 || lvl != "error" || !strings.Contains(text, "HTTP 401") || strings.Contains(text, "wrong") { // named, never printed
		t.Errorf("wrong password: exit %d, auth.password %s %q\n%s", code, lvl, text, r)
	}
}

// TestDoctorSelfSigned: Quire's own TLS is checked like any other: the
// self-signed certificate is a warning naming its fingerprint, the
// missing HSTS (off by default with a self-signed certificate) a warning
// naming --hsts-max-age, and no credential goes over the unverified
// connection.
func TestDoctorSelfSigned(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--tls", "self-signed"}})
	if !strings.HasPrefix(in.URL, "https://") {
		t.Fatalf("URL %s is not https", in.URL)
	}
	r, code := runDoctor(t, in, []string{"QUIRE_TOKEN=" + in.Token}, in.URL)
	for _, w := range []struct{ id, level, says string }{
		{"tls.chain", "warn", "fingerprint"},
		{"tls.names", "ok", "127.0.0.1"},
		{"tls.expiry", "ok", "days"},
		{"hsts", "warn", "--hsts-max-age"}, // off by default for a self-signed certificate
		{"auth.page", "ok", ""},
		{"websocket", "skip", "no credential was sent"},
	} {
		if lvl, text, _ := r.find(w.id); lvl != w.level || !strings.Contains(text, w.says) {
			t.Errorf("%s: %s %q; want %s saying %q\n%s", w.id, lvl, text, w.level, w.says, r)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (a warning)\n%s", code, r)
	}
}
