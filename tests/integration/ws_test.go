//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

// needIPyKernel skips the test unless Debian's ipykernel is importable by
// the interpreter the python3 kernelspec names.
func needIPyKernel(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import ipykernel").CombinedOutput(); err != nil {
		t.Skipf("ipykernel not available (/usr/bin/python3 -c 'import ipykernel': %v: %s); install python3-ipykernel", err, out)
	}
	if _, err := os.Stat("/usr/share/jupyter/kernels/python3/kernel.json"); err != nil {
		t.Skipf("python3 kernelspec missing: %v", err)
	}
}

// kmsg is one decoded kernel message as the test sees it.
type kmsg struct {
	Channel string
	Header  wire.Header
	Parent  wire.Header
	Content map[string]any
	Raw     *wire.Message
}

func (m kmsg) String() string {
	return fmt.Sprintf("%s/%s(parent %s %s) %s", m.Channel, m.Header.MsgType, m.Parent.MsgType, m.Parent.MsgID, m.Raw.Content)
}

// str returns a string field of the content, or "".
func (m kmsg) str(key string) string {
	s, _ := m.Content[key].(string)
	return s
}

// wsClient is a kernel channels WebSocket client. A reader goroutine decodes
// every frame into msgs; all waits are bounded.
type wsClient struct {
	t       *testing.T
	c       *websocket.Conn
	Resp    *http.Response
	V1      bool
	Session string
	msgs    chan kmsg
	done    chan struct{} // closed when the reader ends
	readErr error
	once    sync.Once
}

type dialOpts struct {
	token    bool // add ?token=
	legacy   bool // offer no subprotocol
	client   *http.Client
	header   http.Header
	protocol []string // explicit subprotocol offer (overrides legacy)
}

func wsURL(in *instance, kernelID, sessionID string, token bool) string {
	u := strings.Replace(in.URL, "http", "ws", 1) + "api/kernels/" + kernelID + "/channels"
	q := url.Values{}
	if sessionID != "" {
		q.Set("session_id", sessionID)
	}
	if token {
		q.Set("token", in.Token)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// dialWS dials the channels WebSocket. On failure it returns the handshake
// response (if any) and the error; the caller decides.
func dialWS(t *testing.T, in *instance, kernelID, sessionID string, o dialOpts) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	do := &websocket.DialOptions{HTTPClient: o.client, HTTPHeader: o.header}
	if do.HTTPClient == nil {
		do.HTTPClient = &http.Client{Timeout: 90 * time.Second}
	}
	switch {
	case o.protocol != nil:
		do.Subprotocols = o.protocol
	case !o.legacy:
		do.Subprotocols = []string{wsbridge.Subprotocol}
	}
	c, resp, err := websocket.Dial(ctx, wsURL(in, kernelID, sessionID, o.token), do)
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(64 << 20)
	w := &wsClient{t: t, c: c, Resp: resp, V1: c.Subprotocol() == wsbridge.Subprotocol, Session: sessionID,
		msgs: make(chan kmsg, 10000), done: make(chan struct{})}
	go w.read()
	t.Cleanup(w.close)
	return w, resp, nil
}

// mustDial dials with the token and the v1 offer (or legacy) and fails the
// test on error.
func mustDial(t *testing.T, in *instance, kernelID, sessionID string, legacy bool) *wsClient {
	t.Helper()
	w, resp, err := dialWS(t, in, kernelID, sessionID, dialOpts{token: true, legacy: legacy})
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial channels of %s: %v (HTTP %d)", kernelID, err, code)
	}
	return w
}

func (w *wsClient) read() {
	defer close(w.done)
	for {
		typ, data, err := w.c.Read(context.Background())
		if err != nil {
			w.readErr = err
			return
		}
		var ch string
		var m *wire.Message
		switch {
		case w.V1:
			if typ != websocket.MessageBinary {
				w.readErr = fmt.Errorf("v1: got a text frame: %q", data)
				return
			}
			ch, m, err = wsbridge.DecodeV1(data)
		case typ == websocket.MessageText:
			ch, m, err = wsbridge.DecodeLegacyText(data)
		default:
			ch, m, err = wsbridge.DecodeLegacyBinary(data)
		}
		if err != nil {
			w.readErr = fmt.Errorf("decode frame: %w", err)
			return
		}
		km := kmsg{Channel: ch, Raw: m}
		_ = json.Unmarshal(m.Header, &km.Header)
		_ = json.Unmarshal(m.ParentHeader, &km.Parent)
		_ = json.Unmarshal(m.Content, &km.Content)
		select {
		case w.msgs <- km:
		default: // a test that reads nothing for 10000 messages has bigger problems
		}
	}
}

func (w *wsClient) close() {
	w.once.Do(func() {
		_ = w.c.Close(websocket.StatusNormalClosure, "test done")
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			_ = w.c.CloseNow()
		}
	})
}

// send sends a client message on channel and returns its msg_id.
func (w *wsClient) send(channel, msgType string, content any) string {
	w.t.Helper()
	id := wire.NewID()
	h, _ := json.Marshal(map[string]any{
		"msg_id": id, "msg_type": msgType, "session": w.Session, "username": "quire-test",
		"date": time.Now().UTC().Format(wire.DateFormat), "version": "5.3",
	})
	c, err := json.Marshal(content)
	if err != nil {
		w.t.Fatal(err)
	}
	m := &wire.Message{Header: h, ParentHeader: json.RawMessage("{}"), Metadata: json.RawMessage("{}"), Content: c}
	var typ websocket.MessageType
	var data []byte
	if w.V1 {
		typ, data = websocket.MessageBinary, wsbridge.EncodeV1(channel, m)
	} else {
		var bin bool
		data, bin = wsbridge.EncodeLegacy(channel, m)
		typ = websocket.MessageText
		if bin {
			typ = websocket.MessageBinary
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, typ, data); err != nil {
		w.t.Fatalf("write %s on %s: %v", msgType, channel, err)
	}
	return id
}

// next returns the next message or false when d passes or the socket ends.
func (w *wsClient) next(d time.Duration) (kmsg, bool) {
	select {
	case m := <-w.msgs:
		return m, true
	case <-time.After(d):
		return kmsg{}, false
	case <-w.done:
		select { // drain what was read before the end
		case m := <-w.msgs:
			return m, true
		default:
			return kmsg{}, false
		}
	}
}

// waitFor reads messages until pred matches, within d. It returns the match
// and every message read on the way (the match included).
func (w *wsClient) waitFor(d time.Duration, what string, pred func(kmsg) bool) (kmsg, []kmsg) {
	w.t.Helper()
	deadline := time.Now().Add(d)
	var seen []kmsg
	for {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		m, ok := w.next(left)
		if !ok {
			break
		}
		seen = append(seen, m)
		if pred(m) {
			return m, seen
		}
	}
	var b strings.Builder
	for _, m := range seen {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	w.t.Fatalf("did not receive %s within %s (socket error: %v); received:\n%s", what, d, w.err(), b.String())
	return kmsg{}, nil
}

func (w *wsClient) err() error {
	select {
	case <-w.done:
		return w.readErr
	default:
		return nil
	}
}

// executeContent is an execute_request's content.
func executeContent(code string, allowStdin bool) map[string]any {
	return map[string]any{"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": allowStdin, "stop_on_error": true}
}

// execResult is what one execution produced for its requester.
type execResult struct {
	Stdout string
	Errors []kmsg
	Reply  kmsg
	All    []kmsg
}

// execute runs code and collects its iopub output until both the
// execute_reply and the idle status for it arrived.
func (w *wsClient) execute(code string, d time.Duration) execResult {
	w.t.Helper()
	id := w.send("shell", "execute_request", executeContent(code, false))
	return w.collect(id, d)
}

func (w *wsClient) collect(id string, d time.Duration) execResult {
	w.t.Helper()
	var r execResult
	gotReply, gotIdle := false, false
	w.waitFor(d, "execute_reply and idle for "+id, func(m kmsg) bool {
		if m.Parent.MsgID != id {
			return false
		}
		r.All = append(r.All, m)
		switch {
		case m.Channel == "iopub" && m.Header.MsgType == "stream" && m.str("name") == "stdout":
			r.Stdout += m.str("text")
		case m.Channel == "iopub" && m.Header.MsgType == "error":
			r.Errors = append(r.Errors, m)
		case m.Channel == "iopub" && m.Header.MsgType == "status" && m.str("execution_state") == "idle":
			gotIdle = true
		case m.Channel == "shell" && m.Header.MsgType == "execute_reply":
			r.Reply, gotReply = m, true
		}
		return gotReply && gotIdle
	})
	return r
}

// --- kernel processes ------------------------------------------------------

func procCmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// kernelPIDNow returns the pid of kernel id's process, a child of quire, or 0.
func kernelPIDNow(in *instance, id string) int {
	for _, pid := range childrenOf(in.cmd.Process.Pid) {
		cl := procCmdline(pid)
		if strings.Contains(cl, "ipykernel_launcher") && strings.Contains(cl, "kernel-"+id+".json") {
			return pid
		}
	}
	return 0
}

// kernelPID waits (10 s) for kernel id's process, and kills it at cleanup
// if it is still there then.
func kernelPID(t *testing.T, in *instance, id string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pid := kernelPIDNow(in, id); pid != 0 {
			t.Cleanup(func() { killIfKernel(pid, id) })
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no child process of quire (pid %d) runs ipykernel_launcher with kernel-%s.json; children: %v", in.cmd.Process.Pid, id, describeChildren(in.cmd.Process.Pid))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describeChildren(ppid int) []string {
	var out []string
	for _, pid := range childrenOf(ppid) {
		out = append(out, fmt.Sprintf("%d %q", pid, procCmdline(pid)))
	}
	return out
}

// killIfKernel kills pid if it still is that kernel (pids get reused).
func killIfKernel(pid int, id string) {
	if strings.Contains(procCmdline(pid), "kernel-"+id+".json") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// waitGone waits until pid no longer exists at all: not running, not a
// zombie, not re-parented.
func waitGone(t *testing.T, pid int, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		state, ppid := procStatus(pid)
		if state == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: process %d still exists after %s: state %q, ppid %d, cmdline %q", what, pid, d, state, ppid, procCmdline(pid))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
