package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"quire/internal/audit"
	"quire/internal/errkind"
	"quire/internal/kernel/wire"
	"quire/internal/kernelspec"
	"quire/internal/outputbudget"
	"quire/internal/safefile"
)

// Socket is one ZeroMQ socket as the kernel package uses it. Recv must
// return an error once Close has been called, also when blocked.
type Socket interface {
	Send(frames [][]byte) error
	Recv() ([][]byte, error)
	Close() error
}

// SocketKind says which ZeroMQ socket type to dial.
type SocketKind int

// The socket kinds the package dials (same order as zmqx's).
const (
	Dealer SocketKind = iota
	Sub               // subscribed to every topic
	Req
)

// Dialer connects a socket to a kernel endpoint ("tcp://127.0.0.1:port" or
// "ipc://<runtime dir>/kernel-<id>-ipc-<n>"), retrying until the kernel has
// bound it or ctx ends. identity may be nil.
type Dialer func(ctx context.Context, kind SocketKind, endpoint string, identity []byte) (Socket, error)

// Options configures a Manager. Zero values get the defaults noted.
type Options struct {
	// OnActivity, if set, is called whenever a kernel's last activity
	// moves on for a user's sake (execution and its output, not the
	// status chatter of kernel_info and the like): JupyterHub's idle
	// culling hears of it. It must be quick and must not call the manager.
	OnActivity func()
	// RuntimeDir holds connection files; created 0700 if missing. Required.
	RuntimeDir string
	// Dial connects sockets. Required.
	Dial Dialer
	// Transport is how kernels' sockets are reached: "tcp" (ports on
	// 127.0.0.1, the default) or "ipc" (Unix sockets in RuntimeDir, named
	// <RuntimeDir>/kernel-<id>-ipc-<n> as jupyter_client names them, so
	// only the user can connect; the paths must fit a Unix socket's 107
	// bytes).
	Transport string
	// Log receives lifecycle events and kernel output (debug). Default: discard.
	Log *slog.Logger
	// Env is the server environment kernels inherit, already without the
	// server's own credentials (app builds it with config.ChildEnv).
	// Default: os.Environ().
	Env []string
	// Username stamps headers of messages the server makes. Default: the OS user.
	Username string
	// ShutdownWait bounds a clean shutdown: half waiting after
	// shutdown_request, half after SIGTERM, then SIGKILL. Default 5s.
	ShutdownWait time.Duration
	// KernelInfoTimeout bounds the kernel_info gate in Connect. Default 60s.
	KernelInfoTimeout time.Duration
	// HeartbeatInterval is how often each kernel's hb socket is pinged;
	// an echo is awaited for as long. Default 3s; negative turns the
	// heartbeat off (then only process exit reveals a dead kernel).
	HeartbeatInterval time.Duration
	// HeartbeatMisses is how many pings in a row may go unanswered before
	// a kernel whose process still runs is reported dead (state "dead",
	// status dead to every session; an echo later undoes it). Misses
	// count from the kernel's first echo, or from KernelInfoTimeout after
	// its start. Default 5.
	HeartbeatMisses int
	// CullIdleTimeout shuts down kernels idle this long (0 = off); a spec's
	// metadata.cull_idle_timeout (seconds) overrides it.
	CullIdleTimeout time.Duration
	// CullInterval is how often RunCuller looks. Default 300s.
	CullInterval time.Duration
	// CullConnected also culls kernels with open connections.
	CullConnected bool
	// CullBusy also culls busy kernels.
	CullBusy bool
	// MaxConnQueue and MaxConnQueueBytes bound each Conn's queue of
	// messages not yet received, in kernel messages and in bytes (header,
	// parent, metadata, content and buffers). Consecutive iopub stream
	// messages of one name and parent still queued are merged into one
	// (up to 1 MiB of text), so a client that keeps reading drains a burst
	// of small outputs in a few large messages; merged messages still count
	// one each. Overflow policy: a message that would pass either cap
	// closes the Conn ("client too slow: N messages / X MiB queued",
	// logged), frees its queue and goes to the session's offline buffer;
	// the kernel and the other clients never wait. A message always fits
	// an empty queue. Defaults 65536 messages and 64 MiB; a negative
	// MaxConnQueueBytes means no byte cap.
	MaxConnQueue      int
	MaxConnQueueBytes int
	// OutputBudget is how many bytes of output (raw content of stream,
	// display_data, execute_result, update_display_data and error
	// messages) one execution delivers on iopub, per parent msg_id. Past
	// it, stream and display output is held back: the last OutputTail
	// bytes of it are delivered at the execution's idle status, after one
	// stderr stream notice (parented to the request) saying how much was
	// omitted. status, execute_input, error, clear_output and comm
	// messages always pass. Default 256 MiB; negative means unlimited.
	OutputBudget int64
	// OutputTail is how much of the held-back output end is kept and
	// delivered after the notice. Default 1 MiB; negative keeps none.
	OutputTail int
	// OfflineBufferBytes caps, per kernel, messages kept for disconnected
	// sessions; the oldest go first. Default 64 MiB; negative disables
	// offline buffering.
	OfflineBufferBytes int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Outputs, if set, is shown every rich output the kernels produce
	// (nil: none is recorded).
	Outputs OutputRecorder
	// Audit records kernels' starts, restarts, interrupts, shutdowns,
	// deaths and culls, and (per its ExecuteMode) execute requests; nil:
	// off.
	Audit *audit.Log
	// Meter, if set, counts lifecycle events and held-back output for the
	// server's metrics (nil: none is counted).
	Meter Meter
}

// Meter counts what kernels do, for metrics. Event is called with one of
// the Event* names; OutputOmitted with the output an execution's budget
// held back and dropped (bytes, messages). Both must be quick and must not
// call back into the kernel package.
type Meter interface {
	Event(name string)
	OutputOmitted(bytes int64, messages int)
}

// Event names given to Meter.Event.
const (
	EventStart         = "start"          // a kernel started
	EventRestart       = "restart"        // a kernel restarted (API or after death)
	EventDeath         = "death"          // a kernel's process exited unasked
	EventHeartbeatMiss = "heartbeat_miss" // one heartbeat ping went unanswered
	EventSlowClient    = "slow_client"    // a client was disconnected: its queue overflowed
)

// event tells the meter, if any, that name happened.
func (o *Options) event(name string) {
	if o.Meter != nil {
		o.Meter.Event(name)
	}
}

// OutputRecorder records the rich outputs kernels produce, so that a
// notebook holding them may be signed on save (notebook trust): an output
// that came from this server's own kernel is the user's own. It is called
// from the goroutines reading kernel sockets, before the message reaches
// any client, with the message type and raw content of each iopub
// display_data, execute_result and update_display_data and of each shell
// execute_reply (whose "page" payloads clients show as output). It must
// not keep content.
type OutputRecorder interface {
	RecordOutput(msgType string, content []byte)
}

// Specs is what the manager needs of the kernelspecs (kernelspec.Specs):
// a spec by name, and the name of the default one.
type Specs interface {
	Get(name string) (*kernelspec.Spec, bool)
	Default() string
}

// Manager starts, tracks and stops kernels. Its zero value is not usable;
// call NewManager. Close shuts every kernel down.
type Manager struct {
	specs Specs
	o     Options
	log   *slog.Logger
	ports portSet

	// mu guards kernels and closed. Rule: a leaf lock: never held while
	// taking a Kernel's locks or calling into a Kernel (collect, unlock,
	// then act).
	mu      sync.Mutex
	kernels map[string]*Kernel
	closed  bool
}

// NewManager returns a Manager starting kernels from specs. It starts no
// goroutine; culling runs in RunCuller.
func NewManager(specs Specs, o Options) *Manager {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Username == "" {
		o.Username = "quire"
		if u, err := user.Current(); err == nil && u.Username != "" {
			o.Username = u.Username
		}
	}
	if o.Transport == "" {
		o.Transport = "tcp"
	}
	if o.ShutdownWait <= 0 {
		o.ShutdownWait = 5 * time.Second
	}
	if o.KernelInfoTimeout <= 0 {
		o.KernelInfoTimeout = 60 * time.Second
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = 3 * time.Second
	}
	if o.HeartbeatMisses <= 0 {
		o.HeartbeatMisses = 5
	}
	if o.CullInterval <= 0 {
		o.CullInterval = 300 * time.Second
	}
	if o.MaxConnQueue <= 0 {
		o.MaxConnQueue = 65536
	}
	if o.MaxConnQueueBytes == 0 {
		o.MaxConnQueueBytes = 64 << 20
	}
	if o.OutputBudget == 0 {
		o.OutputBudget = 256 << 20
	}
	if o.OutputTail == 0 {
		o.OutputTail = 1 << 20
	}
	if o.OfflineBufferBytes == 0 {
		o.OfflineBufferBytes = 64 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Manager{specs: specs, o: o, log: o.Log, ports: portSet{held: map[int]bool{}}, kernels: map[string]*Kernel{}}
}

// start launches a kernel of spec name ("" = the default spec: callers
// pass "" on, this is the one place that picks it) as o says: in o.Dir
// (absolute; StartIn resolves it inside the root), for the notebook at
// o.Path. It returns once the process runs; Connect waits for the kernel
// to answer. An unknown spec is errkind.Unavailable; ipc socket paths too
// long for a Unix socket (a --runtime-dir too long) are errkind.Invalid.
func (m *Manager) start(ctx context.Context, name string, o StartOptions) (*Kernel, error) {
	if name == "" {
		name = m.specs.Default()
	}
	sp, ok := m.specs.Get(name)
	if !ok {
		return nil, errkind.WithReason(errkind.Unavailable, "Kernel spec "+name+" not found", name+" not found", nil)
	}
	cwd := o.Dir
	if !filepath.IsAbs(cwd) {
		return nil, fmt.Errorf("start kernel: cwd %q is not absolute", cwd)
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errkind.New(errkind.Unavailable, "server is shutting down", nil)
	}
	if err := safefile.MkdirAll(m.o.RuntimeDir); err != nil {
		return nil, fmt.Errorf("start kernel: runtime dir: %w", err)
	}
	id := wire.NewID()
	dir, err := resolveDir(m.o.RuntimeDir)
	if err != nil {
		return nil, fmt.Errorf("start kernel: %w", err)
	}
	connFile := connFilePath(dir, id)
	info := connInfo{
		IP: "127.0.0.1", Key: randomKey(), Transport: m.o.Transport, SignatureScheme: "hmac-sha256",
		KernelName: sp.Name, JupyterSession: o.Path,
	}
	var ports []int
	release := func() {}
	switch info.Transport {
	case "tcp":
		if ports, err = m.ports.take(5); err != nil {
			return nil, fmt.Errorf("start kernel: %w", err)
		}
		release = func() { m.ports.release(ports) }
	case "ipc":
		info.IP = ipcPrefix(connFile)
		if ports, err = ipcPorts(info.IP, 5); err != nil {
			// A setup problem for whoever runs the server, who may not see
			// the client's error: say it here too.
			m.log.Warn("kernel not started", "kernel_name", sp.Name, "err", err)
			return nil, fmt.Errorf("start kernel: %w", err)
		}
	default:
		return nil, fmt.Errorf("start kernel: unknown transport %q (tcp or ipc)", info.Transport)
	}
	info.ShellPort, info.IOPubPort, info.StdinPort, info.ControlPort, info.HBPort = ports[0], ports[1], ports[2], ports[3], ports[4]
	signer, err := wire.NewSigner(info.SignatureScheme, []byte(info.Key))
	if err != nil {
		release()
		return nil, fmt.Errorf("start kernel: %w", err)
	}
	if err := writeConnFile(connFile, &info); err != nil {
		release()
		return nil, fmt.Errorf("start kernel: %w", err)
	}
	home := ""
	for _, kv := range m.o.Env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	argv := expandArgv(sp.Argv, map[string]string{
		"connection_file": connFile, "resource_dir": sp.Dir, "cwd": cwd,
	}, home)
	k := &Kernel{
		id: id, spec: sp, m: m, log: m.log.With("kernel_id", id, "kernel_name", sp.Name),
		info: info, connFile: connFile, signer: signer, argv: argv,
		env: kernelEnv(m.o.Env, o.env(), sp, os.Getpid()), cwd: cwd, session: wire.NewID(),
		state: "starting", lastActivity: m.o.Now(),
	}
	k.fan = fanout{o: &m.o, log: k.log, links: map[string]*link{}, offline: offlineBuf{max: m.o.OfflineBufferBytes}}
	k.fan.budget = outputbudget.New(m.o.OutputBudget, m.o.OutputTail, func(parent json.RawMessage, text string) (*wire.Message, error) {
		return wire.NewMessage("stream", k.session, m.o.Username, map[string]string{"name": "stderr", "text": text}, parent)
	})
	if m.o.Meter != nil {
		k.fan.budget.OnOmit = m.o.Meter.OutputOmitted
	}
	if err := k.startGen(); err != nil {
		os.Remove(connFile)
		release()
		m.log.Warn("kernel not started", "kernel_name", sp.Name, "argv0", argv[0], "err", err)
		return nil, launchError(sp.Name, argv[0], err)
	}
	m.mu.Lock()
	m.kernels[id] = k
	closed = m.closed
	m.mu.Unlock()
	if closed { // Close ran meanwhile and did not see this kernel
		_ = m.shutdown(context.WithoutCancel(ctx), id)
		return nil, errkind.New(errkind.Unavailable, "server is shutting down", nil)
	}
	k.log.Info("kernel started", "pid", k.PID())
	m.o.event(EventStart)
	return k, nil
}

// Get returns the kernel with this id, dead ones included.
func (m *Manager) Get(id string) (*Kernel, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.kernels[id]
	return k, ok
}

// List returns every kernel, dead ones included, sorted by id.
func (m *Manager) List() []*Kernel {
	m.mu.Lock()
	out := make([]*Kernel, 0, len(m.kernels))
	for _, k := range m.kernels {
		out = append(out, k)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b *Kernel) int { return strings.Compare(a.id, b.id) })
	return out
}

func (m *Manager) notFound(id string) error {
	return errkind.New(errkind.NotFound, "Kernel does not exist: "+id, nil)
}

// shutdown stops a kernel cleanly (interrupt, shutdown_request, SIGTERM,
// SIGKILL to its process group), closes its connections, removes its
// connection file and forgets it.
func (m *Manager) shutdown(ctx context.Context, id string) error {
	k, ok := m.Get(id)
	if !ok {
		return m.notFound(id)
	}
	err := k.shutdown(ctx)
	m.mu.Lock()
	delete(m.kernels, id)
	m.mu.Unlock()
	return err
}

// interrupt interrupts a kernel: SIGINT to its process group, or an
// interrupt_request on control for interrupt_mode "message".
func (m *Manager) interrupt(ctx context.Context, id string) error {
	k, ok := m.Get(id)
	if !ok {
		return m.notFound(id)
	}
	return k.interrupt(ctx)
}

// restart replaces a kernel's process, keeping its id, connection file and
// ports. Connected clients keep their connections and see the new
// process's statuses (no synthetic "restarting", which clients take for a
// crash); their sockets are re-dialled before Restart returns.
// It works on dead kernels too.
func (m *Manager) restart(ctx context.Context, id string) (*Kernel, error) {
	k, ok := m.Get(id)
	if !ok {
		return nil, m.notFound(id)
	}
	if err := k.restart(ctx); err != nil {
		return nil, err
	}
	m.o.event(EventRestart)
	return k, nil
}

// Close shuts every kernel down, in parallel, and refuses new starts. No
// kernel process outlives it.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	ids := make([]string, 0, len(m.kernels))
	for id := range m.kernels {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Go(func() { errs[i] = m.Shutdown(ctx, id) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Counts reports the number of kernels, of open connections, and the
// latest activity of any kernel (zero without kernels).
func (m *Manager) Counts() (kernels, connections int, lastActivity time.Time) {
	for _, k := range m.List() {
		kernels++
		k.mu.Lock()
		k.fan.mu.Lock()
		connections += k.fan.conns
		k.fan.mu.Unlock()
		if k.lastActivity.After(lastActivity) {
			lastActivity = k.lastActivity
		}
		k.mu.Unlock()
	}
	return kernels, connections, lastActivity
}

// OfflineBytes is the size of the messages every kernel keeps for its
// disconnected sessions (the offline buffers).
func (m *Manager) OfflineBytes() int {
	n := 0
	for _, k := range m.List() {
		k.fan.mu.Lock()
		n += k.fan.offline.size
		k.fan.mu.Unlock()
	}
	return n
}

// Manages reports whether pid is a kernel process this manager waits for
// itself (for a PID-1 reaper that must leave those alone).
func (m *Manager) Manages(pid int) bool {
	for _, k := range m.List() {
		if k.PID() == pid {
			return true
		}
	}
	return false
}

// launchError tells a client why a kernelspec's program could not be run,
// naming the program but not where it was looked for (the full error is
// logged).
func launchError(name, argv0 string, err error) error {
	prog := filepath.Base(argv0)
	why := "could not be run"
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe) && pe.Op == "chdir":
		return errkind.New(errkind.Retry, "Kernel "+name+" cannot start: its working directory is gone; try again", err)
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		why = "was not found"
	case errors.Is(err, fs.ErrPermission):
		why = "may not be run (permission denied)"
	}
	return errkind.New(errkind.Unavailable, fmt.Sprintf("Kernel %s cannot start: its program %s %s; fix or remove its kernelspec (see jupyter kernelspec list)", name, prog, why), err)
}
