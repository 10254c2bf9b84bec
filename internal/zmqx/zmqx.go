// Package zmqx gives Quire the three ZeroMQ client sockets it needs to talk
// to a Jupyter kernel (DEALER, SUB, REQ), each over one ZMTP 3 connection
// made with github.com/go-zeromq/zmq4.
//
// It uses go-zeromq's connection layer (zmq4.Open, Conn.SendMsg,
// Conn.RecvMsg) and not its socket layer: that layer's Dial gives up after
// a fixed number of retries, its auto-reconnect after 2.5 s, and its
// per-connection reader goroutine can stay blocked after Close. Here a
// Socket is one TCP (or unix) connection that this package dials itself:
// Dial retries until the kernel listens or the context ends, TCP_NODELAY is
// set, writes are batched into one flush per message, no goroutine outlives
// Dial, and Close unblocks Send and Recv at once. A Socket never
// reconnects: when the peer goes away Recv and Send fail, and the owner
// dials again.
package zmqx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
)

// Kind is the ZeroMQ socket type of a Socket.
type Kind int

// The socket kinds a Jupyter client uses: DEALER for shell, control and
// stdin; SUB for iopub; REQ for heartbeat.
const (
	Dealer Kind = iota
	Sub
	Req
)

func (k Kind) String() string {
	switch k {
	case Dealer:
		return "DEALER"
	case Sub:
		return "SUB"
	case Req:
		return "REQ"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

func (k Kind) zmq() (zmq4.SocketType, bool) {
	switch k {
	case Dealer:
		return zmq4.Dealer, true
	case Sub:
		return zmq4.Sub, true
	case Req:
		return zmq4.Req, true
	}
	return "", false
}

// ErrClosed is returned by Send and Recv after Close.
var ErrClosed = errors.New("zmqx: socket closed")

// Retry delays between attempts to reach a peer that is not listening yet.
const (
	firstRetry = 20 * time.Millisecond
	maxRetry   = 250 * time.Millisecond
	bufSize    = 8 << 10
)

// Socket is a connected client socket. Send and Recv may be called from
// different goroutines; concurrent Sends are serialised, as are concurrent
// Recvs.
type Socket struct {
	kind Kind
	conn net.Conn
	bc   *bufConn
	zc   *zmq4.Conn

	sendMu sync.Mutex
	recvMu sync.Mutex

	closeOnce sync.Once
	closed    chan struct{}
}

// Dial connects a socket of kind to endpoint ("tcp://127.0.0.1:5555" or
// "ipc:///path"). identity sets the ZMTP routing id a ROUTER peer sees
// (DEALER: the client's session_id, shared by shell, control and stdin so
// that the kernel routes input_request to the same client); nil lets the
// peer pick one. A SUB socket subscribes to everything. Dial retries
// refused or failed connections until the peer completes the ZMTP
// handshake or ctx ends; ctx only bounds Dial, not the Socket.
func Dial(ctx context.Context, kind Kind, endpoint string, identity []byte) (*Socket, error) {
	typ, ok := kind.zmq()
	if !ok {
		return nil, fmt.Errorf("zmqx: dial %s: unknown socket kind %d", endpoint, int(kind))
	}
	if len(identity) > 255 || len(identity) > 0 && identity[0] == 0 {
		return nil, fmt.Errorf("zmqx: dial %s: identity must be 1-255 bytes not starting with 0", endpoint)
	}
	network, addr, err := splitEndpoint(endpoint)
	if err != nil {
		return nil, fmt.Errorf("zmqx: dial: %w", err)
	}
	delay := firstRetry
	for {
		s, err := dialOnce(ctx, kind, typ, network, addr, identity)
		if err == nil {
			return s, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("zmqx: dial %s %s: %w (last error: %v)", kind, endpoint, ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, maxRetry)
	}
}

func dialOnce(ctx context.Context, kind Kind, typ zmq4.SocketType, network, addr string, identity []byte) (*Socket, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // Go's default too; stated for the record
	}
	// The handshake blocks on the peer: bound it by ctx.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	bc := &bufConn{Conn: conn, raw: rawConn(conn)}
	zc, err := zmq4.Open(bc, null.Security(), typ, zmq4.SocketIdentity(identity), false, nil)
	if !stop() || err != nil {
		conn.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	s := &Socket{kind: kind, conn: conn, bc: bc, zc: zc, closed: make(chan struct{})}
	if kind == Sub {
		if err := s.send([][]byte{{1}}); err != nil { // ZMTP 3.0 SUBSCRIBE ""
			conn.Close()
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	}
	return s, nil
}

func splitEndpoint(ep string) (network, addr string, err error) {
	scheme, rest, ok := strings.Cut(ep, "://")
	switch {
	case !ok || rest == "":
		return "", "", fmt.Errorf("invalid endpoint %q", ep)
	case scheme == "tcp":
		return "tcp", rest, nil
	case scheme == "ipc":
		return "unix", rest, nil
	}
	return "", "", fmt.Errorf("unsupported transport in endpoint %q", ep)
}

// Send sends frames as one multipart message. A REQ socket adds the empty
// envelope delimiter itself. Send blocks while the peer applies
// backpressure; Close unblocks it.
func (s *Socket) Send(frames [][]byte) error {
	if len(frames) == 0 {
		return errors.New("zmqx: send: empty message")
	}
	if s.kind == Req {
		frames = append([][]byte{{}}, frames...)
	}
	return s.send(frames)
}

func (s *Socket) send(frames [][]byte) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	// A write buffer only while sending: one flush per message, and no
	// buffer held by the many sockets that are idle.
	w := writers.Get().(*bufio.Writer)
	w.Reset(s.conn)
	s.bc.beginWrite(w)
	err := s.zc.SendMsg(zmq4.NewMsgFrom(frames...))
	if ferr := s.bc.endWrite(err == nil); err == nil {
		err = ferr
	}
	w.Reset(nil)
	writers.Put(w)
	if err != nil {
		if s.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("zmqx: send %s: %w", s.kind, err)
	}
	return nil
}

// Recv blocks until a message arrives and returns its frames (a REQ
// socket's envelope delimiter removed). It returns ErrClosed after Close
// and another error when the peer goes away.
//
// ZMTP PING commands are answered by zmq4 from inside Recv, outside Send's
// lock, so a PONG could split a concurrent message. Jupyter kernels never
// enable ZMTP heartbeats (ZMQ_HEARTBEAT_IVL), so no PING arrives in
// practice.
func (s *Socket) Recv() (frames [][]byte, err error) {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	defer func() {
		// zmq4 allocates each frame at the length the peer announces; an
		// impossible length panics in make. Fail this socket, not the server.
		if r := recover(); r != nil {
			s.Close()
			frames, err = nil, fmt.Errorf("zmqx: recv %s: bad frame from peer: %v", s.kind, r)
		}
	}()
	for {
		if s.isClosed() {
			return nil, ErrClosed
		}
		msg, err := s.zc.RecvMsg()
		if err != nil {
			if s.isClosed() {
				return nil, ErrClosed
			}
			return nil, fmt.Errorf("zmqx: recv %s: %w", s.kind, err)
		}
		if msg.Type == zmq4.CmdMsg {
			continue // a PONG zmq4 wrote went out directly, or with the Send under way
		}
		frames = msg.Frames
		if s.kind == Req && len(frames) > 0 && len(frames[0]) == 0 {
			frames = frames[1:]
		}
		return frames, nil
	}
}

// Close closes the connection at once, unblocking Send and Recv. Data
// already sent is still delivered by the operating system (no linger
// wait). Close is idempotent.
func (s *Socket) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.conn.Close()
	})
	return err
}

func (s *Socket) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// writers and readers are the buffers of sockets moving data; an idle
// socket holds neither (a kernel has five sockets, most of them idle most
// of the time).
var (
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}
)

// bufConn buffers a connection's reads and, while w is set (during a Send,
// not the handshake, which must not wait on a flush), its writes: zmq4
// reads and writes a frame in small pieces, and the buffers turn them into
// few system calls.
//
// The read buffer is taken when data arrives and given back once drained.
// Where the connection offers a RawConn, an idle Read waits for data
// without a buffer (readable); elsewhere it waits holding one.
type bufConn struct {
	net.Conn
	raw syscall.RawConn // nil: wait for data in Read itself
	r   *bufio.Reader   // nil while nothing is buffered; used by one reader at a time
	mu  sync.Mutex      // guards w; see the PING note on Recv
	w   *bufio.Writer
}

func (c *bufConn) Read(p []byte) (int, error) {
	if c.r == nil {
		if c.raw != nil {
			if err := readable(c.raw); err != nil {
				return 0, err
			}
		}
		c.r = readers.Get().(*bufio.Reader)
		c.r.Reset(c.Conn)
	}
	n, err := c.r.Read(p)
	if c.r.Buffered() == 0 {
		c.r.Reset(nil)
		readers.Put(c.r)
		c.r = nil
	}
	return n, err
}

func (c *bufConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return c.Conn.Write(p)
	}
	return c.w.Write(p)
}

// beginWrite buffers writes in w until endWrite.
func (c *bufConn) beginWrite(w *bufio.Writer) {
	c.mu.Lock()
	c.w = w
	c.mu.Unlock()
}

// endWrite flushes what was buffered, if flush (the message, and a PONG
// zmq4 may have written meanwhile), and writes unbuffered again, in one
// step so that nothing written in between is left in the buffer.
func (c *bufConn) endWrite(flush bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if flush {
		err = c.w.Flush()
	}
	c.w = nil
	return err
}
