package zmqx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"quire/internal/kernel/wire"
	"quire/internal/zmqx"
)

const python = "/usr/bin/python3"

// kernel is an ipykernel process started for one test.
type kernel struct {
	ip     string
	ports  map[string]int // shell, iopub, stdin, control, hb
	key    string
	exited chan struct{} // closed when the process has been reaped
}

func (k *kernel) endpoint(channel string) string {
	return fmt.Sprintf("tcp://%s:%d", k.ip, k.ports[channel])
}

// startKernel runs /usr/bin/python3 -m ipykernel_launcher on a fresh
// connection file; the process group is killed when the test ends.
func startKernel(t *testing.T) *kernel {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real ipykernel")
	}
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	if err := exec.Command(python, "-c", "import ipykernel_launcher").Run(); err != nil {
		t.Skip("ipykernel not importable by " + python)
	}
	k := &kernel{ip: "127.0.0.1", ports: map[string]int{}, key: wire.NewID(), exited: make(chan struct{})}
	var ls []net.Listener
	for _, ch := range []string{"shell", "iopub", "stdin", "control", "hb"} {
		l, err := net.Listen("tcp", k.ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		k.ports[ch] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "kernel-test.json")
	cf, _ := json.Marshal(map[string]any{
		"shell_port": k.ports["shell"], "iopub_port": k.ports["iopub"], "stdin_port": k.ports["stdin"],
		"control_port": k.ports["control"], "hb_port": k.ports["hb"], "ip": k.ip, "key": k.key,
		"transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "python3",
	})
	if err := os.WriteFile(file, cf, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-m", "ipykernel_launcher", "-f", file)
	cmd.Env = append(os.Environ(), "IPYTHONDIR="+filepath.Join(dir, "ipython"), "JUPYTER_RUNTIME_DIR="+dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // owned: ends when the process is reaped, which Cleanup forces
		_ = cmd.Wait()
		close(k.exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-k.exited
	})
	return k
}

// pump decodes every message a socket receives onto a channel until Recv
// fails; err then holds the error.
type pump struct {
	c    chan *wire.Message
	done chan struct{}
	err  error
}

func startPump(t *testing.T, wg *sync.WaitGroup, s *zmqx.Socket, signer *wire.Signer) *pump {
	p := &pump{c: make(chan *wire.Message, 256), done: make(chan struct{})}
	wg.Go(func() {
		defer close(p.done)
		for {
			frames, err := s.Recv()
			if err != nil {
				p.err = err
				return
			}
			m, err := signer.Decode(frames)
			if err != nil {
				t.Errorf("decode: %v", err)
				continue
			}
			select {
			case p.c <- m:
			default:
				t.Errorf("pump full; dropping %s", m.Type())
			}
		}
	})
	return p
}

// next waits for a message whose parent is parentID and that match accepts.
func (p *pump) next(t *testing.T, parentID string, match func(*wire.Message) bool, timeout time.Duration) *wire.Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-p.c:
			if ph, _ := m.ParseParent(); ph.MsgID == parentID && match(m) {
				return m
			}
		case <-p.done:
			t.Fatalf("socket closed while waiting: %v", p.err)
		case <-deadline:
			return nil
		}
	}
}

func ofType(typ string) func(*wire.Message) bool {
	return func(m *wire.Message) bool { return m.Type() == typ }
}

func TestRealKernel(t *testing.T) {
	k := startKernel(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	signer, err := wire.NewSigner("hmac-sha256", []byte(k.key))
	if err != nil {
		t.Fatal(err)
	}
	sess := wire.NewSession(wire.NewID(), "quire-test")
	dial := func(kind zmqx.Kind, channel string, id []byte) *zmqx.Socket {
		s, err := zmqx.Dial(ctx, kind, k.endpoint(channel), id)
		if err != nil {
			t.Fatalf("dial %s: %v", channel, err)
		}
		return s
	}
	iopub := dial(zmqx.Sub, "iopub", nil)
	shell := dial(zmqx.Dealer, "shell", []byte(sess.ID))
	control := dial(zmqx.Dealer, "control", []byte(sess.ID))
	hb := dial(zmqx.Req, "hb", nil)

	var wg sync.WaitGroup
	socks := []*zmqx.Socket{iopub, shell, control, hb}
	closeAll := func() {
		for _, s := range socks {
			if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("Close: %v", err)
			}
		}
		wg.Wait()
	}
	defer closeAll()
	iop := startPump(t, &wg, iopub, signer)
	sh := startPump(t, &wg, shell, signer)
	ctl := startPump(t, &wg, control, signer)

	send := func(s *zmqx.Socket, typ string, content any) string {
		t.Helper()
		m, err := sess.NewMessage(typ, content, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(signer.Encode(m)); err != nil {
			t.Fatalf("send %s: %v", typ, err)
		}
		h, _ := m.ParseHeader()
		return h.MsgID
	}

	// kernel_info until iopub shows busy then idle for it: the SUB
	// subscription takes effect asynchronously, so early status is lost.
	var sawIOPub bool
	for try := 0; try < 20 && !sawIOPub; try++ {
		id := send(shell, "kernel_info_request", struct{}{})
		reply := sh.next(t, id, ofType("kernel_info_reply"), 30*time.Second)
		if reply == nil {
			t.Fatal("no kernel_info_reply")
		}
		var c struct {
			Status          string `json:"status"`
			ProtocolVersion string `json:"protocol_version"`
		}
		if err := json.Unmarshal(reply.Content, &c); err != nil || c.Status != "ok" {
			t.Fatalf("kernel_info_reply content %s: %v", reply.Content, err)
		}
		if len(reply.Identities) != 0 {
			t.Errorf("DEALER got identities %q", reply.Identities)
		}
		state := func(s string) func(*wire.Message) bool {
			return func(m *wire.Message) bool {
				var c struct {
					State string `json:"execution_state"`
				}
				return m.Type() == "status" && json.Unmarshal(m.Content, &c) == nil && c.State == s
			}
		}
		if iop.next(t, id, state("busy"), 500*time.Millisecond) != nil &&
			iop.next(t, id, state("idle"), 5*time.Second) != nil {
			sawIOPub = true
		}
	}
	if !sawIOPub {
		t.Fatal("iopub never showed busy/idle for kernel_info_request")
	}

	// execute: stdout on iopub, reply on shell.
	id := send(shell, "execute_request", map[string]any{
		"code": "print(6*7)", "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
	})
	stream := iop.next(t, id, ofType("stream"), 30*time.Second)
	if stream == nil {
		t.Fatal("no stream output")
	}
	var sc struct{ Name, Text string }
	if err := json.Unmarshal(stream.Content, &sc); err != nil || sc.Name != "stdout" || sc.Text != "42\n" {
		t.Errorf("stream content %s, want stdout 42\\n", stream.Content)
	}
	if len(stream.Identities) != 1 {
		t.Errorf("iopub identities %q, want one topic frame", stream.Identities)
	}
	reply := sh.next(t, id, ofType("execute_reply"), 30*time.Second)
	if reply == nil {
		t.Fatal("no execute_reply")
	}
	var rc struct{ Status string }
	if err := json.Unmarshal(reply.Content, &rc); err != nil || rc.Status != "ok" {
		t.Errorf("execute_reply %s", reply.Content)
	}

	// heartbeat: raw bytes echoed.
	for _, ping := range []string{"ping", "\x00binary\xff"} {
		if err := hb.Send([][]byte{[]byte(ping)}); err != nil {
			t.Fatalf("hb send: %v", err)
		}
		got, err := hb.Recv()
		if err != nil || len(got) != 1 || string(got[0]) != ping {
			t.Fatalf("hb echo = %q, %v; want %q", got, err, ping)
		}
	}

	// shutdown on control: reply, then the process exits.
	id = send(control, "shutdown_request", map[string]bool{"restart": false})
	if ctl.next(t, id, ofType("shutdown_reply"), 30*time.Second) == nil {
		t.Fatal("no shutdown_reply")
	}
	select {
	case <-k.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("kernel still running 20 s after shutdown_request")
	}
	// The peer is gone: Recv fails by itself (no reconnect), not with ErrClosed.
	select {
	case <-sh.done:
		if sh.err == nil || errors.Is(sh.err, zmqx.ErrClosed) {
			t.Errorf("shell Recv after kernel exit: %v, want a peer error", sh.err)
		}
	case <-time.After(10 * time.Second):
		t.Error("shell Recv still blocked 10 s after the kernel exited")
	}
	closeAll()
	if _, err := shell.Recv(); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Recv after Close = %v, want ErrClosed", err)
	}
	if err := shell.Send([][]byte{[]byte("x")}); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}
