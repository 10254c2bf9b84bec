//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// termModel is a terminal as the REST API shows it.
type termModel struct {
	Name         string `json:"name"`
	LastActivity string `json:"last_activity"`
}

// createTerminal POSTs body (nil = none) to api/terminals.
func createTerminal(t *testing.T, in *instance, body any) (int, termModel, string) {
	t.Helper()
	r := in.req("POST", "api/terminals", nil)
	if body != nil {
		r = in.req("POST", "api/terminals", jsonBody(t, body))
	}
	st, b, _ := in.do(r)
	var m termModel
	if st == http.StatusOK {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("POST api/terminals: %s is not a terminal model", b)
		}
	}
	return st, m, messageOf(b)
}

func mustCreateTerminal(t *testing.T, in *instance, body any) string {
	t.Helper()
	st, m, msg := createTerminal(t, in, body)
	if st != http.StatusOK || m.Name == "" {
		t.Fatalf("POST api/terminals = %d %q", st, msg)
	}
	return m.Name
}

// termWS is a terminal WebSocket client collecting stdout.
type termWS struct {
	t    *testing.T
	c    *websocket.Conn
	mu   sync.Mutex
	out  strings.Builder
	msgs []string
	done chan struct{}
	err  error // why reading ended, once done
}

func termURL(in *instance, name string) string {
	return strings.Replace(in.URL, "http", "ws", 1) + "terminals/websocket/" + name
}

// dialTerminal dials terminal name with header, through client (with its
// cookies) or, when client is nil, with the token in the header; on
// failure it returns the handshake response.
func dialTerminal(t *testing.T, in *instance, name string, client *http.Client, header http.Header) (*termWS, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if client == nil {
		h.Set("Authorization", "token "+in.Token)
	}
	for k, v := range header {
		h[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, termURL(in, name), &websocket.DialOptions{HTTPClient: client, HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	w := &termWS{t: t, c: c, done: make(chan struct{})}
	go w.read()
	t.Cleanup(w.close)
	return w, resp, nil
}

func mustDialTerminal(t *testing.T, in *instance, name string) *termWS {
	t.Helper()
	w, resp, err := dialTerminal(t, in, name, nil, nil)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial terminal %s: %v (HTTP %d)", name, err, code)
	}
	return w
}

func (w *termWS) read() {
	defer close(w.done)
	for {
		_, b, err := w.c.Read(context.Background())
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
		var parts []json.RawMessage
		if json.Unmarshal(b, &parts) != nil || len(parts) == 0 {
			w.t.Errorf("terminal message %q is not a JSON array", b)
			continue
		}
		var typ, text string
		_ = json.Unmarshal(parts[0], &typ)
		w.mu.Lock()
		w.msgs = append(w.msgs, string(b))
		if typ == "stdout" && len(parts) > 1 {
			_ = json.Unmarshal(parts[1], &text)
			w.out.WriteString(text)
		}
		w.mu.Unlock()
	}
}

func (w *termWS) close() { _ = w.c.Close(websocket.StatusNormalClosure, ""); <-w.done }

func (w *termWS) send(msg ...any) {
	w.t.Helper()
	b, _ := json.Marshal(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("send %s: %v", b, err)
	}
}

func (w *termWS) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// until waits for the output to match re and returns the submatches.
func (w *termWS) until(re string) []string {
	w.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := rx.FindStringSubmatch(w.output()); m != nil {
			return m
		}
		select {
		case <-w.done:
			if m := rx.FindStringSubmatch(w.output()); m != nil {
				return m
			}
			w.t.Fatalf("terminal socket ended (%v) before output matched %q; output %q", w.err, re, w.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("output never matched %q; output %q", re, w.output())
		}
	}
}

// waitProcGone waits for pid to be gone (a zombie counts as gone only if
// quire, pid quirePID, is not its parent: nobody else could reap it).
func waitProcGone(t *testing.T, pid, quirePID int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			f := strings.Fields(s[i+1:])
			if len(f) > 1 && f[0] == "Z" && f[1] != strconv.Itoa(quirePID) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still there: %s", pid, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two clients on one terminal see the same output; with every client gone
// the shell runs on, and a new client gets the earlier output replayed
// before live output.
func TestTerminalSharedAndReplayed(t *testing.T) {
	in := startQuire(t, opts{})
	name := mustCreateTerminal(t, in, nil)
	if name != "1" {
		t.Errorf("first terminal named %q, want 1", name)
	}
	a, b := mustDialTerminal(t, in, name), mustDialTerminal(t, in, name)
	a.send("stdin", "echo $((6*7))\r")
	a.until(`42\r\n`)
	b.until(`42\r\n`)
	b.send("stdin", "echo from$((1+1))b\r")
	a.until(`from2b`)
	a.close()
	b.close()

	st, body, _ := in.do(in.req("GET", "api/status", nil))
	var status struct {
		Terminals    int    `json:"terminals"`
		LastActivity string `json:"last_activity"`
	}
	if st != 200 || json.Unmarshal(body, &status) != nil || status.Terminals != 1 {
		t.Errorf("api/status = %d %s; want terminals 1", st, body)
	}

	c := mustDialTerminal(t, in, name)
	c.until(`42\r\n(.|\n)*from2b`)
	c.mu.Lock()
	first := c.msgs[0]
	c.mu.Unlock()
	if first != `["setup",{}]` {
		t.Errorf("first message %q, want setup", first)
	}
	c.send("stdin", "echo again$((3+4))\r")
	c.until(`again7`)

	st, body, _ = in.do(in.req("GET", "api/terminals", nil))
	var list []termModel
	if st != 200 || json.Unmarshal(body, &list) != nil || len(list) != 1 || list[0].Name != "1" || !strings.HasSuffix(list[0].LastActivity, "Z") {
		t.Errorf("GET api/terminals = %d %s", st, body)
	}
	if st, body, _ := in.do(in.req("GET", "api/terminals/1", nil)); st != 200 || !strings.Contains(string(body), `"name":"1"`) {
		t.Errorf("GET api/terminals/1 = %d %s", st, body)
	}
}

// DELETE ends the shell and the job it started in the background (a
// process group of its own); SIGTERM to quire does the same for the
// terminals left.
func TestTerminalDeleteAndStopEndProcesses(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--kernel-shutdown-wait", "2s"}})
	qpid := in.cmd.Process.Pid
	name := mustCreateTerminal(t, in, nil)
	w := mustDialTerminal(t, in, name)
	w.send("stdin", "sleep 1000 & echo PID=$!\r")
	pid, _ := strconv.Atoi(w.until(`PID=(\d+)`)[1])
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		t.Fatalf("sleep %d not running: %v", pid, err)
	}
	if st, body, _ := in.do(in.req("DELETE", "api/terminals/"+name, nil)); st != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", st, body)
	}
	waitProcGone(t, pid, qpid)
	<-w.done
	w.mu.Lock()
	last := w.msgs[len(w.msgs)-1]
	w.mu.Unlock()
	if last != `["disconnect",1]` || websocket.CloseStatus(w.err) != websocket.StatusNormalClosure {
		t.Errorf("client's last message %q, close %v; want disconnect, then 1000", last, w.err)
	}
	st, body, _ := in.do(in.req("DELETE", "api/terminals/"+name, nil))
	if st != http.StatusNotFound || messageOf(body) != "Terminal not found: "+name {
		t.Errorf("second DELETE = %d %s", st, body)
	}
	if st, _, _ := in.do(in.req("GET", "api/terminals/"+name, nil)); st != http.StatusNotFound {
		t.Errorf("GET deleted terminal = %d", st)
	}

	// Stopping the server ends the terminals still running.
	name = mustCreateTerminal(t, in, nil)
	w = mustDialTerminal(t, in, name)
	w.send("stdin", "sleep 1000 & echo PID=$!\r")
	pid, _ = strconv.Atoi(w.until(`PID=(\d+)`)[1])
	if err := in.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	waitProcGone(t, pid, qpid)
}

func TestTerminalCulled(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--terminal-cull-timeout", "1s", "--cull-interval", "1s"}})
	name := mustCreateTerminal(t, in, nil)
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, _, _ := in.do(in.req("GET", "api/terminals/"+name, nil))
		if st == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle terminal not culled: GET = %d", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// With --terminals=false the API, the WebSocket and the page are 404.
func TestTerminalsOff(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--terminals=false"}})
	for _, tc := range []struct{ method, path string }{
		{"GET", "api/terminals"},
		{"POST", "api/terminals"},
		{"GET", "api/terminals/1"},
		{"DELETE", "api/terminals/1"},
		{"GET", "terminals/1"},
	} {
		if st, body, _ := in.do(in.req(tc.method, tc.path, nil)); st != http.StatusNotFound {
			t.Errorf("%s %s = %d %s; want 404", tc.method, tc.path, st, body)
		}
	}
	_, resp, err := dialTerminal(t, in, "1", nil, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("terminal WebSocket with terminals off: %v %v; want 404", err, resp)
	}
}

// A cross-origin upgrade with the browser's cookie is refused before it
// reaches the terminal, as for kernel WebSockets; the same origin is fine.
// An unknown terminal is 404; no credentials, 403.
func TestTerminalWebSocketOrigin(t *testing.T) {
	in := startQuire(t, opts{})
	name := mustCreateTerminal(t, in, nil)
	c := in.client()
	if status, _, _ := send(t, c, browserGet(in, "tree?token="+in.Token)); status != 302 {
		t.Fatalf("cookie login: %d", status)
	}
	_, resp, err := dialTerminal(t, in, name, c, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin terminal WebSocket: %v %v; want 403", err, resp)
	}
	own := strings.TrimSuffix(in.URL, "/")
	w, _, err := dialTerminal(t, in, name, c, http.Header{"Origin": {own}})
	if err != nil {
		t.Fatalf("same-origin terminal WebSocket: %v", err)
	}
	w.send("stdin", "echo ok$((2*3))\r")
	w.until(`ok6`)
	if _, resp, err := dialTerminal(t, in, "99", nil, nil); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown terminal WebSocket: %v %v; want 404", err, resp)
	}
	// Without credentials: refused.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, termURL(in, name), nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("terminal WebSocket without a token: %v %v; want 403", err, resp)
	}
}

// Bad client messages are ignored and the terminal goes on; one over
// --max-terminal-message-size closes the socket with 1009.
func TestTerminalBadMessages(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--max-terminal-message-size", "1KiB"}})
	name := mustCreateTerminal(t, in, nil)
	w := mustDialTerminal(t, in, name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range []string{`not json`, `["bogus"]`, `["set_size", 1e9, 1e9]`, "[\"stdin\", \"\xff\"]", `{}`} {
		if err := w.c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	w.send("stdin", "stty size; echo alive$((5*5))\r")
	w.until(`(\d+ \d+)\r\n(.|\n)*alive25`)
	if m := w.until(`(\d+) (\d+)\r\n`); m[1] != "24" || m[2] != "80" {
		t.Errorf("after a refused set_size the size is %s×%s, want 24×80", m[1], m[2])
	}
	if err := w.c.Write(ctx, websocket.MessageText, []byte(`["stdin", "`+strings.Repeat("x", 2000)+`"]`)); err != nil {
		t.Fatal(err)
	}
	<-w.done
	if websocket.CloseStatus(w.err) != websocket.StatusMessageTooBig {
		t.Errorf("oversize message: socket ended with %v; want 1009", w.err)
	}
	if st, _, _ := in.do(in.req("GET", "api/terminals/"+name, nil)); st != 200 {
		t.Errorf("terminal gone after a bad client: %d", st)
	}
}

// The shell inherits none of Quire's secrets.
func TestTerminalEnvHoldsNoSecrets(t *testing.T) {
	const token = "termtoken0123456789abcdef0123456789"
	const password = "term-password-Qw7"
	in := startQuire(t, opts{env: []string{
		"QUIRE_TOKEN=" + token,
		"QUIRE_PASSWORD=" + password,
		"JUPYTERHUB_API_TOKEN=hubtoken0123456789",
		"JPY_API_TOKEN=jpytoken0123456789",
		"QUIRE_TEST_PLAIN=kept",
	}})
	name := mustCreateTerminal(t, in, nil)
	w := mustDialTerminal(t, in, name)
	w.send("stdin", "env > env.txt; echo N=$(grep -cE 'TOKEN|PASSWORD|"+token+"|"+password+"|hubtoken|jpytoken' env.txt) P=$QUIRE_TEST_PLAIN T=$TERM\r")
	m := w.until(`N=(\d+) P=(\w*) T=([\w-]*)`)
	if m[1] != "0" || m[2] != "kept" || m[3] != "xterm-256color" {
		env, _ := os.ReadFile(filepath.Join(in.Root, "env.txt"))
		t.Errorf("terminal environment: secrets %s, plain %q, TERM %q; env:\n%s", m[1], m[2], m[3], env)
	}
}

// cwd is resolved inside the root as the contents API resolves paths.
func TestTerminalCwd(t *testing.T) {
	in := startQuire(t, opts{})
	if err := os.MkdirAll(filepath.Join(in.Root, "sub", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(in.Root, "out")); err != nil {
		t.Fatal(err)
	}
	for _, cwd := range []string{"../", "..", "sub/../..", "/etc", outside, "out", "missing", "sub/../../x"} {
		st, _, msg := createTerminal(t, in, map[string]string{"cwd": cwd})
		if st != http.StatusBadRequest || !strings.Contains(msg, "cwd") || strings.Contains(msg, outside) && !strings.Contains(cwd, outside) {
			t.Errorf("cwd %q: %d %q; want 400 about cwd", cwd, st, msg)
		}
	}
	name := mustCreateTerminal(t, in, map[string]string{"cwd": "sub/deeper"})
	w := mustDialTerminal(t, in, name)
	w.send("stdin", "echo W=$(pwd -P)\r")
	want, _ := filepath.EvalSymlinks(filepath.Join(in.Root, "sub", "deeper"))
	if got := w.until(`W=(\S+)\r\n`)[1]; got != want {
		t.Errorf("terminal started in %s, want %s", got, want)
	}
}

// Names, limits and bad bodies get clear errors.
func TestTerminalLimitsAndNames(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--max-terminals", "2"}})
	if got := mustCreateTerminal(t, in, map[string]string{"name": "work"}); got != "work" {
		t.Errorf("named terminal = %q", got)
	}
	for _, tc := range []struct {
		body any
		raw  string
		want int
		msg  string
	}{
		{body: map[string]string{"name": "work"}, want: http.StatusConflict, msg: "already exists"},
		{body: map[string]string{"name": "no/way"}, want: http.StatusBadRequest, msg: "invalid terminal name"},
		{body: map[string]any{"name": 5}, want: http.StatusBadRequest, msg: "name"},
		{raw: "not json", want: http.StatusBadRequest, msg: "JSON"},
	} {
		r := in.req("POST", "api/terminals", strings.NewReader(tc.raw))
		if tc.body != nil {
			r = in.req("POST", "api/terminals", jsonBody(t, tc.body))
		}
		st, b, _ := in.do(r)
		if st != tc.want || !strings.Contains(messageOf(b), tc.msg) {
			t.Errorf("POST %v%s = %d %s; want %d about %q", tc.body, tc.raw, st, b, tc.want, tc.msg)
		}
	}
	mustCreateTerminal(t, in, nil)
	st, _, msg := createTerminal(t, in, nil)
	if st != http.StatusTooManyRequests || !strings.Contains(msg, "--max-terminals") {
		t.Errorf("third terminal with --max-terminals 2: %d %q; want 429 naming the flag", st, msg)
	}
}

// As PID 1 (a container without an init), Quire leaves no zombie when a
// terminal ends: neither its shell, which it waits for, nor the shell's
// background job, re-parented to Quire once the shell is gone and reaped
// by its reaper. Both ways: DELETE, and the shell exiting on its own.
func TestTerminalAsPID1LeavesNoZombie(t *testing.T) {
	root := t.TempDir()
	const token = "pid1token0123456789abcdef"
	q := startAsPID1(t, t.TempDir(), nil, "--no-browser", "--root-dir", root, "--token", token)
	quirePID := q.pid
	in := &instance{t: t, URL: q.url, Token: token, Root: root}

	// noChildren waits until Quire has no child process left at all.
	noChildren := func(when string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			kids := childrenOf(quirePID)
			if len(kids) == 0 {
				return
			}
			if time.Now().After(deadline) {
				for _, pid := range kids {
					state, _ := procStatus(pid)
					t.Errorf("%s: child %d of quire (PID 1) left, state %s", when, pid, state)
				}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	name := mustCreateTerminal(t, in, nil)
	w := mustDialTerminal(t, in, name)
	w.send("stdin", "sleep 1000 & echo PID=$!\r")
	w.until(`PID=\d+`)
	if st, body, _ := in.do(in.req("DELETE", "api/terminals/"+name, nil)); st != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", st, body)
	}
	noChildren("after DELETE")

	name = mustCreateTerminal(t, in, nil)
	w = mustDialTerminal(t, in, name)
	w.send("stdin", "sleep 1000 & echo PID=$!; exit\r")
	<-w.done
	noChildren("after the shell exited")
	if st, _, _ := in.do(in.req("GET", "api/terminals/"+name, nil)); st != http.StatusNotFound {
		t.Errorf("terminal whose shell exited: GET = %d, want 404", st)
	}
}
