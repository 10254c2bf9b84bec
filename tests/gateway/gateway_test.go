//go:build integration

// Package gateway runs Debian's jupyter_server 1.23 with --gateway-url
// pointing at a real quire binary (QUIRE_BIN) and drives kernels through
// jupyter_server's own REST API and WebSocket, so Quire is exercised as a
// Kernel Gateway by an unmodified Jupyter client.
package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/tests/internal/harness"
)

const python = "/usr/bin/python3"

// requirePython skips the test unless jupyter_server and ipykernel are
// importable by the system Python.
func requirePython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not found; gateway test needs Debian's jupyter_server and ipykernel", python)
	}
	for _, mod := range []string{"jupyter_server", "ipykernel"} {
		if out, err := exec.Command(python, "-c", "import "+mod).CombinedOutput(); err != nil {
			t.Skipf("%s cannot import %s (apt install python3-jupyter-server python3-ipykernel): %v\n%s", python, mod, err, out)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// server is a child process serving HTTP at base with a token.
type server struct {
	name  string
	proc  *harness.Process
	base  string // http://127.0.0.1:<port>/
	token string
	out   *harness.Buffer
}

// start launches cmd, registers its teardown (SIGTERM, then SIGKILL of its
// process group after 10 s) and waits until GET base+readyPath answers 200.
func start(t *testing.T, name string, cmd *exec.Cmd, base, token, readyPath string) *server {
	t.Helper()
	s := &server{name: name, base: base, token: token, out: &harness.Buffer{}}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.proc = harness.Start(t, name, cmd)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() || os.Getenv("GATEWAY_TEST_LOGS") != "" {
			t.Logf("%s output:\n%s", name, s.out)
		}
	})
	s.proc.WaitReady(t, 30*time.Second, 50*time.Millisecond, s.out.String, func() (bool, string) {
		resp, err := s.do(t, http.MethodGet, readyPath, nil)
		if err != nil {
			return false, fmt.Sprintf("GET %s%s: %v", base, readyPath, err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("GET %s%s: status %d", base, readyPath, resp.StatusCode)
	})
	return s
}

func (s *server) stop() { _ = s.proc.Stop() }

var httpClient = &http.Client{Timeout: 90 * time.Second}

func (s *server) do(t *testing.T, method, path string, body any) (*http.Response, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return httpClient.Do(req)
}

// call does a request, checks the status and decodes a JSON body into out
// (when out is not nil).
func (s *server) call(t *testing.T, method, path string, body any, wantStatus int, out any) {
	t.Helper()
	resp, err := s.do(t, method, path, body)
	if err != nil {
		t.Fatalf("%s %s %s: %v", s.name, method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s %s: status %d, want %d; body %s", s.name, method, path, resp.StatusCode, wantStatus, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s %s: decode %q: %v", s.name, method, path, data, err)
		}
	}
}

type kernelModel struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	ExecutionState string `json:"execution_state"`
}

func (s *server) kernelIDs(t *testing.T) []string {
	t.Helper()
	var ks []kernelModel
	s.call(t, http.MethodGet, "api/kernels", nil, http.StatusOK, &ks)
	ids := make([]string, 0, len(ks))
	for _, k := range ks {
		ids = append(ids, k.ID)
	}
	return ids
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// startQuire runs quire on a free port with private HOME, runtime, data and
// XDG dirs.
func startQuire(t *testing.T, token string) *server {
	t.Helper()
	home := t.TempDir()
	root := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(harness.Bin(t), "--port", fmt.Sprint(port), "--no-browser",
		"--token", token, "--root-dir", root, "--data-dir", filepath.Join(home, "data"), "--log-level", "debug")
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(home, "runtime"),
		"XDG_DATA_HOME=" + filepath.Join(home, "xdg-data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "xdg-config"),
	}
	return start(t, "quire", cmd, fmt.Sprintf("http://127.0.0.1:%d/", port), token, "api/status")
}

// startJupyter runs Debian's jupyter_server with its kernels and kernelspecs
// delegated to the gateway at gatewayURL.
func startJupyter(t *testing.T, token, gatewayURL, gatewayToken string) *server {
	t.Helper()
	home := t.TempDir()
	root := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(python, "-m", "jupyter_server",
		"--no-browser", "--allow-root", "--ip=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--ServerApp.port_retries=0",
		"--ServerApp.token="+token,
		"--ServerApp.root_dir="+root,
		"--GatewayClient.url="+gatewayURL,
		"--GatewayClient.auth_token="+gatewayToken,
		"--GatewayClient.request_timeout=60",
		"--debug",
	)
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"JUPYTER_NO_CONFIG=1",
		"JUPYTER_CONFIG_DIR=" + filepath.Join(home, "config"),
		"JUPYTER_DATA_DIR=" + filepath.Join(home, "data"),
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(home, "runtime"),
		"XDG_DATA_HOME=" + filepath.Join(home, "xdg-data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "xdg-config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "xdg-cache"),
		"IPYTHONDIR=" + filepath.Join(home, "ipython"),
	}
	return start(t, "jupyter_server", cmd, fmt.Sprintf("http://127.0.0.1:%d/", port), token, "api/status")
}

// jmsg is a message in the legacy JSON WebSocket protocol.
type jmsg struct {
	Header       map[string]any `json:"header"`
	ParentHeader map[string]any `json:"parent_header"`
	Metadata     map[string]any `json:"metadata"`
	Content      map[string]any `json:"content"`
	Channel      string         `json:"channel"`
	Buffers      []any          `json:"buffers"`
}

func newMsg(session, msgType string, content map[string]any) (jmsg, string) {
	id := randomToken()
	return jmsg{
		Header: map[string]any{
			"msg_id": id, "msg_type": msgType, "session": session, "username": "gateway-test",
			"version": "5.3", "date": time.Now().UTC().Format(time.RFC3339Nano),
		},
		ParentHeader: map[string]any{}, Metadata: map[string]any{},
		Content: content, Channel: "shell", Buffers: []any{},
	}, id
}

func TestJupyterServerThroughQuireGateway(t *testing.T) {
	requirePython(t)
	quireToken, jupyterToken := randomToken(), randomToken()
	quire := startQuire(t, quireToken)
	jup := startJupyter(t, jupyterToken, strings.TrimSuffix(quire.base, "/"), quireToken)

	// Kernelspecs come from Quire.
	var specs struct {
		Default     string                     `json:"default"`
		Kernelspecs map[string]json.RawMessage `json:"kernelspecs"`
	}
	jup.call(t, http.MethodGet, "api/kernelspecs", nil, http.StatusOK, &specs)
	if _, ok := specs.Kernelspecs["python3"]; !ok {
		t.Fatalf("jupyter_server kernelspecs lack python3: %v", specs.Kernelspecs)
	}
	if specs.Default != "python3" {
		t.Errorf("default kernelspec %q, want python3", specs.Default)
	}

	// Start a kernel through jupyter_server: it is Quire's kernel.
	var k kernelModel
	jup.call(t, http.MethodPost, "api/kernels", map[string]any{"name": "python3"}, http.StatusCreated, &k)
	if k.ID == "" || k.Name != "python3" {
		t.Fatalf("started kernel model %+v", k)
	}
	t.Cleanup(func() {
		// Best effort if the test failed before the DELETE.
		if resp, err := quire.do(t, http.MethodDelete, "api/kernels/"+k.ID, nil); err == nil {
			resp.Body.Close()
		}
	})
	if ids := quire.kernelIDs(t); !contains(ids, k.ID) {
		t.Fatalf("kernel %s started via jupyter_server is not in Quire's /api/kernels %v", k.ID, ids)
	}
	if ids := jup.kernelIDs(t); !contains(ids, k.ID) {
		t.Fatalf("kernel %s is not in jupyter_server's /api/kernels %v", k.ID, ids)
	}

	// Execute through jupyter_server's channels WebSocket (legacy JSON).
	execute(t, jup, k.ID)

	// Delete through jupyter_server: gone in Quire too.
	jup.call(t, http.MethodDelete, "api/kernels/"+k.ID, nil, http.StatusNoContent, nil)
	if ids := quire.kernelIDs(t); contains(ids, k.ID) {
		t.Fatalf("kernel %s deleted via jupyter_server is still in Quire's /api/kernels %v", k.ID, ids)
	}
	if ids := jup.kernelIDs(t); contains(ids, k.ID) {
		t.Fatalf("kernel %s still in jupyter_server's /api/kernels %v", k.ID, ids)
	}
}

// execute opens jupyter_server's channels WebSocket for the kernel, waits
// for a kernel_info_reply (resending the request, since jupyter_server 1.23
// can drop messages sent before its own upstream socket to the gateway is
// up), then runs print(6*7) and expects stream "42\n" and an ok reply.
func execute(t *testing.T, jup *server, kernelID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := randomToken()
	wsURL := "ws" + strings.TrimPrefix(jup.base, "http") + "api/kernels/" + kernelID + "/channels?session_id=" + session
	c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"token " + jup.token}},
	})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", wsURL, err, status)
	}
	defer c.CloseNow()
	c.SetReadLimit(16 << 20)

	msgs := make(chan jmsg, 256)
	readErr := make(chan error, 1)
	go func() {
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			if typ != websocket.MessageText {
				readErr <- fmt.Errorf("unexpected binary frame on the legacy protocol (%d bytes)", len(data))
				return
			}
			var m jmsg
			if err := json.Unmarshal(data, &m); err != nil {
				readErr <- fmt.Errorf("decode %q: %v", data, err)
				return
			}
			msgs <- m
		}
	}()
	send := func(m jmsg) {
		data, _ := json.Marshal(m)
		if err := c.Write(ctx, websocket.MessageText, data); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	parentID := func(m jmsg) string { s, _ := m.ParentHeader["msg_id"].(string); return s }
	msgType := func(m jmsg) string { s, _ := m.Header["msg_type"].(string); return s }

	// kernel_info handshake.
	infoIDs := map[string]bool{}
	resend := time.NewTicker(2 * time.Second)
	defer resend.Stop()
	ask := func() {
		m, id := newMsg(session, "kernel_info_request", map[string]any{})
		infoIDs[id] = true
		send(m)
	}
	ask()
handshake:
	for {
		select {
		case m := <-msgs:
			if msgType(m) == "kernel_info_reply" && infoIDs[parentID(m)] {
				if m.Content["status"] != "ok" {
					t.Fatalf("kernel_info_reply %v", m.Content)
				}
				break handshake
			}
		case <-resend.C:
			ask()
		case err := <-readErr:
			t.Fatalf("read before kernel_info_reply: %v", err)
		case <-ctx.Done():
			t.Fatal("no kernel_info_reply through jupyter_server")
		}
	}

	m, execID := newMsg(session, "execute_request", map[string]any{
		"code": "print(6*7)", "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
	})
	send(m)
	var stdout strings.Builder
	var reply map[string]any
	idle := false
	for reply == nil || !idle {
		select {
		case m := <-msgs:
			if parentID(m) != execID {
				continue
			}
			switch msgType(m) {
			case "stream":
				if m.Content["name"] == "stdout" {
					s, _ := m.Content["text"].(string)
					stdout.WriteString(s)
				}
			case "execute_reply":
				if m.Channel != "shell" {
					t.Errorf("execute_reply on channel %q, want shell", m.Channel)
				}
				reply = m.Content
			case "status":
				if m.Content["execution_state"] == "idle" {
					idle = true
				}
			}
		case err := <-readErr:
			t.Fatalf("read during execute: %v", err)
		case <-ctx.Done():
			t.Fatalf("execute timed out: reply %v idle %v stdout %q", reply, idle, stdout.String())
		}
	}
	if reply["status"] != "ok" {
		t.Fatalf("execute_reply %v", reply)
	}
	if stdout.String() != "42\n" {
		t.Fatalf("stdout %q, want %q", stdout.String(), "42\n")
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
}
