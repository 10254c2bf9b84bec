// Package terminal provides Quire's terminals ({base}api/terminals and
// their WebSocket's terminado protocol): shells on ptys that outlive their
// browser tabs, shared by every client attached to them, with a bounded
// scrollback replayed to a client that connects later.
package terminal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"quire/internal/audit"
	"quire/internal/errkind"
)

// Options configure a Manager. Zero values take the defaults.
type Options struct {
	// Command is the program a terminal runs, with its arguments. Empty:
	// $SHELL from Env (else /bin/sh) as a login shell ("-l").
	Command []string
	// Env is the shell's environment, KEY=value entries, already free of
	// Quire's secrets (config.Config.ChildEnv). TERM is set to xterm-256color.
	Env []string
	// Scrollback is how many bytes of recent output each terminal keeps
	// for a client that connects later (0 = none). It is allocated as
	// output arrives.
	Scrollback int
	// Max is the largest number of terminals at once (0 = no limit).
	Max int
	// ShutdownWait is how long a terminal's processes get to exit after
	// SIGHUP before SIGKILL (default 5 s).
	ShutdownWait time.Duration
	// ClientQueueBytes is how much output may wait for one client; a
	// client further behind is disconnected as too slow (default 64 MiB),
	// so the terminal and its other clients never wait for it.
	ClientQueueBytes int
	// CullTimeout ends terminals without input or output for this long
	// (0 = never); CullInterval is how often they are looked for
	// (default 5 min).
	CullTimeout  time.Duration
	CullInterval time.Duration
	// Log receives the manager's logs (default: discarded). It never sees
	// what a terminal shows or is typed.
	Log *slog.Logger
	// Audit records terminals started and ended (nil: off).
	Audit *audit.Log
	// OnActivity, if set, is called on every input a client types
	// (JupyterHub's idle culling hears of it). It must be quick and must
	// not call the manager.
	OnActivity func()
	// Now is the clock (default time.Now).
	Now func() time.Time
	// SlowClient, if set, is told each time a client is disconnected as
	// too slow (for metrics).
	SlowClient func()
}

// Defaults.
const (
	DefaultShutdownWait     = 5 * time.Second
	DefaultClientQueueBytes = 64 << 20
	DefaultCullInterval     = 5 * time.Minute
	// maxNameLen bounds a terminal name given by a client.
	maxNameLen = 64
)

func (o Options) withDefaults() Options {
	if o.ShutdownWait <= 0 {
		o.ShutdownWait = DefaultShutdownWait
	}
	if o.ClientQueueBytes <= 0 {
		o.ClientQueueBytes = DefaultClientQueueBytes
	}
	if o.CullInterval <= 0 {
		o.CullInterval = DefaultCullInterval
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Model is a terminal as the REST API shows it.
type Model struct {
	Name         string `json:"name"`
	LastActivity string `json:"last_activity"`
}

// Manager owns the terminals. Its methods are safe for concurrent use.
type Manager struct {
	o     Options
	bufs  sync.Pool // *[]byte of readSize, for the pty readers
	mu    sync.Mutex
	terms map[string]*Terminal
	// closed: Close was called. The exit watcher (exits_linux.go) runs
	// from the first Create until Close, woken by SIGCHLD or wake.
	closed   bool
	watching bool
	wake     chan struct{}
	quit     chan struct{}
	watchers sync.WaitGroup
}

// NewManager returns a Manager with no terminals.
func NewManager(o Options) *Manager {
	restoreHangup()
	m := &Manager{o: o.withDefaults(), terms: make(map[string]*Terminal),
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	m.bufs.New = func() any { b := make([]byte, readSize); return &b }
	return m
}

// ValidName reports whether a client may name a terminal name: 1 to 64
// ASCII letters, digits and underscores, which jupyter_server's routes
// (\w+) take and a URL carries as it is.
func ValidName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// freeNameLocked is the smallest positive integer not yet a name, as
// jupyter_server names terminals. m.mu is held.
func (m *Manager) freeNameLocked() string {
	for n := 1; ; n++ {
		name := strconv.Itoa(n)
		if _, taken := m.terms[name]; !taken {
			return name
		}
	}
}

// Create starts a terminal named name ("" = the next free number) in the
// directory dir (an absolute OS path, already resolved inside the root).
func (m *Manager) Create(ctx context.Context, name, dir string) (Model, error) {
	if name != "" && !ValidName(name) {
		return Model{}, errkind.Newf(errkind.Invalid, "invalid terminal name: want 1 to %d letters, digits or underscores", maxNameLen)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Model{}, errkind.Newf(errkind.Retry, "the server is shutting down")
	}
	if m.o.Max > 0 && len(m.terms) >= m.o.Max {
		return Model{}, errkind.Newf(errkind.TooMany, "Cannot create more than %d terminals (--max-terminals)", m.o.Max)
	}
	if name == "" {
		name = m.freeNameLocked()
	} else if _, taken := m.terms[name]; taken {
		return Model{}, errkind.Newf(errkind.Conflict, "A terminal named %s already exists", name)
	}
	t, err := start(m, name, dir)
	m.auditStart(ctx, name, err)
	if err != nil {
		return Model{}, err
	}
	t.startCtx = audit.Detach(ctx)
	m.terms[name] = t
	m.watchLocked(t)
	m.o.Log.Info("terminal started", "terminal", name, "pid", t.pid)
	return t.Model(), nil
}

// List returns every terminal, by name.
func (m *Manager) List() []Model {
	ts := m.all()
	out := make([]Model, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Model())
	}
	return out
}

// all returns the terminals, sorted by name (numbers by value).
func (m *Manager) all() []*Terminal {
	m.mu.Lock()
	ts := slices.Collect(maps.Values(m.terms))
	m.mu.Unlock()
	slices.SortFunc(ts, func(a, b *Terminal) int { return compareNames(a.name, b.name) })
	return ts
}

func compareNames(a, b string) int {
	if len(a) != len(b) {
		na, ea := strconv.Atoi(a)
		nb, eb := strconv.Atoi(b)
		if ea == nil && eb == nil {
			return na - nb
		}
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *Manager) get(name string) (*Terminal, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.terms[name]
	return t, ok
}

func notFound(name string) error {
	return errkind.Newf(errkind.NotFound, "Terminal not found: %s", name)
}

// Get returns the model of terminal name.
func (m *Manager) Get(name string) (Model, bool) {
	t, ok := m.get(name)
	if !ok {
		return Model{}, false
	}
	return t.Model(), true
}

// Delete ends terminal name and every process of its session (SIGHUP,
// then SIGKILL after ShutdownWait), returning once they are gone and the
// terminal's clients have been told.
func (m *Manager) Delete(ctx context.Context, name string) error {
	t, ok := m.get(name)
	if !ok {
		return notFound(name)
	}
	t.endBy(ctx, "deleted")
	t.stop()
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("delete terminal %s: %w", name, ctx.Err())
	}
}

// Attach connects a new client to terminal name: it first receives
// ["setup", {}] and the scrollback, then live output.
func (m *Manager) Attach(name string) (*Client, error) {
	t, ok := m.get(name)
	if !ok {
		return nil, notFound(name)
	}
	c, ok := t.attach()
	if !ok {
		return nil, notFound(name)
	}
	return c, nil
}

// Counts returns the number of terminals and their latest activity (zero
// without terminals).
func (m *Manager) Counts() (terminals int, lastActivity time.Time) {
	for _, t := range m.all() {
		terminals++
		if l := t.lastActivity(); l.After(lastActivity) {
			lastActivity = l
		}
	}
	return terminals, lastActivity
}

// Manages reports whether pid is a terminal's shell that the manager
// waits for itself (for a PID-1 reaper that must leave it alone).
func (m *Manager) Manages(pid int) bool {
	for _, t := range m.all() {
		if t.pid == pid {
			return true
		}
	}
	return false
}

// RunCuller ends terminals idle for Options.CullTimeout, looking every
// CullInterval, until ctx ends. With no CullTimeout it returns at once.
func (m *Manager) RunCuller(ctx context.Context) {
	if m.o.CullTimeout <= 0 {
		return
	}
	tick := time.NewTicker(m.o.CullInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		m.cull(ctx)
	}
}

// cull ends the terminals idle for longer than CullTimeout.
func (m *Manager) cull(ctx context.Context) {
	cutoff := m.o.Now().Add(-m.o.CullTimeout)
	for _, t := range m.all() {
		if t.lastActivity().Before(cutoff) {
			m.o.Log.Info("culling idle terminal", "terminal", t.name, "idle_timeout", m.o.CullTimeout.String())
			t.endBy(context.Background(), "culled")
			if err := m.Delete(ctx, t.name); err != nil && !errkind.Is(err, errkind.NotFound) {
				m.o.Log.Warn("could not cull terminal", "terminal", t.name, "err", err)
			}
		}
	}
}

// Close ends every terminal and refuses new ones, returning once their
// processes are gone or ctx ends.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	ts := m.all()
	for _, t := range ts {
		t.endBy(context.Background(), "server_stop")
		t.stop()
	}
	var errs []error
	for _, t := range ts {
		select {
		case <-t.done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("terminal %s (pid %d) did not end in time", t.name, t.pid))
		}
	}
	close(m.quit)
	m.watchers.Wait()
	return errors.Join(errs...)
}

// remove drops t once it has ended.
func (m *Manager) remove(t *Terminal) {
	m.mu.Lock()
	if m.terms[t.name] == t {
		delete(m.terms, t.name)
	}
	m.mu.Unlock()
}

// shell is the command a terminal runs.
func (m *Manager) shell() []string {
	if len(m.o.Command) > 0 {
		return m.o.Command
	}
	sh := "/bin/sh"
	for _, kv := range m.o.Env {
		if v, ok := strings.CutPrefix(kv, "SHELL="); ok && v != "" {
			sh = v
		}
	}
	return []string{sh, "-l"}
}

// env is the shell's environment: Options.Env with TERM set.
func (m *Manager) env() []string {
	out := make([]string, 0, len(m.o.Env)+1)
	for _, kv := range m.o.Env {
		if _, ok := strings.CutPrefix(kv, "TERM="); !ok {
			out = append(out, kv)
		}
	}
	return append(out, "TERM=xterm-256color")
}
