package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"quire/internal/errkind"
	"quire/internal/kernel"
	"quire/internal/kernelspec"

	"quire/internal/kernelspec/kernelspectest"
)

// hbCounter wraps dial and counts, per endpoint, sockets dialled and
// messages sent and received on them.
type hbCounter struct {
	mu    sync.Mutex
	dials map[string]int
	sends map[string]int
	recvs map[string]int
	muted string // messages from this endpoint are dropped
}

// mute drops every message from endpoint from now on: its echoes never
// arrive, though the kernel sends them.
func (c *hbCounter) mute(endpoint string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.muted = endpoint
}

func (c *hbCounter) dial(ctx context.Context, kind kernel.SocketKind, endpoint string, identity []byte) (kernel.Socket, error) {
	s, err := dial(ctx, kind, endpoint, identity)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dials == nil {
		c.dials, c.sends, c.recvs = map[string]int{}, map[string]int{}, map[string]int{}
	}
	c.dials[endpoint]++
	return countedSocket{s, c, endpoint}, nil
}

func (c *hbCounter) counts(endpoint string) (dials, sends, recvs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dials[endpoint], c.sends[endpoint], c.recvs[endpoint]
}

// waitRecv waits until more than n messages arrived from endpoint and
// returns how many did. Misses count only once the kernel's heartbeat has
// answered: a test stopping a kernel waits for that first.
func (c *hbCounter) waitRecv(t *testing.T, endpoint string, n int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, recvs := c.counts(endpoint); recvs > n {
			return recvs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message from %s in 20s", endpoint)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type countedSocket struct {
	kernel.Socket
	c        *hbCounter
	endpoint string
}

func (s countedSocket) Send(frames [][]byte) error {
	s.c.mu.Lock()
	s.c.sends[s.endpoint]++
	s.c.mu.Unlock()
	return s.Socket.Send(frames)
}

func (s countedSocket) Recv() ([][]byte, error) {
	for {
		frames, err := s.Socket.Recv()
		if err != nil {
			return frames, err
		}
		s.c.mu.Lock()
		muted := s.c.muted == s.endpoint
		if !muted {
			s.c.recvs[s.endpoint]++
		}
		s.c.mu.Unlock()
		if !muted {
			return frames, nil
		}
	}
}

// hbEndpoint is the heartbeat endpoint in k's connection file.
func hbEndpoint(t *testing.T, k *kernel.Kernel) string {
	t.Helper()
	b, err := os.ReadFile(k.ConnectionFile())
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		HBPort int `json:"hb_port"`
	}
	if err := json.Unmarshal(b, &info); err != nil || info.HBPort == 0 {
		t.Fatalf("connection file: hb_port %d, %v", info.HBPort, err)
	}
	return "tcp://127.0.0.1:" + strconv.Itoa(info.HBPort)
}

// hbManager is a manager pinging every interval, reporting a kernel dead
// after three misses; d, if not nil, replaces the test dialer.
func hbManager(t *testing.T, d kernel.Dialer, interval time.Duration) *kernel.Manager {
	return newManager(t, func(o *kernel.Options) {
		o.HeartbeatInterval, o.HeartbeatMisses = interval, 3
		if d != nil {
			o.Dial = d
		}
	})
}

// hbSetup is a kernel with one connection on a manager that pings it.
type hbSetup struct {
	hb *hbCounter
	m  *kernel.Manager
	k  *kernel.Kernel
	c  *kernel.Conn
	ep string // the kernel's heartbeat endpoint
}

// hbKernel starts a kernel pinged every interval, connects to it and waits
// for its first echo (misses count only from then on).
func hbKernel(t *testing.T, interval time.Duration) hbSetup {
	t.Helper()
	needIPyKernel(t)
	hb := &hbCounter{}
	m := hbManager(t, hb.dial, interval)
	k := start(t, m)
	c := connect(t, k, "s1")
	ep := hbEndpoint(t, k)
	hb.waitRecv(t, ep, 0)
	return hbSetup{hb, m, k, c, ep}
}

// sigstop stops pid until the test ends (or sigcont).
func sigstop(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Runs before the manager's Close: never leave a stopped process.
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
}

func sigcont(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

// waitUnresponsive waits until k's model says it stopped answering
// heartbeats, and returns that model.
func waitUnresponsive(t *testing.T, k *kernel.Kernel) kernel.Model {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := k.Model()
		if got.Unresponsive {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("never marked unresponsive: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus reads c until an iopub status with state arrives.
func waitStatus(t *testing.T, c *kernel.Conn, state string, d time.Duration) {
	t.Helper()
	ctx := ctxT(t, d)
	for {
		ch, msg, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for status %s: %v", state, err)
		}
		var st struct {
			ExecutionState string `json:"execution_state"`
		}
		if ch == "iopub" && msg.Type() == "status" && json.Unmarshal(msg.Content, &st) == nil && st.ExecutionState == state {
			return
		}
	}
}

// statuses reads c for d and returns the execution states of the iopub
// statuses that arrived.
func statuses(t *testing.T, c *kernel.Conn, d time.Duration) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var got []string
	for {
		ch, msg, err := c.Recv(ctx)
		if err != nil {
			return got
		}
		if ch != "iopub" || msg.Type() != "status" {
			continue
		}
		var st struct {
			ExecutionState string `json:"execution_state"`
		}
		_ = json.Unmarshal(msg.Content, &st)
		got = append(got, st.ExecutionState)
	}
}

// A healthy kernel answers every ping on one socket and stays idle.
func TestHeartbeatHealthy(t *testing.T) {
	s := hbKernel(t, 200*time.Millisecond)
	hb, k, c, ep := s.hb, s.k, s.c, s.ep
	// Through 10 rounds of pings (3 misses in a row would mark it), it
	// stays idle, on the one heartbeat socket.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if got := k.Model(); got.ExecutionState != "idle" || got.Reason != "" {
			t.Fatalf("healthy kernel: %+v", got)
		}
		if _, _, recvs := hb.counts(ep); recvs >= 10 {
			break
		}
		if time.Now().After(deadline) {
			break // the counts below say what happened
		}
	}
	if dials, sends, recvs := hb.counts(ep); dials != 1 || sends < 10 || recvs < 10 {
		t.Errorf("heartbeat: %d dials, %d pings, %d echoes; want 1 dial, at least 10 pings and echoes", dials, sends, recvs)
	}
	if r := collect(t, c, execute(t, c, "print(6*7)"), 20*time.Second, nil); r.stdout != "42\n" {
		t.Errorf("execute: %+v", r)
	}
}

// A stopped kernel is marked unresponsive in its model while its process
// runs, keeps its execution_state, tells its clients nothing (Jupyter
// clients take "dead" as final), still takes requests and connections, is
// not culled, and answers them when continued.
func TestHeartbeatStoppedAndContinued(t *testing.T) {
	s := hbKernel(t, 200*time.Millisecond)
	m, k, c := s.m, s.k, s.c
	pid := k.PID()
	sigstop(t, pid)
	got := waitUnresponsive(t, k)
	want := "(process " + strconv.Itoa(pid) + " still running)"
	if got.ExecutionState != "idle" || !strings.HasPrefix(got.Reason, "kernel stopped answering heartbeats for ") || !strings.HasSuffix(got.Reason, want) {
		t.Errorf("stopped kernel: %+v", got)
	}
	if st := statuses(t, c, 300*time.Millisecond); len(st) != 0 {
		t.Errorf("clients were sent statuses %v for a stopped kernel", st)
	}
	queued := execute(t, c, "print(6*7)")
	// An existing session reconnects; a new one cannot finish its ZeroMQ
	// handshakes with a stopped process, and is told so at once.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = connect(t, k, "s1")
	if _, err := k.Connect(ctxT(t, 10*time.Second), "s2"); errkind.Of(err) != errkind.Retry || !strings.Contains(err.Error(), "not responding") {
		t.Errorf("Connect of a new session to an unresponsive kernel = %v, want kind Retry, saying it is not responding", err)
	}
	// The culler removes kernels whose process died, not this one.
	m.CullOnce(t.Context())
	if _, ok := m.Get(k.ID()); !ok {
		t.Fatal("the culler removed a kernel that only stopped answering heartbeats")
	}

	sigcont(t, pid)
	if r := collect(t, c, queued, 20*time.Second, nil); r.stdout != "42\n" {
		t.Errorf("execute sent while stopped: %+v", r)
	}
	if got := k.Model(); got.ExecutionState != "idle" || got.Reason != "" || got.Unresponsive {
		t.Errorf("continued kernel: %+v", got)
	}
	c2 := connect(t, k, "s2")
	if r := collect(t, c2, execute(t, c2, "print(7*6)"), 20*time.Second, nil); r.stdout != "42\n" {
		t.Errorf("execute on a new connection after recovery: %+v", r)
	}
	if k.PID() != pid {
		t.Errorf("pid %d → %d: the recovered kernel was replaced", pid, k.PID())
	}

	// Unresponsive, then really dead: the model and the clients say so.
	sigstop(t, pid)
	waitUnresponsive(t, k)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitState(t, k, "dead")
	if got := k.Model(); got.Unresponsive || !strings.Contains(got.Reason, "killed") {
		t.Errorf("killed after it stopped answering: %+v", got)
	}
	// (c also saw the statuses of c2's execution before.)
	if st := statuses(t, c, time.Second); slices.Index(st, "dead") != len(st)-1 {
		t.Errorf("statuses after the kill: %v, want one dead, last", st)
	}
	if err := c.Send("shell", mustMsg(t, "kernel_info_request")); errkind.Of(err) != errkind.Conflict {
		t.Errorf("Send to a dead kernel = %v, want kind Conflict", err)
	}
}

// A kernel marked unresponsive that then shows life on iopub is cleared
// at once, without waiting for an echo. Here its echoes are dropped, so
// only its output can clear it.
func TestHeartbeatRevivedByOutput(t *testing.T) {
	s := hbKernel(t, 100*time.Millisecond)
	k, c := s.k, s.c
	id := execute(t, c, "import time\ntime.sleep(3)\nprint('back')")
	s.hb.mute(s.ep)
	if got := waitUnresponsive(t, k); got.ExecutionState != "busy" {
		t.Errorf("muted heartbeat while running a cell: %+v", got)
	}
	if r := collect(t, c, id, 20*time.Second, nil); r.stdout != "back\n" {
		t.Fatalf("the sleeping cell: %+v", r)
	}
	if got := k.Model(); got.ExecutionState != "idle" || got.Unresponsive || got.Reason != "" {
		t.Errorf("after output from a kernel marked unresponsive: %+v", got)
	}
	if r := collect(t, c, execute(t, c, "print(6*7)"), 20*time.Second, nil); r.stdout != "42\n" {
		t.Errorf("execute after the revival: %+v", r)
	}
	// Echoes still do not arrive, yet the working kernel is not marked
	// again (no flapping) through 10 more unanswered pings, more than the 3
	// misses that mark it: only an echo re-arms it.
	_, pings, _ := s.hb.counts(s.ep)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if got := k.Model(); got.Unresponsive {
			t.Fatalf("marked unresponsive again while working: %+v", got)
		}
		if _, n, _ := s.hb.counts(s.ep); n >= pings+10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 10 pings in 20 s after the revival (%d before)", pings)
		}
	}
}

// A new session dialling a kernel that is stopped, before the heartbeat
// notices, gives up once it does, rather than hold the kernel's sockets
// set-up (and with it restart and shutdown) until the process runs again.
func TestHeartbeatConnectWhileStopping(t *testing.T) {
	s := hbKernel(t, 200*time.Millisecond)
	m, k := s.m, s.k
	pid := k.PID()
	sigstop(t, pid)
	errc := make(chan error, 1)
	go func() {
		c, err := k.Connect(ctxT(t, time.Minute), "s2")
		if err == nil {
			_ = c.Close()
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if errkind.Of(err) != errkind.Retry || !strings.Contains(err.Error(), "not responding") {
			t.Errorf("Connect to a kernel stopped meanwhile = %v, want kind Retry, saying it is not responding", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Connect still dialling a stopped kernel 20s after it stopped")
	}
	if _, err := m.Restart(ctxT(t, 40*time.Second), k.ID()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

// A kernel marked unresponsive restarts and shuts down like any other,
// without waiting for a shutdown_reply it cannot send.
func TestHeartbeatStoppedRestartShutdown(t *testing.T) {
	s := hbKernel(t, 200*time.Millisecond)
	hb, m, k, c, ep := s.hb, s.m, s.k, s.c, s.ep
	pid := k.PID()
	sigstop(t, pid)
	waitUnresponsive(t, k)
	if _, err := m.Restart(ctxT(t, 40*time.Second), k.ID()); err != nil {
		t.Fatal(err)
	}
	_, _, echoes := hb.counts(ep) // the old process's generation has ended
	waitGone(t, pid)
	if k.PID() == pid {
		t.Fatal("restart kept the stopped process")
	}
	if r := collect(t, c, execute(t, c, "print(6*7)"), 20*time.Second, nil); r.stdout != "42\n" {
		t.Errorf("execute after restart: %+v", r)
	}
	if got := k.Model(); got.ExecutionState != "idle" || got.Reason != "" || got.Unresponsive {
		t.Errorf("restarted kernel: %+v", got)
	}

	pid = k.PID()
	hb.waitRecv(t, ep, echoes) // the new process has answered
	sigstop(t, pid)
	waitUnresponsive(t, k)
	if err := m.Shutdown(ctxT(t, 20*time.Second), k.ID()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	select {
	case <-c.Done():
	default:
		t.Error("Conn still open after Shutdown")
	}
}

// With the heartbeat off, only process exit reveals a dead kernel.
func TestHeartbeatOff(t *testing.T) {
	needIPyKernel(t)
	var hb hbCounter
	m := hbManager(t, hb.dial, -1)
	k := start(t, m)
	connect(t, k, "s1")
	sigstop(t, k.PID())
	time.Sleep(2 * time.Second)
	if got := k.Model(); got.ExecutionState != "idle" {
		t.Errorf("stopped kernel without heartbeat: %+v", got)
	}
	if dials, _, _ := hb.counts(hbEndpoint(t, k)); dials != 0 {
		t.Errorf("heartbeat off, yet %d dials of hb", dials)
	}
}

// frozenDialer dials as the test dialer does, but holds a dial to the
// caller's deadline only while the frozen process exists: other dials
// (of a process starting, slowly on a loaded machine) may take up to 30 s,
// still ending at once if the caller's context is cancelled.
type frozenDialer struct{ frozen atomic.Int64 } // a pid; 0: none yet

func (f *frozenDialer) dial(ctx context.Context, kind kernel.SocketKind, endpoint string, identity []byte) (kernel.Socket, error) {
	if pid := int(f.frozen.Load()); pid == 0 || !alive(pid) {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		stop := context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.Canceled) {
				cancel()
			}
		})
		defer stop()
		ctx = pctx
	}
	return dial(ctx, kind, endpoint, identity)
}

// With the heartbeat off, a new session's dial of a frozen kernel still
// ends, after KernelInfoTimeout, and restart is not held up behind it.
func TestHeartbeatOffConnectFrozen(t *testing.T) {
	needIPyKernel(t)
	// The kernel's start, and the new process's in the restart, may take
	// longer than 2 s under load: only dials of the frozen process are
	// held to KernelInfoTimeout.
	var d frozenDialer
	m := newManager(t, func(o *kernel.Options) {
		o.HeartbeatInterval, o.KernelInfoTimeout, o.Dial = -1, 2*time.Second, d.dial
	})
	k := start(t, m)
	connect(t, k, "s1")
	pid := k.PID()
	d.frozen.Store(int64(pid))
	sigstop(t, pid)
	t0 := time.Now()
	if _, err := k.Connect(ctxT(t, time.Minute), "s2"); errkind.Of(err) != errkind.Retry {
		t.Errorf("Connect to a frozen kernel = %v, want kind Retry", err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("Connect to a frozen kernel took %s; KernelInfoTimeout is 2s", d)
	}
	if _, err := m.Restart(ctxT(t, 40*time.Second), k.ID()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

// A kernel that never answers (here: no heartbeat socket at all) is not
// marked unresponsive while it may still be starting, only once
// KernelInfoTimeout has passed.
func TestHeartbeatSlowStart(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for heartbeats")
	}
	specDir := t.TempDir()
	kernelspectest.Write(t, specDir, "mute", `{"argv": ["/bin/sh", "-c", "exec sleep 60", "{connection_file}"], "display_name": "Mute", "language": "shell"}`)
	for _, tc := range []struct {
		name             string
		timeout          time.Duration
		wantUnresponsive bool
	}{
		{"starting", 30 * time.Second, false},
		{"never answered", 500 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every heartbeat round without a socket tries to dial one:
			// the attempts count the rounds.
			var mu sync.Mutex
			attempts := map[string]int{}
			counting := func(ctx context.Context, kind kernel.SocketKind, endpoint string, identity []byte) (kernel.Socket, error) {
				mu.Lock()
				attempts[endpoint]++
				mu.Unlock()
				return dial(ctx, kind, endpoint, identity)
			}
			m := kernel.NewManager(kernelspec.Load([]string{specDir}, nil), kernel.Options{
				RuntimeDir: t.TempDir(), Dial: counting, Log: testLog(t), ShutdownWait: 200 * time.Millisecond,
				KernelInfoTimeout: tc.timeout, HeartbeatInterval: 100 * time.Millisecond, HeartbeatMisses: 3,
			})
			t.Cleanup(func() { m.Close(context.Background()) })
			k, err := m.Start(t.Context(), "mute", kernel.StartOptions{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.wantUnresponsive {
				// 10 rounds unanswered, where 3 would mark a kernel that
				// had answered once, and it is still only starting.
				ep := hbEndpoint(t, k)
				for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					if got := k.Model(); got.ExecutionState != "starting" || got.Unresponsive {
						t.Fatalf("silent kernel within KernelInfoTimeout: %+v", got)
					}
					mu.Lock()
					n := attempts[ep]
					mu.Unlock()
					if n >= 10 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%d heartbeat rounds in 20 s; the interval is 100 ms", n)
					}
				}
				return
			}
			if got := waitUnresponsive(t, k); got.ExecutionState != "starting" || !strings.HasPrefix(got.Reason, "kernel stopped answering heartbeats for ") {
				t.Errorf("silent kernel after KernelInfoTimeout: %+v", got)
			}
			if !alive(k.PID()) {
				t.Error("the heartbeat killed the process")
			}
		})
	}
}
