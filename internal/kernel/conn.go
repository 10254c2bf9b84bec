package kernel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"quire/internal/audit"
	"quire/internal/errkind"
	"quire/internal/kernel/wire"
)

// ErrClosed is Conn.Err after the client closed the Conn itself.
var ErrClosed = errors.New("connection closed")

// ErrReplaced ends a Conn when a new Connect uses its session id.
var ErrReplaced = errors.New("replaced by a newer connection with the same session")

// link is the shell, control and stdin DEALER sockets of one client session
// (identity = session id) and a reader goroutine per socket. A link outlives
// its Conn: while no Conn is attached, what arrives is kept in the kernel's
// offline buffer for the session's next Connect.
type link struct {
	session string

	// mu guards socks. Rule: a leaf lock, held only to read or swap the
	// map, never while taking another lock or while sending, dialling or
	// closing a socket.
	mu      sync.Mutex
	socks   map[string]Socket // nil while (re)dialling
	readers sync.WaitGroup

	// Guarded by fanout.mu.
	conn       *Conn     // nil = detached (buffering)
	detachedAt time.Time // when conn last became nil
}

var linkChannels = []string{"shell", "control", "stdin"}

// dialLink dials the link's sockets for the current process and starts
// their readers. The old sockets must be closed (closeSockets).
func (k *Kernel) dialLink(ctx context.Context, l *link) error {
	socks := map[string]Socket{}
	for _, ch := range linkChannels {
		s, err := k.m.o.Dial(ctx, Dealer, k.info.endpoint(ch), []byte(l.session))
		if err != nil {
			for _, s := range socks {
				s.Close()
			}
			return fmt.Errorf("dial %s: %w", ch, err)
		}
		socks[ch] = s
	}
	l.mu.Lock()
	l.socks = socks
	l.mu.Unlock()
	for ch, s := range socks {
		l.readers.Go(func() { k.readLink(l, ch, s) })
	}
	return nil
}

func (k *Kernel) readLink(l *link, ch string, s Socket) {
	for {
		frames, err := s.Recv()
		if err != nil {
			return
		}
		msg, err := k.signer.Decode(frames)
		if err != nil {
			k.log.Warn("kernel message rejected", "channel", ch, "err", err)
			continue
		}
		if r := k.m.o.Outputs; r != nil && ch == "shell" {
			if typ := msg.Type(); typ == "execute_reply" {
				r.RecordOutput(typ, msg.Content)
			}
		}
		k.mu.Lock()
		if g := k.gen; g != nil {
			k.reviveLocked(g, ch)
		}
		k.fan.mu.Lock()
		if l.conn != nil {
			k.fan.pushLocked(l, ch, msg, nil)
		} else if k.fan.links[l.session] == l {
			k.fan.offline.add(l.session, ch, msg, k.log)
		}
		k.fan.mu.Unlock()
		k.mu.Unlock()
	}
}

// closeSockets closes the link's sockets and waits for its readers.
func (l *link) closeSockets() {
	l.mu.Lock()
	socks := l.socks
	l.socks = nil
	l.mu.Unlock()
	for _, s := range socks {
		s.Close()
	}
	l.readers.Wait()
}

// item is one message queued for a client.
type item struct {
	channel string
	msg     *wire.Message
}

// Conn is one client's connection to a kernel: what a kernel WebSocket
// bridges. Messages from the kernel wait in a queue bounded in messages
// and bytes (Options.MaxConnQueue, MaxConnQueueBytes), where consecutive
// iopub stream messages of one cell merge; a client that lets it fill up
// is disconnected, so it never slows the kernel or others.
type Conn struct {
	k       *Kernel
	l       *link
	session string
	q       *connQueue

	once sync.Once
	done chan struct{}
	err  error // set before done is closed
	// actx names the request that opened the connection, for the audit
	// records of its execute requests.
	actx context.Context
}

// Connect attaches a client with session id sessionID. It first waits (up
// to KernelInfoTimeout) until the kernel answers kernel_info and its iopub
// reaches the server; concurrent connects share that wait. A Conn already
// using sessionID is closed and replaced; messages kept for sessionID
// while it was disconnected are delivered first.
func (k *Kernel) Connect(ctx context.Context, sessionID string) (*Conn, error) {
	if sessionID == "" {
		return nil, errkind.New(errkind.Invalid, "missing session id", nil)
	}
	if err := k.waitReady(ctx); err != nil {
		return nil, err
	}
	k.opMu.Lock()
	defer k.opMu.Unlock()
	k.mu.Lock()
	if k.removed {
		k.mu.Unlock()
		return nil, errGone
	}
	g := k.gen
	k.fan.mu.Lock()
	l := k.fan.links[sessionID]
	k.fan.mu.Unlock()
	unresponsive := k.unresponsiveLocked()
	lost := g.hbLostC
	k.mu.Unlock()
	if l == nil {
		l = &link{session: sessionID}
	}
	l.mu.Lock()
	dialled := l.socks != nil
	l.mu.Unlock()
	if !dialled && unresponsive {
		// A ZMTP handshake needs the peer to answer: dialling a stopped
		// process would hang until it runs again.
		return nil, errUnresponsive
	}
	if !dialled { // new, or a restart could not re-dial it
		// The dial holds opMu, which restart and shutdown need, and a
		// ZMTP handshake with a frozen process never ends: it gives up
		// with the process, when the heartbeat finds it not answering, or
		// after KernelInfoTimeout (a live kernel's I/O thread answers in
		// milliseconds, even while it runs code).
		dctx, cancel := context.WithTimeout(ctx, k.m.o.KernelInfoTimeout)
		stop := context.AfterFunc(g.ctx, cancel)
		go func() {
			select {
			case <-lost:
				cancel()
			case <-dctx.Done():
			}
		}()
		err := k.dialLink(dctx, l)
		stop()
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("connect to kernel: %w", ctx.Err())
			}
			k.mu.Lock()
			unresponsive = k.gen == g && k.unresponsiveLocked()
			k.mu.Unlock()
			if unresponsive {
				return nil, errUnresponsive
			}
			if g.ctx.Err() != nil {
				k.mu.Lock()
				state, reason := k.state, k.reason
				k.mu.Unlock()
				if state == "dead" && reason != "" {
					// Its process exited: a kernel failing at start.
					return nil, errkind.New(errkind.Unavailable, "Kernel died while connecting ("+reason+"); its last output is in the server log", err)
				}
				// The kernel restarted or stopped while we dialled.
				return nil, errkind.New(errkind.Retry, "the kernel restarted or stopped while connecting; try again", err)
			}
			return nil, errkind.New(errkind.Retry, "cannot reach the kernel's sockets; try again, or restart the kernel", err)
		}
	}
	f := &k.fan
	f.mu.Lock()
	f.links[sessionID] = l
	evicted := f.evictDetachedLocked(sessionID)
	if old := l.conn; old != nil {
		l.conn = nil
		f.conns--
		old.finish(ErrReplaced)
	}
	replay := f.offline.take(sessionID)
	// The replay does not eat into the caps for what comes next.
	replayBytes := 0
	for _, it := range replay {
		replayBytes += msgSize(it.msg)
	}
	maxBytes := k.m.o.MaxConnQueueBytes
	if maxBytes > 0 {
		maxBytes += replayBytes
	}
	c := &Conn{k: k, l: l, session: sessionID, q: newConnQueue(k.m.o.MaxConnQueue+len(replay), maxBytes), done: make(chan struct{}), actx: audit.Detach(ctx)}
	for _, it := range replay {
		var st *streamText
		if it.channel == "iopub" && it.msg.Type() == "stream" {
			st = parseStream(it.msg)
		}
		c.q.push(it, st, true)
	}
	l.conn = c
	f.conns++
	f.mu.Unlock()
	for _, l := range evicted {
		l.closeSockets()
	}
	return c, nil
}

func (c *Conn) finish(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.done)
	})
}

// Session returns the client session id.
func (c *Conn) Session() string { return c.session }

// Done is closed when the Conn ends: closed by the client, replaced, too
// slow, or the kernel shut down. Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the Conn ended, or nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close detaches the client. The session's sockets stay open and what
// arrives for it is buffered for the next Connect with the same session id
// (unless offline buffering is off).
func (c *Conn) Close() error {
	f := &c.k.fan
	f.mu.Lock()
	mine := c.l.conn == c
	if mine {
		c.l.conn = nil
		c.l.detachedAt = f.o.Now()
		f.conns--
	}
	discard := mine && f.o.OfflineBufferBytes < 0 && f.links[c.session] == c.l
	if discard {
		delete(f.links, c.session)
	}
	f.mu.Unlock()
	c.finish(ErrClosed)
	if discard {
		c.l.closeSockets()
	}
	return nil
}

// Send signs msg with the kernel's key and sends it on channel ("shell",
// "control" or "stdin"). Identities in msg are ignored.
func (c *Conn) Send(channel string, msg *wire.Message) error {
	switch channel {
	case "shell", "control", "stdin":
	default:
		return errkind.New(errkind.Invalid, "unknown channel: "+channel, nil)
	}
	if err := c.Err(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	c.k.mu.Lock()
	state := c.k.state
	deadErr := c.k.deadErrLocked()
	c.k.mu.Unlock()
	if deadErr != nil {
		return deadErr
	}
	c.l.mu.Lock()
	s := c.l.socks[channel]
	c.l.mu.Unlock()
	if s == nil || state == "restarting" {
		// A restart is stopping the process or re-dialling this link. It
		// ends once the new process answers (or its kernel-info timeout
		// passes), so waiting for it delivers the message to the new
		// process instead of dropping it: a client that runs a cell right
		// after clicking restart gets its reply.
		if err := c.waitRestart(); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		c.l.mu.Lock()
		s = c.l.socks[channel]
		c.l.mu.Unlock()
		if s == nil {
			return errkind.New(errkind.Retry, "kernel is restarting", nil)
		}
	}
	out := *msg
	out.Identities = nil
	if channel == "shell" && c.k.m.o.Audit.Execute() != audit.ExecuteOff {
		c.auditExecute(msg)
	}
	if err := s.Send(c.k.signer.Encode(&out)); err != nil {
		return fmt.Errorf("send %s: %w", channel, err)
	}
	return nil
}

// waitRestart waits until the kernel's restart in progress, if any, has
// ended, or until c ends (its error is then returned). With no restart
// running it returns c.Err() at once.
func (c *Conn) waitRestart() error {
	c.k.mu.Lock()
	done := c.k.restartDone
	c.k.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-c.done:
		}
	}
	return c.Err()
}

// Recv returns the next message from the kernel for this client: replies
// on shell, control and stdin and every iopub message, in arrival order.
// It fails once the Conn has ended (see Err) or ctx ends.
func (c *Conn) Recv(ctx context.Context) (string, *wire.Message, error) {
	for {
		if it, ok := c.q.pop(); ok {
			return it.channel, it.message(), nil
		}
		select {
		case <-c.q.avail:
		case <-c.done:
			if it, ok := c.q.pop(); ok {
				return it.channel, it.message(), nil
			}
			return "", nil, c.err
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
	}
}

func msgSize(m *wire.Message) int {
	n := len(m.Header) + len(m.ParentHeader) + len(m.Metadata) + len(m.Content)
	for _, b := range m.Buffers {
		n += len(b)
	}
	return n
}
