package terminal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/creack/pty"

	"quire/internal/errkind"
	"quire/internal/isotime"
)

// readSize is the pty read buffer (pooled by the manager, held only while
// output is read). Linux's line discipline hands over at most 4 KiB a
// read, so during a burst read goes on reading while reads come back
// large (moreAfter) and the buffer has room for another, then hands the
// lot on as one chunk: fewer chunks, wake-ups and frames per byte. A read
// that comes back small (a keystroke's echo) is handed on at once.
const (
	readSize  = 32 << 10
	ttyRead   = 4096
	moreAfter = 1024
)

// Terminal is one shell on a pty and the clients attached to it.
type Terminal struct {
	m    *Manager
	name string
	cmd  *exec.Cmd
	pid  int
	pty  *os.File

	stopOnce sync.Once
	ending   atomic.Bool   // the shell's exit was seen; reaped runs
	exited   chan struct{} // closed once the shell is reaped
	readDone chan struct{} // closed when the pty reader ends
	done     chan struct{} // closed once every process is gone and clients told

	mu         sync.Mutex
	last       time.Time
	sb         *scrollback
	clients    map[*Client]struct{}
	rows, cols int // the pty's size
	ended      bool
	// For the audit log: the request that started the terminal, and the
	// one that ended it (or none) and why; endReason "" once the shell
	// exited of itself.
	startCtx  context.Context
	endCtx    context.Context
	endReason string
}

// start launches the shell of a new terminal. m.mu is held.
func start(m *Manager, name, dir string) (*Terminal, error) {
	argv := m.shell()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = m.env()
	cmd.Dir = dir
	const rows, cols = 24, 80
	f, err := pty.StartWithAttrs(cmd, &pty.Winsize{Rows: rows, Cols: cols}, sysProcAttr())
	if err != nil {
		return nil, errkind.New(errkind.Unavailable,
			fmt.Sprintf("could not start the terminal's shell %s (--terminal-shell)", filepath.Base(argv[0])),
			fmt.Errorf("start %s in %s: %w", argv[0], dir, err))
	}
	if f, err = pollable(f); err != nil {
		_ = cmd.Process.Kill()
		go func() { _ = cmd.Wait() }()
		return nil, fmt.Errorf("terminal pty: %w", err)
	}
	t := &Terminal{
		m: m, name: name, cmd: cmd, pid: cmd.Process.Pid, pty: f,
		exited: make(chan struct{}), readDone: make(chan struct{}), done: make(chan struct{}),
		last: m.o.Now(), sb: newScrollback(m.o.Scrollback),
		clients: make(map[*Client]struct{}), rows: rows, cols: cols,
	}
	go t.read()
	return t, nil
}

// Model returns the terminal's REST model.
func (t *Terminal) Model() Model {
	return Model{Name: t.name, LastActivity: isotime.Format(t.lastActivity())}
}

func (t *Terminal) lastActivity() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

func (t *Terminal) touch() {
	t.mu.Lock()
	t.last = t.m.o.Now()
	t.mu.Unlock()
	if t.m.o.OnActivity != nil {
		t.m.o.OnActivity()
	}
}

// stop ends the shell's session, once, in a goroutine of its own: SIGHUP,
// then SIGKILL after ShutdownWait. reaped does the rest once the shell
// has exited.
func (t *Terminal) stop() { t.stopOnce.Do(func() { go t.terminate() }) }

func (t *Terminal) terminate() {
	select {
	case <-t.exited: // its pid may name another process by now
		return
	default:
	}
	signalSession(t.pid, syscall.SIGHUP)
	signalSession(t.pid, syscall.SIGCONT) // a stopped shell acts on SIGHUP only once continued
	if waitFor(t.exited, t.m.o.ShutdownWait) {
		return
	}
	t.m.o.Log.Warn("terminal did not end after SIGHUP; sending SIGKILL", "terminal", t.name, "pid", t.pid)
	signalSession(t.pid, syscall.SIGKILL)
	if !waitFor(t.exited, 5*time.Second) {
		t.m.o.Log.Error("terminal shell did not exit after SIGKILL", "terminal", t.name, "pid", t.pid)
	}
}

// read copies the pty's output to the scrollback and the clients until
// the pty reports EOF (EIO once no process holds its other end) or is
// closed. It waits in the runtime's poller holding no buffer: one is
// taken from the manager's pool only while there is output to read, so
// an idle terminal costs its parked goroutine and little else. A
// character split across reads is carried to the next one.
func (t *Terminal) read() {
	defer close(t.readDone)
	rc, err := t.pty.SyscallConn()
	if err != nil {
		return
	}
	var carry [utf8.UTFMax]byte
	nc := 0
	for {
		var buf *[]byte
		var n int // bytes read into buf after the carry
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			b := t.m.bufs.Get().(*[]byte)
			copy(*b, carry[:nc])
			n, rerr = 0, nil
			for {
				var k int
				for {
					k, rerr = syscall.Read(int(fd), (*b)[nc+n:])
					if rerr != syscall.EINTR {
						break
					}
				}
				if rerr != nil || k <= 0 {
					if n > 0 { // hand on what was read; the next read sees the end again
						rerr = nil
						break
					}
					if rerr == syscall.EAGAIN {
						t.m.bufs.Put(b)
						return false // wait for output
					}
					n = k
					break
				}
				n += k
				if k < moreAfter || len(*b)-nc-n < ttyRead {
					break
				}
			}
			buf = b
			return true
		})
		if err != nil || rerr != nil || n <= 0 { // closed, EIO (no process holds the tty), EOF
			if buf != nil {
				t.m.bufs.Put(buf)
			}
			if nc > 0 {
				t.output(carry[:nc]) // never completed: shown as U+FFFD
			}
			if rerr != nil && rerr != syscall.EIO {
				t.m.o.Log.Debug("terminal read ended", "terminal", t.name, "err", rerr)
			}
			return
		}
		head, tail := splitIncomplete((*buf)[:nc+n])
		if len(head) > 0 {
			t.output(head)
		}
		nc = copy(carry[:], tail)
		t.m.bufs.Put(buf)
	}
}

// output records p in the scrollback and queues it for every client;
// a client too far behind is dropped, never waited for. A small chunk for
// a client with nothing queued is first offered to its connection
// (Client.SetOffer), and queued only if the offer is refused.
func (t *Terminal) output(p []byte) {
	chunk := append([]byte(nil), p...) // shared, read-only, by every client
	var buf [4]offered
	offers := buf[:0]
	t.mu.Lock()
	t.last = t.m.o.Now()
	t.sb.write(chunk)
	for c := range t.clients {
		if c.queued+len(chunk) > t.m.o.ClientQueueBytes {
			t.m.o.Log.Warn("closing terminal client: too slow", "terminal", t.name,
				"queued_bytes", c.queued, "max_bytes", t.m.o.ClientQueueBytes)
			t.dropLocked(c, ErrTooSlow)
			if t.m.o.SlowClient != nil {
				t.m.o.SlowClient()
			}
			continue
		}
		if c.offer != nil && len(c.queue) == 0 && len(chunk) <= offerSize {
			offers = append(offers, offered{c, c.offer})
			continue
		}
		c.pushLocked(item{out: chunk})
	}
	t.mu.Unlock()
	if len(offers) == 0 {
		return
	}
	// Only this goroutine queues output, so a refused chunk queued now
	// still comes before the next.
	msg := encodeStdout(chunk)
	for _, o := range offers {
		if o.offer(msg) {
			continue
		}
		t.mu.Lock()
		if _, attached := t.clients[o.c]; attached {
			o.c.pushLocked(item{out: chunk})
		}
		t.mu.Unlock()
	}
}

// offerSize bounds the output offered to a connection (Client.SetOffer):
// interactive output, a keystroke's echo or a prompt. Larger chunks are
// output in bulk, which the client's queue merges into fewer frames.
const offerSize = 512

// offered is a client whose connection takes output directly, and how.
type offered struct {
	c     *Client
	offer func([]byte) bool
}

// reaped runs once the shell has exited (the manager saw it): it reaps
// the shell, ends what the shell left in its session (background jobs)
// the same way stop would, reads the last output, closes the pty and
// tells the clients.
func (t *Terminal) reaped() {
	err := t.cmd.Wait()
	t.m.o.Log.Debug("terminal shell exited", "terminal", t.name, "pid", t.pid, "err", err)
	close(t.exited)
	t.auditEnd(err)
	if len(sessionMembers(t.pid)) > 0 {
		signalSession(t.pid, syscall.SIGHUP)
		signalSession(t.pid, syscall.SIGCONT)
		deadline := time.Now().Add(t.m.o.ShutdownWait)
		for len(sessionMembers(t.pid)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		signalSession(t.pid, syscall.SIGKILL)
	}
	// The last output is still in the pty: read it before closing, unless
	// something outside the session holds the pty open.
	waitFor(t.readDone, time.Second)
	_ = t.pty.Close()
	<-t.readDone

	t.mu.Lock()
	t.ended = true
	for c := range t.clients {
		c.pushLocked(item{ctrl: disconnectMessage})
		t.dropLocked(c, ErrEnded)
	}
	t.sb = newScrollback(0)
	t.mu.Unlock()
	t.m.remove(t)
	t.m.o.Log.Info("terminal ended", "terminal", t.name)
	close(t.done)
}

func waitFor(ch <-chan struct{}, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ch:
		return true
	case <-tm.C:
		return false
	}
}

// attach adds a client, its queue holding the setup message and the
// scrollback; ok is false once the terminal has ended.
func (t *Terminal) attach() (*Client, bool) {
	c := &Client{t: t, notify: make(chan struct{}, 1)}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return nil, false
	}
	c.pushLocked(item{ctrl: setupMessage})
	if b := t.sb.bytes(); len(b) > 0 {
		c.pushLocked(item{out: b})
	}
	t.clients[c] = struct{}{}
	return c, true
}

// dropLocked detaches c, which then ends with err once its queue is
// drained (ErrEnded) or at once (any other error). t.mu is held.
func (t *Terminal) dropLocked(c *Client, err error) {
	if _, ok := t.clients[c]; !ok {
		return
	}
	delete(t.clients, c)
	if err != ErrEnded {
		c.queue, c.queued = nil, 0
	}
	c.err = err
	c.wake()
	t.resizeLocked()
}

// resizeLocked sets the pty to the smallest size any client asked for,
// as terminado does: a terminal using less than the space available is
// better than one using more. Clients that sent no size do not count.
// t.mu is held.
func (t *Terminal) resizeLocked() {
	rows, cols := 0, 0
	for c := range t.clients {
		if c.rows > 0 && (rows == 0 || c.rows < rows) {
			rows = c.rows
		}
		if c.cols > 0 && (cols == 0 || c.cols < cols) {
			cols = c.cols
		}
	}
	if rows == 0 || cols == 0 || t.ended || (rows == t.rows && cols == t.cols) {
		return
	}
	if err := setSize(t.pty, rows, cols); err != nil {
		t.m.o.Log.Debug("terminal resize failed", "terminal", t.name, "err", err)
		return
	}
	t.rows, t.cols = rows, cols
}

// pollable returns the pty master as a file in the runtime's poller: its
// reads and writes then park a goroutine rather than hold an OS thread
// each, and honour deadlines and Close. creack/pty hands it over in
// blocking mode (it calls Fd), so it is duplicated and made non-blocking;
// f is closed.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	syscall.ForkLock.RLock() // no child may inherit the copy before it is close-on-exec
	fd, err := syscall.Dup(int(f.Fd()))
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("set non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), nil
}

// setSize sets the pty's window size without f.Fd (which pty.Setsize
// calls, putting the file back into blocking mode).
func setSize(f *os.File, rows, cols int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	ws := pty.Winsize{Rows: uint16(rows), Cols: uint16(cols)}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCSWINSZ), uintptr(unsafe.Pointer(&ws)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
