// Package kernel launches kernels from kernelspecs (package kernelspec
// finds those), watches their processes and connects clients to their
// ZeroMQ channels.
//
// The package never imports a ZeroMQ library: it declares Socket and takes a
// Dialer in Options; the app package adapts zmqx to it.
package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"quire/internal/childwait"
	"quire/internal/errkind"
	"quire/internal/isotime"
	"quire/internal/kernel/wire"
	"quire/internal/kernelspec"
)

// Kernel is one kernel: its spec, connection file and current process.
type Kernel struct {
	id       string
	spec     *kernelspec.Spec
	m        *Manager
	log      *slog.Logger
	info     connInfo
	connFile string
	signer   *wire.Signer
	argv     []string
	env      []string
	cwd      string
	session  string // header session of requests the server makes itself

	// opMu serialises restart, shutdown and the socket set-up of Connect:
	// one at a time changes the process or a link's sockets. Rule: take it
	// before mu, never while holding mu, fan.mu, a link's or a queue's
	// lock; it is held across slow work (stopping a process, dialling,
	// waiting for kernel_info), so no hot path waits for it: Send waits for
	// a restart through restartDone.
	opMu sync.Mutex

	// mu guards the process state below (all but fan) and the generation
	// fields marked "Guarded by Kernel.mu". Rule: held only for
	// bookkeeping, never across a socket operation, a dial, a process wait
	// or a channel wait (a warning may be logged under it); it may be taken
	// while holding opMu; fan.mu may be taken while holding it (a state
	// change and the messages that announce it are one step), never the
	// other way round; Manager.mu and link.mu are never held while taking
	// it, nor taken while holding it.
	mu           sync.Mutex
	restartDone  chan struct{} // non-nil while restart runs; closed when it ends
	gen          *generation
	state        string // starting, idle, busy, restarting, dead
	reason       string
	lastActivity time.Time
	removed      bool
	// startedBy is the request that started the kernel, for the audit
	// records of its death or culling.
	startedBy context.Context

	// fan holds the clients: links, Conns, the offline buffer and the
	// output budget, under a lock of its own (fanout.mu).
	fan fanout
}

// generation is one process of a kernel and the goroutines serving it:
// the waiter, the output pump, the iopub drain, readiness probes and the
// heartbeat. All are in wg; ctx ends when the process exits or is being
// stopped.
type generation struct {
	ctx    context.Context
	cancel context.CancelFunc
	cmd    *exec.Cmd
	pid    int
	wg     sync.WaitGroup
	exited chan struct{} // closed once the process is reaped
	output *outputTail   // the process's last lines of output

	// Guarded by Kernel.mu.
	expectExit bool
	sub        Socket
	subUp      chan struct{} // closed once the iopub SUB is dialled
	seen       chan struct{} // closed at the first iopub message
	seenDone   bool
	ready      bool          // the kernel answered kernel_info and iopub flows
	probe      chan struct{} // non-nil while a probe runs; closed when it ends
	hbLost     bool          // stopped answering heartbeats; the process runs on
	hbReason   string        // while hbLost: why, for the model
	hbLostC    chan struct{} // closed while hbLost (see setLost)
}

// Model is the REST model of a kernel.
type Model struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	LastActivity   string `json:"last_activity"`
	ExecutionState string `json:"execution_state"`
	Connections    int    `json:"connections"`
	Reason         string `json:"reason,omitempty"`
	// Unresponsive marks a kernel whose process runs but no longer answers
	// heartbeats (stopped, frozen, swapping), with Reason saying for how
	// long. It is a Quire extension: execution_state keeps the last state
	// the kernel reported, as jupyter_server (which watches only the
	// process) would show it, because Jupyter clients treat "dead" as
	// final. Requests still reach the kernel and run if it comes back.
	Unresponsive bool `json:"unresponsive,omitempty"`
}

// ID returns the kernel id (a uuid4).
func (k *Kernel) ID() string { return k.id }

// Name returns the kernelspec name.
func (k *Kernel) Name() string { return k.spec.Name }

// Spec returns the kernelspec the kernel was started from.
func (k *Kernel) Spec() *kernelspec.Spec { return k.spec }

// ConnectionFile returns the path of the kernel's connection file.
func (k *Kernel) ConnectionFile() string { return k.connFile }

// PID returns the current kernel process id (0 before the first start).
func (k *Kernel) PID() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen == nil {
		return 0
	}
	return k.gen.pid
}

// Model returns the kernel's REST model.
func (k *Kernel) Model() Model {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := Model{
		ID: k.id, Name: k.spec.Name, LastActivity: isotime.Format(k.lastActivity),
		ExecutionState: k.state, Reason: k.reason,
	}
	k.fan.mu.Lock()
	m.Connections = k.fan.conns
	k.fan.mu.Unlock()
	if k.unresponsiveLocked() {
		m.Unresponsive, m.Reason = true, k.gen.hbReason
	}
	return m
}

// startGen launches a new process and its goroutines.
func (k *Kernel) startGen() error {
	cmd, out, err := launch(k.argv, k.env, k.cwd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &generation{
		ctx: ctx, cancel: cancel, cmd: cmd, pid: cmd.Process.Pid,
		exited: make(chan struct{}), subUp: make(chan struct{}), seen: make(chan struct{}),
		output: &outputTail{}, hbLostC: make(chan struct{}),
	}
	k.mu.Lock()
	k.gen = g
	k.state = "starting"
	k.reason = ""
	k.lastActivity = k.m.o.Now()
	k.mu.Unlock()

	pumped := make(chan struct{})
	log := k.log.With("pid", g.pid)
	g.wg.Go(func() {
		defer close(pumped)
		pumpLog(out, log, g.output)
	})
	g.wg.Go(func() {
		childwait.WaitExitable(g.pid) // in the poller, not holding a thread in waitid
		err := cmd.Wait()
		select { // a leftover grandchild may hold the pipe: do not wait on it
		case <-pumped:
		case <-time.After(time.Second):
		}
		out.Close()
		k.exited(g, err)
	})
	g.wg.Go(func() { k.drainIOPub(g) })
	if k.m.o.HeartbeatInterval > 0 {
		g.wg.Go(func() { k.heartbeat(g) })
	}
	// Ask for kernel_info now rather than at the first client's connect:
	// its reply and statuses take the kernel out of "starting", so the
	// REST model says "idle" once the kernel is ready, client or not (as
	// jupyter_server does). Connect then finds g.ready and waits no more.
	k.mu.Lock()
	if g.probe == nil {
		p := make(chan struct{})
		g.probe = p
		g.wg.Go(func() { k.runProbe(g, p) })
	}
	k.mu.Unlock()
	return nil
}

// exited runs once the process of g has been reaped.
func (k *Kernel) exited(g *generation, err error) {
	k.removeSocketFiles() // before anyone can see the process gone
	k.mu.Lock()
	expected := g.expectExit
	g.setLost(false, "") // gone, no longer merely unresponsive
	if !expected && k.gen == g {
		k.state = "dead"
		k.reason = exitReason(err)
	}
	g.cancel()
	k.mu.Unlock()
	k.closeSub(g)
	close(g.exited)
	if expected {
		k.log.Debug("kernel process exited", "pid", g.pid, "status", exitReason(err))
		return
	}
	k.log.Warn("kernel died", "pid", g.pid, "status", exitReason(err), "last_output", g.output.String())
	k.auditDied(err)
	k.m.o.event(EventDeath)
	k.mu.Lock()
	if k.gen == g {
		k.fan.mu.Lock()
		k.fan.broadcastStatusLocked("dead")
		k.fan.mu.Unlock()
	}
	k.mu.Unlock()
}

// removeSocketFiles removes the Unix socket files of an ipc kernel whose
// process has exited: a killed kernel leaves them, and ipykernel cleans
// up only after itself when it wrote the connection file. A restart's new
// process binds the same paths.
func (k *Kernel) removeSocketFiles() {
	for _, p := range k.info.socketFiles() {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			k.log.Warn("remove kernel socket file", "err", err)
		}
	}
}

func exitReason(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exit code %d", ee.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exit code 0"
}

func (k *Kernel) closeSub(g *generation) {
	k.mu.Lock()
	s := g.sub
	g.sub = nil
	k.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// drainIOPub owns the kernel's one SUB socket: it reads every iopub
// message, even with no client connected, tracks state and fans out.
func (k *Kernel) drainIOPub(g *generation) {
	s, err := k.m.o.Dial(g.ctx, Sub, k.info.endpoint("iopub"), nil)
	if err != nil {
		if g.ctx.Err() == nil {
			k.log.Warn("dial iopub", "err", err)
		}
		return
	}
	k.mu.Lock()
	if g.ctx.Err() != nil {
		k.mu.Unlock()
		s.Close()
		return
	}
	g.sub = s
	close(g.subUp)
	k.mu.Unlock()
	for {
		frames, err := s.Recv()
		if err != nil {
			// The process exiting ends the socket too; exited() reports it.
			k.log.Debug("iopub closed", "err", err)
			return
		}
		msg, err := k.signer.Decode(frames)
		if err != nil {
			k.log.Warn("iopub message rejected", "err", err)
			continue
		}
		k.onIOPub(g, msg)
	}
}

// untracked message types do not count as activity (jupyter_server's list).
func untracked(t string) bool {
	for _, p := range []string{"comm_info_", "kernel_info_", "shutdown_", "interrupt_", "debug_"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	switch t {
	case "stream", "display_data", "update_display_data", "execute_input", "execute_result",
		"error", "status", "clear_output", "debug_event", "input_request", "input_reply":
		return true
	}
	return false
}

func (k *Kernel) onIOPub(g *generation, msg *wire.Message) {
	typ := msg.Type()
	var parentType, parentSession, parentID string
	if p, err := msg.ParseParent(); err == nil {
		parentType, parentSession, parentID = p.MsgType, p.Session, p.MsgID
	}
	var st struct {
		ExecutionState string `json:"execution_state"`
	}
	if typ == "status" {
		_ = json.Unmarshal(msg.Content, &st)
	}
	var stream *streamText
	switch typ {
	case "stream":
		stream = parseStream(msg) // outside k.mu: it reads the whole text
	case "display_data", "execute_result", "update_display_data":
		if r := k.m.o.Outputs; r != nil {
			r.RecordOutput(typ, msg.Content) // outside k.mu: it hashes the output
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != g {
		return
	}
	if !g.seenDone {
		g.seenDone = true
		close(g.seen)
	}
	k.reviveLocked(g, "iopub")
	if !untracked(typ) || !untracked(parentType) || k.state == "busy" {
		k.lastActivity = k.m.o.Now()
		if k.m.o.OnActivity != nil {
			k.m.o.OnActivity()
		}
	}
	if typ == "status" && st.ExecutionState != "" {
		state := &k.state
		switch {
		case !untracked(parentType):
			*state = st.ExecutionState
		case *state == "starting" && st.ExecutionState != "starting":
			*state = "idle"
		}
	}
	k.fan.mu.Lock()
	defer k.fan.mu.Unlock()
	for _, m := range k.fan.budget.Filter(msg, typ, parentID, typ == "status" && st.ExecutionState == "idle") {
		if m == msg {
			k.fan.fanOutLocked(msg, typ, parentSession, stream)
		} else {
			k.fan.fanOutMadeLocked(m)
		}
	}
}

// request sends one message on a temporary DEALER and waits for the reply
// (until ctx ends).
func (k *Kernel) request(ctx context.Context, g *generation, channel, msgType string, content any) (*wire.Message, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(g.ctx, cancel)
	defer stop()
	s, err := k.m.o.Dial(ctx, Dealer, k.info.endpoint(channel), []byte(wire.NewID()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", channel, err)
	}
	req, err := wire.NewMessage(msgType, k.session, k.m.o.Username, content, nil)
	if err != nil {
		s.Close()
		return nil, err
	}
	hdr, _ := req.ParseHeader()
	replies := make(chan *wire.Message, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer s.Close()
	wg.Go(func() {
		for {
			frames, err := s.Recv()
			if err != nil {
				return
			}
			m, err := k.signer.Decode(frames)
			if err != nil {
				continue
			}
			if p, err := m.ParseParent(); err == nil && p.MsgID == hdr.MsgID {
				replies <- m
				return
			}
		}
	})
	if err := s.Send(k.signer.Encode(req)); err != nil {
		return nil, fmt.Errorf("send %s: %w", msgType, err)
	}
	select {
	case m := <-replies:
		return m, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: no reply: %w", msgType, context.Cause(ctx))
	}
}

var errDead = errkind.New(errkind.Conflict, "Kernel is dead: restart it, or start another", nil)
var errUnresponsive = errkind.New(errkind.Retry,
	"Kernel is not responding: its process runs but stopped answering heartbeats; try again when it answers, or restart it", nil)

// unresponsiveLocked reports whether the kernel's process runs but stopped
// answering heartbeats; it may answer again. k.mu is held.
func (k *Kernel) unresponsiveLocked() bool {
	return k.state != "dead" && k.gen != nil && k.gen.hbLost
}

// deadErrLocked is the error for a request to a kernel in state "dead",
// nil in any other state. k.mu is held.
func (k *Kernel) deadErrLocked() error {
	if k.state == "dead" {
		return errDead
	}
	return nil
}

var errGone = errkind.New(errkind.NotFound, "Kernel was shut down", nil)

// waitReady waits until the current process has answered kernel_info and
// its iopub flows into our SUB. Concurrent callers share one probe. A probe
// that times out lets the callers continue (as jupyter_server does).
func (k *Kernel) waitReady(ctx context.Context) error {
	k.mu.Lock()
	g := k.gen
	switch {
	case k.removed:
		k.mu.Unlock()
		return errGone
	case k.state == "dead":
		err := k.deadErrLocked()
		k.mu.Unlock()
		return err
	case g.ready:
		k.mu.Unlock()
		return nil
	}
	p := g.probe
	if p == nil && g.ctx.Err() == nil {
		p = make(chan struct{})
		g.probe = p
		g.wg.Go(func() { k.runProbe(g, p) })
	}
	k.mu.Unlock()
	if p == nil {
		return errDead
	}
	select {
	case <-p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *Kernel) runProbe(g *generation, done chan struct{}) {
	ok := false
	defer func() {
		k.mu.Lock()
		g.ready = ok
		g.probe = nil
		if ok && k.gen == g && k.state == "starting" {
			// It answered kernel_info, so it is idle even if the SUB
			// joined too late to see the statuses of that request.
			k.state = "idle"
		}
		k.mu.Unlock()
		close(done)
	}()
	ctx, cancel := context.WithTimeout(g.ctx, k.m.o.KernelInfoTimeout)
	defer cancel()
	select {
	case <-g.subUp:
	case <-ctx.Done():
		return
	}
	s, err := k.m.o.Dial(ctx, Dealer, k.info.endpoint("shell"), []byte(wire.NewID()))
	if err != nil {
		return
	}
	replies := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer s.Close()
	wg.Go(func() {
		for {
			frames, err := s.Recv()
			if err != nil {
				return
			}
			if m, err := k.signer.Decode(frames); err == nil && m.Type() == "kernel_info_reply" {
				select {
				case replies <- struct{}{}:
				default:
				}
			}
		}
	})
	send := func() {
		if m, err := wire.NewMessage("kernel_info_request", k.session, k.m.o.Username, map[string]any{}, nil); err == nil {
			_ = s.Send(k.signer.Encode(m))
		}
	}
	send()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	replied, seen := false, false
	seenCh := g.seen
	for !replied || !seen {
		select {
		case <-replies:
			replied = true
		case <-seenCh:
			seen, seenCh = true, nil
		case <-tick.C:
			send() // a nudge: its status messages prove iopub flows
		case <-ctx.Done():
			k.log.Warn("kernel did not answer kernel_info in time; continuing", "replied", replied, "iopub", seen)
			return
		}
	}
	ok = true
}

// signalGroup sends sig to the process group of g, falling back to the pid.
func signalGroup(g *generation, sig syscall.Signal) {
	if err := syscall.Kill(-g.pid, sig); err != nil {
		_ = syscall.Kill(g.pid, sig)
	}
}

func (k *Kernel) interrupt(ctx context.Context) error {
	k.mu.Lock()
	g := k.gen
	deadErr := k.deadErrLocked()
	k.mu.Unlock()
	if deadErr != nil {
		return deadErr
	}
	if k.spec.InterruptMode == "message" {
		if err := k.waitReady(ctx); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := k.request(ctx, g, "control", "interrupt_request", map[string]any{}); err != nil {
			return fmt.Errorf("interrupt kernel: %w", err)
		}
		return nil
	}
	select {
	case <-g.exited:
		return errDead
	default:
	}
	signalGroup(g, syscall.SIGINT)
	return nil
}

// stopProcess ends the current process: interrupt, shutdown_request on
// control, then SIGTERM and SIGKILL to the group, each after ShutdownWait/2.
// A kernel the heartbeat reported dead gets SIGTERM at once. It returns
// when the process and every goroutine of its generation ended.
func (k *Kernel) stopProcess(ctx context.Context, restart bool) {
	k.mu.Lock()
	g := k.gen
	g.expectExit = true
	hung := g.hbLost // a shutdown_request would go unanswered
	k.mu.Unlock()
	half := k.m.o.ShutdownWait / 2
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-g.exited:
			return true
		case <-t.C:
			return false
		}
	}
	if !wait(0) {
		stopped := false
		if hung {
			k.log.Info("kernel is not answering heartbeats; sending SIGTERM")
		} else {
			if k.spec.InterruptMode == "signal" {
				signalGroup(g, syscall.SIGINT)
			}
			// request also returns when the process exits (g.ctx ends).
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), half)
			_, _ = k.request(rctx, g, "control", "shutdown_request", map[string]any{"restart": restart})
			cancel()
			if stopped = wait(half); !stopped {
				k.log.Info("kernel did not stop after shutdown_request; sending SIGTERM")
			}
		}
		if !stopped {
			signalGroup(g, syscall.SIGTERM)
			// As systemd does: a stopped (SIGSTOP) process acts on SIGTERM
			// only once continued.
			signalGroup(g, syscall.SIGCONT)
			if !wait(half) {
				k.log.Warn("kernel did not stop after SIGTERM; sending SIGKILL")
				signalGroup(g, syscall.SIGKILL)
				if !wait(5 * time.Second) {
					k.log.Error("kernel process did not exit after SIGKILL", "pid", g.pid)
				}
			}
		}
	}
	// Leftover children in the kernel's process group go too.
	_ = syscall.Kill(-g.pid, syscall.SIGKILL)
	k.mu.Lock()
	g.cancel()
	k.mu.Unlock()
	k.closeSub(g)
	g.wg.Wait()
}

func (k *Kernel) restart(ctx context.Context) error {
	k.opMu.Lock()
	defer k.opMu.Unlock()
	k.mu.Lock()
	if k.removed {
		k.mu.Unlock()
		return errGone
	}
	// No synthetic "restarting" on the wire for a requested restart:
	// JupyterLab and VS Code take a server-sent "restarting" for an
	// automatic restart after a crash ("the kernel appears to have died");
	// the client that asked shows "restarting" itself, as with
	// jupyter_server. Other clients keep their sockets and see the new
	// process's statuses.
	k.state = "restarting"
	// Conns whose Send finds the link's sockets gone wait on done rather
	// than on opMu: it is closed once the new process answers (or the
	// restart fails), after the links are re-dialled.
	done := k.beginRestartLocked()
	defer k.endRestart(done)
	k.fan.mu.Lock()
	links := make([]*link, 0, len(k.fan.links))
	for _, l := range k.fan.links {
		links = append(links, l)
	}
	k.fan.mu.Unlock()
	k.mu.Unlock()
	k.log.Info("restarting kernel")
	k.stopProcess(ctx, true)
	for _, l := range links {
		l.closeSockets()
	}
	if err := k.startGen(); err != nil {
		k.mu.Lock()
		k.state, k.reason = "dead", err.Error()
		k.mu.Unlock()
		return fmt.Errorf("restart kernel: %w", err)
	}
	k.mu.Lock()
	g := k.gen
	k.fan.mu.Lock()
	k.fan.offline.dropDead() // the process they reported is gone
	k.fan.mu.Unlock()
	k.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, k.m.o.KernelInfoTimeout)
	defer cancel()
	stop := context.AfterFunc(g.ctx, cancel)
	defer stop()
	for _, l := range links {
		if err := k.dialLink(dctx, l); err != nil {
			return fmt.Errorf("restart kernel: reconnect: %w", err)
		}
	}
	// Return with the new process answering, so clients' next requests
	// and their iopub output are not lost. A timeout is not an error.
	if err := k.waitReady(dctx); err != nil && ctx.Err() != nil {
		return fmt.Errorf("restart kernel: %w", err)
	}
	return nil
}

// beginRestartLocked marks a restart as running: Sends finding no socket
// wait for the channel it returns, which endRestart closes. k.mu is held.
func (k *Kernel) beginRestartLocked() chan struct{} {
	done := make(chan struct{})
	k.restartDone = done
	return done
}

// endRestart marks the restart begun with done as over and wakes the Sends
// waiting for it.
func (k *Kernel) endRestart(done chan struct{}) {
	k.mu.Lock()
	if k.restartDone == done {
		k.restartDone = nil
	}
	k.mu.Unlock()
	close(done)
}

func (k *Kernel) shutdown(ctx context.Context) error {
	k.opMu.Lock()
	defer k.opMu.Unlock()
	k.mu.Lock()
	if k.removed {
		k.mu.Unlock()
		return nil
	}
	k.removed = true
	k.mu.Unlock()
	k.log.Info("shutting down kernel")
	k.stopProcess(ctx, false)
	k.mu.Lock()
	k.fan.mu.Lock()
	links := k.fan.links
	k.fan.links = map[string]*link{}
	for _, l := range links {
		if l.conn != nil {
			l.conn.finish(errors.New("kernel shut down"))
			l.conn = nil
		}
	}
	k.fan.conns = 0
	k.fan.offline.clear()
	k.fan.mu.Unlock()
	k.state = "dead"
	k.mu.Unlock()
	for _, l := range links {
		l.closeSockets()
	}
	if k.info.Transport == "tcp" {
		k.m.ports.release(k.info.ports())
	}
	if err := os.Remove(k.connFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove connection file: %w", err)
	}
	return nil
}
