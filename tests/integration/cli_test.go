//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartPrintsTokenURLAndCleansUp(t *testing.T) {
	in := startQuire(t, opts{})
	if !regexp.MustCompile(`^[0-9a-f]{48,}$`).MatchString(in.Token) {
		t.Fatalf("generated token %q is not at least 192 bits of hex", in.Token)
	}
	want := fmt.Sprintf("http://127.0.0.1:%d/?token=%s", in.Port, in.Token)
	if !strings.Contains(in.Stdout.String(), want) {
		t.Fatalf("stdout does not show %s:\n%s", want, in.Stdout)
	}
	path := filepath.Join(in.RuntimeDir, fmt.Sprintf("quire-%d.json", in.cmd.Process.Pid))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("runtime file mode = %v, want 0600", fi.Mode().Perm())
	}
	var info map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "port", "pid", "root_dir", "base_url", "token", "secure", "sock"} {
		if _, ok := info[k]; !ok {
			t.Errorf("runtime file lacks %q: %s", k, data)
		}
	}
	if err := in.stop(); err != nil {
		t.Fatalf("SIGTERM: exit %v, want 0", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("runtime file still there after exit: %v", err)
	}
	if strings.Contains(in.Stderr.String(), in.Token) {
		t.Errorf("the log contains the token")
	}
}

func TestUnsafeSetupsRefusedOrWarned(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		fails    bool
		stderrRe string
	}{
		{"public bind without auth", []string{"--ip", "0.0.0.0", "--token", ""}, true, `refusing to listen on all interfaces without authentication`},
		{"empty token on loopback", []string{"--token", ""}, false, `authentication is disabled`},
		{"public bind without TLS", []string{"--ip", "0.0.0.0"}, false, "without TLS.*--acme-domain.*`quire doctor`"},
		{"bad tls value", []string{"--tls", "maybe"}, true, `--tls "maybe"`},
		{"cert without key", []string{"--certfile", "/nonexistent"}, true, `--certfile and --keyfile go together`},
		{"wildcard origin", []string{"--allow-origin", "*"}, true, `exact origins`},
		{"bad password hash", []string{"--password-hash", "nonsense"}, true, `password-hash`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := startQuire(t, opts{args: tc.args, noWait: true})
			if tc.fails {
				err := in.waitExit(10 * time.Second)
				if err == nil {
					t.Fatalf("quire started; want a refusal")
				}
			} else {
				in.waitReady()
			}
			if !regexp.MustCompile(tc.stderrRe).MatchString(in.Stderr.String()) {
				t.Fatalf("stderr does not match %q:\n%s", tc.stderrRe, in.Stderr)
			}
		})
	}
}

func TestPortBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	in := startQuire(t, opts{args: []string{"--port", strconv.Itoa(port)}, noWait: true})
	if err := in.waitExit(10 * time.Second); err == nil {
		t.Fatal("quire started on a busy port")
	}
	if !strings.Contains(in.Stderr.String(), "already in use") || !strings.Contains(in.Stderr.String(), "--port-retries") {
		t.Fatalf("no clear message about the busy port:\n%s", in.Stderr)
	}

	in2 := startQuire(t, opts{args: []string{"--port", strconv.Itoa(port), "--port-retries", "20"}})
	if in2.Port <= port || in2.Port > port+20 {
		t.Fatalf("with retries: port %d, want in (%d, %d]", in2.Port, port, port+20)
	}
}

func runQuire(t *testing.T, env []string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, quireBin(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func TestListAndStop(t *testing.T) {
	in := startQuire(t, opts{})
	env := []string{"HOME=" + in.Home, "JUPYTER_RUNTIME_DIR=" + in.RuntimeDir}

	// A stale runtime file (dead pid) is skipped.
	stale := filepath.Join(in.RuntimeDir, "quire-999999.json")
	if err := os.WriteFile(stale, []byte(`{"pid":999999,"port":1,"url":"http://127.0.0.1:1/"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, err := runQuire(t, env, "", "list")
	if err != nil {
		t.Fatalf("quire list: %v %s", err, errOut)
	}
	if !strings.Contains(out, in.URL+"?token="+in.Token+" :: "+in.Root) {
		t.Fatalf("quire list output lacks the server:\n%s", out)
	}
	if strings.Contains(out, "127.0.0.1:1/") {
		t.Fatalf("quire list shows a stale server:\n%s", out)
	}
	out, _, err = runQuire(t, env, "", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Port int    `json:"port"`
		PID  int    `json:"pid"`
		URL  string `json:"url"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &info); err != nil || info.Port != in.Port {
		t.Fatalf("quire list --json = %q (%v)", out, err)
	}

	out, errOut, err = runQuire(t, env, "", "stop", strconv.Itoa(in.Port))
	if err != nil {
		t.Fatalf("quire stop: %v\n%s%s", err, out, errOut)
	}
	if err := in.waitExit(10 * time.Second); err != nil {
		t.Fatalf("server exit after stop: %v", err)
	}
	_, errOut, err = runQuire(t, env, "", "stop", strconv.Itoa(in.Port))
	if err == nil || !strings.Contains(errOut, "no running Quire server") {
		t.Fatalf("second stop: %v %q", err, errOut)
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "q.sock")
	in := startQuire(t, opts{args: []string{"--sock", sock}})
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, _ := http.NewRequest("GET", "http://anything/api/status", nil)
	req.Header.Set("Authorization", "token "+in.Token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status over the socket: %d", resp.StatusCode)
	}
	env := []string{"HOME=" + in.Home, "JUPYTER_RUNTIME_DIR=" + in.RuntimeDir}
	if out, errOut, err := runQuire(t, env, "", "stop", "--sock", sock); err != nil {
		t.Fatalf("quire stop --sock: %v %s %s", err, out, errOut)
	}
	if err := in.waitExit(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left behind")
	}
}

func TestGracefulShutdownFinishesInflightWrite(t *testing.T) {
	in := startQuire(t, opts{})
	pr, pw := io.Pipe()
	req := in.req("PUT", "api/contents/slow.txt", pr)
	req.Header.Set("Authorization", "token "+in.Token)
	req.Header.Set("Content-Type", "application/json")
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := in.client().Do(req)
		if err != nil {
			done <- result{0, err}
			return
		}
		resp.Body.Close()
		done <- result{resp.StatusCode, nil}
	}()
	io.WriteString(pw, `{"type":"file","format":"text","content":"`)
	time.Sleep(200 * time.Millisecond)
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The rest of the body comes once the server is shutting down.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(in.Stderr.String(), "shutting down"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown logged within 10 s of SIGTERM:\n%s", in.Stderr)
		}
	}
	io.WriteString(pw, strings.Repeat("x", 1000)+`"}`)
	pw.Close()
	r := <-done
	if r.err != nil || r.code != 201 {
		t.Fatalf("in-flight PUT during shutdown: %d %v", r.code, r.err)
	}
	if err := in.waitExit(15 * time.Second); err != nil {
		t.Fatalf("exit status after SIGTERM: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(in.Root, "slow.txt"))
	if err != nil || len(data) != 1000 {
		t.Fatalf("file after shutdown: %d bytes, %v", len(data), err)
	}
}

func TestPasswordCommand(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home}
	out, errOut, err := runQuire(t, env, "s3cret pass\ns3cret pass\n", "password")
	if err != nil {
		t.Fatalf("quire password: %v %s", err, errOut)
	}
	hash := strings.TrimSpace(out)
	if !regexp.MustCompile(`^argon2:\$argon2id\$v=19\$m=10240,t=10,p=8\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(hash) {
		t.Fatalf("hash %q is not in Jupyter's format", hash)
	}
	if strings.Contains(out+errOut, "s3cret") {
		t.Fatal("the password was echoed")
	}
	if _, errOut, err := runQuire(t, env, "a\nb\n", "password"); err == nil || !strings.Contains(errOut, "do not match") {
		t.Fatalf("mismatched passwords: %v %q", err, errOut)
	}

	cfg := filepath.Join(home, "cfg", "quire.json")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(`{"port-retries": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runQuire(t, env, "pw1\npw1\n", "password", "--write", "--config", cfg); err != nil {
		t.Fatalf("password --write: %v %s", err, errOut)
	}
	fi, _ := os.Stat(cfg)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(cfg)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m["port-retries"] == nil || !strings.HasPrefix(fmt.Sprint(m["password_hash"]), "argon2:") {
		t.Fatalf("config after --write: %s", data)
	}

	// The server started with that config has a password and no token.
	in := startQuire(t, opts{args: []string{"--config", cfg}})
	if in.Token != "" {
		t.Fatalf("a token was generated although a password is configured")
	}
	c := in.client()
	status, _, _ := send(t, c, in.req("GET", "api/status", nil))
	if status != 403 {
		t.Fatalf("unauthenticated status: %d", status)
	}
	if !loginWithPassword(t, in, c, "pw1") {
		t.Fatal("login with the written password failed")
	}
	if status, _, _ := send(t, c, in.req("GET", "api/status", nil)); status != 200 {
		t.Fatalf("status after login: %d", status)
	}
}

func TestLogNeverHoldsSecrets(t *testing.T) {
	in := startQuire(t, opts{env: []string{"QUIRE_PASSWORD=hunter2-plain"}, args: []string{"--token", "tok-" + strings.Repeat("a", 40)}})
	c := in.client()
	for _, r := range []*http.Request{
		in.req("GET", "api/status?token="+in.Token, nil),
		in.req("GET", "tree?token="+in.Token+"&x=1", nil),
		in.req("GET", "api/contents?token=wrong-"+in.Token, nil),
		in.req("GET", "api/nope", nil),
	} {
		r.Header.Set("Authorization", "token "+in.Token)
		r.Header.Set("Cookie", "username-x="+in.Token)
		send(t, c, r)
	}
	loginWithPassword(t, in, in.client(), "hunter2-plain")
	loginWithPassword(t, in, in.client(), "wrong-hunter2-plain")
	in.stop()
	log := in.Stderr.String()
	for _, secret := range []string{in.Token, "hunter2-plain"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret %q:\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "[secret]") && !strings.Contains(log, "redacted") {
		t.Errorf("the access log does not show redaction:\n%s", log)
	}
}

func TestBaseURL(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--base-url", "nb//x"}})
	if !strings.HasSuffix(in.URL, "/nb/x/") {
		t.Fatalf("URL %s does not end with the normalised base /nb/x/", in.URL)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"api/status", 200},
		{"api/contents", 200},
		{"api", 200},
	} {
		if status, body, _ := in.do(in.req("GET", tc.path, nil)); status != tc.want {
			t.Errorf("GET base+%s: %d %s", tc.path, status, body)
		}
	}
	root := strings.TrimSuffix(in.URL, "nb/x/")
	r, _ := http.NewRequest("GET", root+"api/status", nil)
	r.Header.Set("Authorization", "token "+in.Token)
	if status, _, _ := send(t, in.client(), r); status != 404 {
		t.Errorf("GET /api/status outside the base URL: %d, want 404", status)
	}
	status, _, h := send(t, in.client(), browserGet(in, "tree"))
	if status != 302 || !strings.HasPrefix(h.Get("Location"), "/nb/x/login?next=") {
		t.Errorf("login redirect under the base URL: %d %q", status, h.Get("Location"))
	}
}
