package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

// lockedBuffer is a bytes.Buffer the server writes from its goroutines
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeWholeServer runs the whole server in-process, as `quire` runs
// it, on a free port, talks to it as a client does (the login page,
// status, contents, kernelspecs, a session whose kernel runs code over the
// WebSocket), then cancels it and checks that it stopped cleanly and left
// no goroutine behind. It catches wiring mistakes (a route outside the
// auth chain, a service not passed on, a goroutine never stopped) without
// building the binary.
func TestServeWholeServer(t *testing.T) {
	if out, err := exec.Command("/usr/bin/python3", "-c", "import ipykernel").CombinedOutput(); err != nil {
		t.Skipf("ipykernel not available (/usr/bin/python3 -c 'import ipykernel': %v: %s)", err, out)
	}
	home := t.TempDir()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The kernel runs the real ipykernel; its spec, found first on
	// --kernel-spec-path, is the default one by its name.
	specDir := filepath.Join(home, "specs")
	spec := `{"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3 (test)", "language": "python"}`
	if err := os.MkdirAll(filepath.Join(specDir, "python3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(specDir, "python3", "kernel.json"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	// Kernels inherit the process environment: keep IPython's files in
	// the test's home.
	t.Setenv("HOME", home)
	t.Setenv("IPYTHONDIR", filepath.Join(home, "ipython"))
	vars := map[string]string{
		"HOME":                home,
		"JUPYTER_RUNTIME_DIR": filepath.Join(home, "runtime"),
		"JUPYTER_DATA_DIR":    filepath.Join(home, "jupyter"),
		"XDG_CONFIG_HOME":     filepath.Join(home, "config"),
	}
	env := envFunc(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })

	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan serverInfo, 1)
	exited := make(chan int, 1)
	var stdout, stderr lockedBuffer
	go func() {
		exited <- run(ctx, []string{"--port=0", "--ip=127.0.0.1", "--no-browser", "--root-dir", root,
			"--kernel-spec-path", specDir, "--log-level", "debug"},
			env, strings.NewReader(""), &stdout, &stderr, onReady(func(i serverInfo) { ready <- i }))
	}()
	defer func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}()
	var info serverInfo
	select {
	case info = <-ready:
	case code := <-exited:
		t.Fatalf("quire exited with %d before serving", code)
	case <-time.After(15 * time.Second):
		t.Fatal("quire did not start in 15 s")
	}
	if info.Port == 0 || info.Token == "" || !strings.HasPrefix(info.URL, fmt.Sprintf("http://127.0.0.1:%d/", info.Port)) {
		t.Fatalf("ready with %+v; want a port, a generated token and the URL", info)
	}

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, p, body string, auth bool) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, info.URL+p, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.Header.Set("Authorization", "token "+info.Token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, p, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: read body: %v", method, p, err)
		}
		return resp.StatusCode, b
	}
	decode := func(what string, b []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v in %s", what, err, b)
		}
	}

	// The login page is public; the API is not.
	if st, b := do("GET", "login", "", false); st != 200 || !bytes.Contains(b, []byte("<form")) {
		t.Errorf("GET login = %d %.200s; want 200 with a form", st, b)
	}
	if st, _ := do("GET", "api/status", "", false); st != http.StatusForbidden {
		t.Errorf("GET api/status without a token = %d, want 403", st)
	}
	st, b := do("GET", "api/status", "", true)
	var status struct {
		Kernels int    `json:"kernels"`
		Started string `json:"started"`
	}
	if decode("status", b, &status); st != 200 || status.Kernels != 0 || status.Started == "" {
		t.Errorf("GET api/status = %d %s", st, b)
	}

	// Contents: a notebook made, then read back.
	nb := `{"type": "notebook", "content": {"cells": [{"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "hello"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}`
	if st, b := do("PUT", "api/contents/sub/nb.ipynb", nb, true); st != http.StatusCreated {
		t.Fatalf("PUT api/contents/sub/nb.ipynb = %d %s", st, b)
	}
	st, b = do("GET", "api/contents/sub/nb.ipynb", "", true)
	var model struct {
		Path    string `json:"path"`
		Type    string `json:"type"`
		Content struct {
			Cells []struct {
				Source string `json:"source"`
			} `json:"cells"`
		} `json:"content"`
	}
	if decode("contents", b, &model); st != 200 || model.Path != "sub/nb.ipynb" || model.Type != "notebook" ||
		len(model.Content.Cells) != 1 || model.Content.Cells[0].Source != "hello" {
		t.Errorf("GET api/contents/sub/nb.ipynb = %d %s", st, b)
	}

	// Kernelspecs: ours, and the default.
	st, b = do("GET", "api/kernelspecs", "", true)
	var specs struct {
		Default     string `json:"default"`
		Kernelspecs map[string]struct {
			Spec struct {
				DisplayName string `json:"display_name"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	if decode("kernelspecs", b, &specs); st != 200 || specs.Default != "python3" || specs.Kernelspecs["python3"].Spec.DisplayName != "Python 3 (test)" {
		t.Errorf("GET api/kernelspecs = %d %s", st, b)
	}

	// A session for the notebook starts the default kernel in the
	// notebook's directory, told the notebook's path.
	st, b = do("POST", "api/sessions", `{"path": "sub/nb.ipynb", "name": "nb.ipynb", "type": "notebook", "kernel": {}}`, true)
	var sess struct {
		ID     string `json:"id"`
		Kernel struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"kernel"`
	}
	if decode("session", b, &sess); st != http.StatusCreated || sess.Kernel.ID == "" || sess.Kernel.Name != "python3" {
		t.Fatalf("POST api/sessions = %d %s", st, b)
	}
	const code = "import os; print(os.getcwd(), os.environ.get('JPY_SESSION_NAME'))"
	want := filepath.Join(root, "sub") + " sub/nb.ipynb"
	if got := execute(t, info, sess.Kernel.ID, code); got != want+"\n" {
		t.Errorf("the kernel printed %q, want %q", got, want+"\n")
	}
	if st, b := do("GET", "api/status", "", true); st != 200 || !bytes.Contains(b, []byte(`"kernels":1`)) {
		t.Errorf("GET api/status with a kernel = %d %s", st, b)
	}
	tr.CloseIdleConnections()

	// Cancelling the context stops the server: exit 0, the kernel and the
	// runtime file gone, no goroutine left.
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("quire exited with %d after cancel, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("quire did not stop within 30 s of its context's end")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no \"stopped\" in the log")
	}
	if files, _ := filepath.Glob(filepath.Join(home, "runtime", "*")); len(files) != 0 {
		t.Errorf("runtime dir holds %v after shutdown; want nothing (runtime and connection files removed)", files)
	}
	var n int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left running, %d before the server started:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	}
}

// execute runs code in the kernel over the channels WebSocket and returns
// what it printed on stdout, failing unless the execution succeeds.
func execute(t *testing.T, info serverInfo, kernelID, code string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	url := strings.Replace(info.URL, "http", "ws", 1) + "api/kernels/" + kernelID + "/channels?session_id=" + wire.NewID()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		HTTPHeader:   http.Header{"Authorization": {"token " + info.Token}},
		Subprotocols: []string{wsbridge.Subprotocol},
	})
	if err != nil {
		t.Fatalf("dial the kernel's channels: %v", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(64 << 20)

	msgID := wire.NewID()
	header, _ := json.Marshal(map[string]any{
		"msg_id": msgID, "msg_type": "execute_request", "session": wire.NewID(), "username": "test",
		"date": time.Now().UTC().Format(wire.DateFormat), "version": "5.3",
	})
	content, _ := json.Marshal(map[string]any{"code": code, "silent": false, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	req := &wire.Message{Header: header, ParentHeader: json.RawMessage("{}"), Metadata: json.RawMessage("{}"), Content: content}
	if err := c.Write(ctx, websocket.MessageBinary, wsbridge.EncodeV1("shell", req)); err != nil {
		t.Fatalf("send execute_request: %v", err)
	}
	var stdout strings.Builder
	replied, idle := false, false
	for !replied || !idle {
		typ, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read the kernel's answer (stdout so far %q): %v", stdout.String(), err)
		}
		if typ != websocket.MessageBinary {
			t.Fatalf("a text frame under %s: %q", wsbridge.Subprotocol, data)
		}
		channel, m, err := wsbridge.DecodeV1(data)
		if err != nil {
			t.Fatalf("decode a frame: %v", err)
		}
		var h, parent wire.Header
		_ = json.Unmarshal(m.Header, &h)
		_ = json.Unmarshal(m.ParentHeader, &parent)
		if parent.MsgID != msgID {
			continue
		}
		var body struct {
			Name           string `json:"name"`
			Text           string `json:"text"`
			Status         string `json:"status"`
			ExecutionState string `json:"execution_state"`
			Ename          string `json:"ename"`
			Evalue         string `json:"evalue"`
		}
		_ = json.Unmarshal(m.Content, &body)
		switch {
		case channel == "iopub" && h.MsgType == "stream" && body.Name == "stdout":
			stdout.WriteString(body.Text)
		case channel == "iopub" && h.MsgType == "error":
			t.Fatalf("the code failed: %s: %s", body.Ename, body.Evalue)
		case channel == "iopub" && h.MsgType == "status" && body.ExecutionState == "idle":
			idle = true
		case channel == "shell" && h.MsgType == "execute_reply":
			if body.Status != "ok" {
				t.Fatalf("execute_reply status %q: %s", body.Status, m.Content)
			}
			replied = true
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Logf("close the WebSocket: %v", err)
	}
	return stdout.String()
}
