package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"quire/internal/kernel"
	"quire/internal/kernel/wire"
	"quire/internal/kernelspec"
	"quire/internal/zmqx"
)

// dial adapts zmqx to kernel.Dialer, as the app package does.
func dial(ctx context.Context, kind kernel.SocketKind, endpoint string, identity []byte) (kernel.Socket, error) {
	s, err := zmqx.Dial(ctx, zmqx.Kind(kind), endpoint, identity)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

func needIPyKernel(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real ipykernel")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import ipykernel").Run(); err != nil {
		t.Skip("/usr/bin/python3 cannot import ipykernel")
	}
}

// newManager returns a Manager on Debian's kernelspecs; it is closed when
// the test ends.
func newManager(t *testing.T, tweak func(*kernel.Options)) *kernel.Manager {
	t.Helper()
	o := kernel.Options{
		RuntimeDir: t.TempDir(), Dial: dial, Log: testLog(t),
		ShutdownWait: 2 * time.Second, KernelInfoTimeout: 30 * time.Second,
	}
	if tweak != nil {
		tweak(&o)
	}
	m := kernel.NewManager(kernelspec.Load([]string{"/usr/share/jupyter/kernels"}, o.Log), o)
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T, m *kernel.Manager) *kernel.Kernel {
	t.Helper()
	k, err := m.Start(ctxT(t, 10*time.Second), "python3", kernel.StartOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return k
}

func connect(t *testing.T, k *kernel.Kernel, session string) *kernel.Conn {
	t.Helper()
	c, err := k.Connect(ctxT(t, 40*time.Second), session)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send sends a request and returns its msg_id.
func send(t *testing.T, c *kernel.Conn, channel, msgType string, content any, parent json.RawMessage) string {
	t.Helper()
	m, err := wire.NewMessage(msgType, c.Session(), "test", content, parent)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(channel, m); err != nil {
		t.Fatalf("Send %s: %v", msgType, err)
	}
	h, _ := m.ParseHeader()
	return h.MsgID
}

func execute(t *testing.T, c *kernel.Conn, code string) string {
	t.Helper()
	return send(t, c, "shell", "execute_request", map[string]any{
		"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{},
		"allow_stdin": true, "stop_on_error": true,
	}, nil)
}

// result is what one execute_request produced, as seen by one Conn.
type result struct {
	stdout      string
	value       string // text/plain of the execute_result
	ename       string // from the iopub error
	replyStatus string
	replyEname  string
	inputReq    *wire.Message // the first input_request, if any
}

// collect reads c until the execute_reply for msgID and the idle status
// following it have arrived. onInput answers input_request.
func collect(t *testing.T, c *kernel.Conn, msgID string, d time.Duration, onInput func(*wire.Message)) result {
	t.Helper()
	ctx := ctxT(t, d)
	var r result
	replied, idle := false, false
	for !replied || !idle {
		ch, m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv (have %+v): %v", r, err)
		}
		p, _ := m.ParseParent()
		if p.MsgID != msgID {
			continue
		}
		var raw map[string]any
		_ = json.Unmarshal(m.Content, &raw)
		switch {
		case ch == "iopub" && m.Type() == "stream" && raw["name"] == "stdout":
			r.stdout += raw["text"].(string)
		case ch == "iopub" && m.Type() == "execute_result":
			data, _ := raw["data"].(map[string]any)
			r.value, _ = data["text/plain"].(string)
		case ch == "iopub" && m.Type() == "error":
			r.ename, _ = raw["ename"].(string)
		case ch == "iopub" && m.Type() == "status" && raw["execution_state"] == "idle":
			idle = true
		case ch == "shell" && m.Type() == "execute_reply":
			replied = true
			r.replyStatus, _ = raw["status"].(string)
			r.replyEname, _ = raw["ename"].(string)
		case ch == "stdin" && m.Type() == "input_request":
			if r.inputReq == nil {
				r.inputReq = m
			}
			if onInput != nil {
				onInput(m)
			}
		}
	}
	return r
}

// waitStdout reads c until the execution msgID has printed want on stdout
// (in one stream message).
func waitStdout(t *testing.T, c *kernel.Conn, msgID, want string, d time.Duration) {
	t.Helper()
	ctx := ctxT(t, d)
	for {
		ch, m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for %q on stdout: %v", want, err)
		}
		p, _ := m.ParseParent()
		var st struct{ Name, Text string }
		if ch == "iopub" && m.Type() == "stream" && p.MsgID == msgID && json.Unmarshal(m.Content, &st) == nil && st.Name == "stdout" && st.Text == want {
			return
		}
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// waitGone waits until neither the process nor its group exists.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) || alive(-pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d (alive %v) or its group (alive %v) still there", pid, alive(pid), alive(-pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitState(t *testing.T, k *kernel.Kernel, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for k.Model().ExecutionState != want {
		if time.Now().After(deadline) {
			t.Fatalf("execution_state = %q, want %q", k.Model().ExecutionState, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
