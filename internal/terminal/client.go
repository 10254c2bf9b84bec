package terminal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Why a client's Next stops returning messages.
var (
	// ErrEnded: the terminal's process ended; ["disconnect", 1] was the
	// client's last message.
	ErrEnded = errors.New("terminal ended")
	// ErrTooSlow: the client fell more than Options.ClientQueueBytes behind
	// and was disconnected.
	ErrTooSlow = errors.New("client too slow: too much output queued")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("terminal client closed")
)

// maxFrame caps how much queued output Next merges into one stdout
// message (a single larger chunk, such as the scrollback, goes whole).
const maxFrame = 64 << 10

// item is one queued message: a control message, sent as it is, or output.
type item struct {
	ctrl []byte
	out  []byte
}

// Client is one WebSocket's attachment to a terminal. Next and Handle may
// be called from different goroutines.
type Client struct {
	t      *Terminal
	notify chan struct{} // capacity 1: something was queued or err set

	// Guarded by t.mu.
	queue      []item
	queued     int // bytes of output in queue
	rows, cols int // the size this client asked for (0: none yet)
	err        error
	// offer, if set, writes a message straight to the client when it can do
	// so without waiting (SetOffer).
	offer func(msg []byte) bool
}

func (c *Client) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// pushLocked queues it. t.mu is held.
func (c *Client) pushLocked(it item) {
	c.queue = append(c.queue, it)
	c.queued += len(it.out)
	c.wake()
}

// Next returns the next message for the client, JSON text: ["setup", {}],
// ["stdout", text] (queued output merged), ["disconnect", 1]. Once the
// client is detached it returns ErrEnded (after the queue drains),
// ErrTooSlow or ErrClosed; and ctx's error when ctx ends first.
func (c *Client) Next(ctx context.Context) ([]byte, error) {
	for {
		if msg, err := c.take(); msg != nil || err != nil {
			return msg, err
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Ready receives a value whenever TryNext may have something: a message
// was queued or the client's end set. It is for a caller that waits on
// other things too (the WebSocket's handler), where Next would need a
// goroutine of its own.
func (c *Client) Ready() <-chan struct{} { return c.notify }

// SetOffer lets the terminal's reader give output straight to the client's
// connection, skipping the queue and the wake-up of the goroutine that
// drains it, whenever nothing is queued before it: offer writes the message
// and reports true, or reports false without waiting, and the output is then
// queued as usual. nil takes it back.
func (c *Client) SetOffer(offer func(msg []byte) bool) {
	c.t.mu.Lock()
	c.offer = offer
	c.t.mu.Unlock()
}

// TryNext is Next without the wait: nil and nil when nothing is queued.
func (c *Client) TryNext() ([]byte, error) { return c.take() }

// take pops the next message, or returns the client's end, or nothing.
func (c *Client) take() ([]byte, error) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(c.queue) == 0 {
		c.queue = nil // an idle client holds no queue
		return nil, c.err
	}
	if ctrl := c.queue[0].ctrl; ctrl != nil {
		c.queue[0] = item{}
		c.queue = c.queue[1:]
		return ctrl, nil
	}
	out := c.queue[0].out
	n := 1
	if len(c.queue) > 1 && c.queue[1].ctrl == nil {
		merged := append([]byte(nil), out...)
		for n < len(c.queue) && c.queue[n].ctrl == nil && len(merged)+len(c.queue[n].out) <= maxFrame {
			merged = append(merged, c.queue[n].out...)
			n++
		}
		out = merged
	}
	for i := range n {
		c.queued -= len(c.queue[i].out)
		c.queue[i] = item{}
	}
	c.queue = c.queue[n:]
	return encodeStdout(out), nil
}

// Handle acts on one client message: stdin goes to the shell, set_size
// resizes the pty to the smallest size of the attached clients. A message
// ParseMessage refuses is returned as an error and has no effect.
func (c *Client) Handle(data []byte) error {
	msg, err := ParseMessage(data)
	if err != nil {
		return err
	}
	t := c.t
	switch msg.Kind {
	case Stdin:
		t.touch()
		if err := c.write([]byte(msg.Text)); err != nil {
			return fmt.Errorf("write to terminal %s: %w", t.name, err)
		}
	case SetSize:
		t.mu.Lock()
		c.rows, c.cols = msg.Rows, msg.Cols
		if _, attached := t.clients[c]; attached {
			t.resizeLocked()
		}
		t.mu.Unlock()
	}
	return nil
}

// stdinWait is how long one write to the pty may block before write
// checks whether the client is still attached.
const stdinWait = 200 * time.Millisecond

// write types p into the shell. A shell that reads no input (stopped, or
// busy) fills the pty's input queue and the write blocks; it gives up once
// the client is closed, so a WebSocket never waits on the shell to close.
func (c *Client) write(p []byte) error {
	t := c.t
	// Typing fits the pty's input queue: one write, with no deadline to
	// arm (a timer set per keystroke wakes the runtime's poller each
	// time). Only what does not fit waits, under stdinWait.
	n, err := writeNow(t.pty, p)
	if err != nil {
		return err
	}
	p = p[n:]
	for len(p) > 0 {
		_ = t.pty.SetWriteDeadline(time.Now().Add(stdinWait))
		n, err := t.pty.Write(p)
		p = p[n:]
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.mu.Lock()
			_, attached := t.clients[c]
			t.mu.Unlock()
			if !attached {
				return ErrClosed
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Close detaches the client; the terminal goes on running.
func (c *Client) Close() {
	t := c.t
	t.mu.Lock()
	t.dropLocked(c, ErrClosed)
	t.mu.Unlock()
}

// writeNow writes what the pty takes at once, without waiting: n may be
// short (EAGAIN: the shell's input queue is full), err is another failure.
func writeNow(f *os.File, p []byte) (n int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var werr error
	if err := rc.Control(func(fd uintptr) {
		for {
			n, werr = syscall.Write(int(fd), p)
			if werr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return 0, err
	}
	if n < 0 {
		n = 0
	}
	if werr == syscall.EAGAIN {
		werr = nil
	}
	return n, werr
}
