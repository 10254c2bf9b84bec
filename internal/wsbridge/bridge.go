// Package wsbridge serves the kernel WebSocket ({base}api/kernels/<id>/channels): it
// negotiates the v1 or legacy framing, decodes client frames for the kernel and encodes
// kernel messages for the client. ServeText carries text messages the same way, with
// the same upgrade, limits, pings and close rules, for the terminal WebSocket.
package wsbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"quire/internal/kernel/wire"
)

// KernelConn is one client's connection to a kernel's channels.
type KernelConn interface {
	// Send forwards a client message to the kernel, signing it afresh. An error drops
	// the message (it is logged); it does not end the bridge.
	Send(channel string, m *wire.Message) error
	// Recv returns the next message for the client: replies and iopub. Its error ends
	// the bridge; a *CloseError chooses the WebSocket close code. Recv returns when ctx
	// ends.
	Recv(ctx context.Context) (channel string, m *wire.Message, err error)
	// Close ends the connection and unblocks Send and Recv. Serve always calls it once
	// before it returns.
	Close()
}

// Close codes the bridge sends. JupyterLab reconnects after any code but 1000 and 1001
// (spec §3.8), so those two are never used.
const (
	// CodeMessageTooBig: a client message exceeded Options.MaxMessageSize.
	CodeMessageTooBig = 1009
	// CodeServiceRestart: the kernel side ended (restart, shutdown) or the server is
	// stopping; the client reconnects.
	CodeServiceRestart = 1012
	// CodeSessionReplaced: a newer connection with the same session took over.
	CodeSessionReplaced = 4001
)

// CloseError, returned by KernelConn.Recv, ends the bridge with Code and Reason.
// A close frame holds 123 bytes of reason; a longer Reason is cut.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket close %d: %s", e.Code, e.Reason)
}

// Options configure Serve. Zero values take the defaults.
type Options struct {
	// MaxMessageSize caps one client message, in bytes (default 256 MiB). A larger
	// message closes the connection with CodeMessageTooBig.
	MaxMessageSize int64
	// PingInterval is the time between pings (default 30 s); no pong within two
	// intervals ends the connection.
	PingInterval time.Duration
	// WriteTimeout bounds one write to the client (default 60 s); a write that times
	// out ends the connection.
	WriteTimeout time.Duration
	// Log receives the bridge's logs (default: discarded). It never sees message
	// contents.
	Log *slog.Logger
	// Protocol is "" to select the v1 protocol when the client offers it, or "legacy"
	// to always use the legacy JSON protocol.
	Protocol string
	// Meter, if set, counts connections and the messages forwarded (metrics).
	Meter Meter
}

// Meter counts what bridges carry. Connected is told +1 when a bridge opens and -1
// when it ends, with its kind (KindKernel, KindTerminal); Forwarded each message
// passed on, its direction (FromClient, ToClient), channel (a kernel channel name, or
// KindTerminal) and size in bytes as framed on the WebSocket. Both must be quick.
type Meter interface {
	Connected(kind string, delta int)
	Forwarded(direction, channel string, bytes int)
}

// Bridge kinds and directions given to Meter.
const (
	KindKernel   = "kernel"
	KindTerminal = "terminal"
	FromClient   = "in"  // client → server (kernel or terminal)
	ToClient     = "out" // server → client
)

type nopMeter struct{}

func (nopMeter) Connected(string, int)         {}
func (nopMeter) Forwarded(string, string, int) {}

// Defaults.
const (
	DefaultMaxMessageSize = 256 << 20
	DefaultPingInterval   = 30 * time.Second
	DefaultWriteTimeout   = 60 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Meter == nil {
		o.Meter = nopMeter{}
	}
	return o
}

// Serve upgrades r to a WebSocket and bridges it to conn until either side ends. When
// r's context ends (cancel it to stop the server), the client is told to reconnect. It
// returns nil when the client closed or dropped the connection or r's context ended,
// and otherwise the error that ended the bridge: the kernel side's, an oversize
// message, a failed write or ping. It calls conn.Close once before returning.
//
// The caller has already authenticated r and checked its Host and Origin (package
// guard does both for every route, upgrades included), so Accept's own Origin check
// is skipped. Per-message compression is off: large outputs are mostly base64 and the
// reference server does not compress either. Go enables TCP_NODELAY on TCP connections
// by default, so small replies are not delayed.
func Serve(w http.ResponseWriter, r *http.Request, conn KernelConn, o Options) error {
	o = o.withDefaults()

	var offer []string
	if o.Protocol != "legacy" {
		offer = []string{Subprotocol}
	}
	c, err := accept(w, r, offer, o)
	if err != nil {
		conn.Close()
		return fmt.Errorf("kernel websocket: %w", err)
	}
	b := &bridge{ws: c, kernel: conn, o: o, v1: c.Subprotocol() == Subprotocol}
	b.pumps = []func(context.Context) ending{b.readClient, b.writeClient}
	b.closeConn = conn.Close
	return b.run(r.Context())
}

// accept upgrades r, for the kernel and the terminal WebSockets alike. The caller has
// authenticated r and package guard has checked its Host and Origin, as for every
// route, so Accept's own Origin check is skipped.
func accept(w http.ResponseWriter, r *http.Request, offer []string, o Options) (*websocket.Conn, error) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       offer,
		InsecureSkipVerify: true, // Origin is checked by package guard, before auth
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, fmt.Errorf("accept: %w", err)
	}
	// Read one byte past the limit ourselves, so it is our check, with our close
	// reason, that trips first.
	limit := o.MaxMessageSize
	if limit < math.MaxInt64-1 {
		c.SetReadLimit(limit + 1)
	} else {
		c.SetReadLimit(-1)
	}
	return c, nil
}

type bridge struct {
	ws     *websocket.Conn
	kernel KernelConn // the kernel bridge's far side
	text   TextConn   // or a text bridge's (ServeText)
	poll   TextPoller // text, when run writes its messages itself
	// wmu is held while a text bridge's message is taken and written, by the
	// handler (pollText) or the producer (offer); offerErr is an offer's
	// failed write, for the handler to end the bridge with.
	wmu      sync.Mutex
	offerErr error
	o        Options
	v1       bool
	// pumps run until one ends (run itself pings). closeConn closes the far side.
	pumps     []func(context.Context) ending
	closeConn func()
}

// ending is why a pump stopped and how to close the WebSocket: code 0 closes at once
// without a handshake (the peer is gone or stuck).
type ending struct {
	code   websocket.StatusCode
	reason string
	err    error // returned by Serve; nil for a normal end
}

func (b *bridge) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := b.o.Log.With("protocol", b.protocolName())
	log.Debug(b.what() + " open")
	kind := KindKernel
	if b.text != nil {
		kind = KindTerminal
	}
	b.o.Meter.Connected(kind, 1)
	defer b.o.Meter.Connected(kind, -1)

	// Every pump reports once; the first report decides how the socket closes.
	ends := make(chan ending, len(b.pumps))
	var wg sync.WaitGroup
	for _, pump := range b.pumps {
		wg.Go(func() { ends <- pump(ctx) })
	}

	// The handler pings the client itself, rather than a pump of its own that
	// would hold a goroutine (and its stack) for the connection's life: only
	// while a ping waits for its pong does a goroutine wait on it. The next
	// ping is due an interval after the last pong, as before.
	e, reported := b.wait(ctx, ends, &wg)

	// Stop the pumps, then close the socket. Their reads and writes run on contexts
	// that cancel leaves alone, since coder/websocket drops the connection when a
	// read or write context ends, and the close frame should still go out.
	cancel()
	if e.code != 0 {
		_ = b.ws.Close(e.code, e.reason)
	} else {
		_ = b.ws.CloseNow()
	}
	b.closeConn() // unblocks a Send stuck in readClient
	wg.Wait()

	// The first end chose the close code; the first error, from whichever pump,
	// explains it (a write timeout drops the connection, so the read pump may
	// report "client gone" first).
	err := e.err
	for ; reported < len(b.pumps); reported++ {
		if e2 := <-ends; err == nil {
			err = e2.err
		}
	}
	if err != nil {
		log.Info(b.what()+" closed", "code", int(e.code), "reason", e.reason, "err", err)
	} else {
		log.Debug(b.what()+" closed", "code", int(e.code), "reason", e.reason)
	}
	return err
}

// wait returns the first ending: a pump's (reported is then 1), the request
// context's, or a ping's that failed or got no pong in two intervals. With a
// TextPoller it also writes the far side's messages (pollText) and its end.
func (b *bridge) wait(ctx context.Context, ends <-chan ending, wg *sync.WaitGroup) (e ending, reported int) {
	tick := time.NewTimer(b.o.PingInterval)
	defer tick.Stop()
	var pinged chan error // non-nil while a ping is out
	ping := func() {
		pinged = make(chan error, 1)
		wg.Go(func() {
			// Like writes, not cut short by ctx; closing the socket ends it.
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*b.o.PingInterval)
			defer cancel()
			pinged <- b.ws.Ping(pctx)
		})
	}
	pong := func(err error) (ending, bool) {
		pinged = nil
		if err != nil {
			return b.ioEnding(ctx, "ping client", err), false
		}
		tick.Reset(b.o.PingInterval)
		return ending{}, true
	}
	shutdown := ending{code: CodeServiceRestart, reason: "server shutting down"}
	var ready <-chan struct{}
	if b.poll != nil {
		ready = b.poll.Ready()
	}
	polling := false // the poller may have more: write one message a turn, the rest still heard
	for {
		if polling {
			select {
			case e = <-ends:
				return e, 1
			case <-ctx.Done():
				return shutdown, 0
			case <-tick.C:
				ping()
			case err := <-pinged:
				if e, ok := pong(err); !ok {
					return e, 0
				}
			default:
			}
			var ok bool
			if polling, e, ok = b.pollText(ctx); !ok {
				return e, 0
			}
			continue
		}
		select {
		case <-ready:
			polling = true
		case e = <-ends:
			return e, 1
		case <-ctx.Done():
			return shutdown, 0
		case <-tick.C:
			ping()
		case err := <-pinged:
			if e, ok := pong(err); !ok {
				return e, 0
			}
		}
	}
}

// what names the bridge in logs.
func (b *bridge) what() string {
	if b.text != nil {
		return "terminal websocket"
	}
	return "kernel websocket"
}

func (b *bridge) protocolName() string {
	if b.text != nil {
		return "terminado"
	}
	if b.v1 {
		return "v1"
	}
	return "legacy"
}

// readMessage reads one client message whole, up to MaxMessageSize; end says
// how the pump stops when the read fails or the message is too big.
func (b *bridge) readMessage(rctx context.Context) (websocket.MessageType, []byte, *ending) {
	typ, rd, err := b.ws.Reader(rctx)
	if err != nil {
		e := b.readEnding(err)
		return 0, nil, &e
	}
	data, err := io.ReadAll(io.LimitReader(rd, b.o.MaxMessageSize+1))
	if err != nil {
		e := b.readEnding(err)
		return 0, nil, &e
	}
	if int64(len(data)) > b.o.MaxMessageSize {
		return 0, nil, &ending{
			code:   CodeMessageTooBig,
			reason: fmt.Sprintf("message larger than %d bytes", b.o.MaxMessageSize),
			err:    fmt.Errorf("client message larger than %d bytes", b.o.MaxMessageSize),
		}
	}
	return typ, data, nil
}

// readClient decodes client frames and sends them to the kernel. Malformed frames and
// kernel-side send errors drop one message; only a read error ends the pump.
func (b *bridge) readClient(ctx context.Context) ending {
	// Reads run on a context that is never cancelled: cancelling it would drop the
	// connection before the close frame goes out. Closing the socket ends the read.
	rctx := context.WithoutCancel(ctx)
	for {
		typ, data, end := b.readMessage(rctx)
		if end != nil {
			return *end
		}
		channel, m, err := b.decode(typ, data)
		if err != nil {
			b.o.Log.Warn("kernel websocket: dropped a malformed client message", "err", err, "bytes", len(data))
			continue
		}
		if channel == IOPub {
			b.o.Log.Warn("kernel websocket: dropped a client message on iopub", "msg_type", m.Type())
			continue
		}
		b.o.Meter.Forwarded(FromClient, channel, len(data))
		if err := b.kernel.Send(channel, m); err != nil {
			b.o.Log.Warn("kernel websocket: dropped a client message", "channel", channel, "msg_type", m.Type(), "err", err)
		}
	}
}

func (b *bridge) decode(typ websocket.MessageType, data []byte) (string, *wire.Message, error) {
	switch {
	case b.v1 && typ == websocket.MessageBinary:
		return DecodeV1(data)
	case b.v1:
		return "", nil, errors.New("text frame on the v1 protocol")
	case typ == websocket.MessageBinary:
		return DecodeLegacyBinary(data)
	default:
		return DecodeLegacyText(data)
	}
}

// shorten cuts a close reason to the 123 bytes a close frame holds, on a rune
// boundary.
func shorten(reason string) string {
	const limit = 123
	if len(reason) <= limit {
		return reason
	}
	i := limit
	for i > 0 && !utf8.RuneStart(reason[i]) {
		i--
	}
	return reason[:i]
}

// readEnding turns a read error into an ending. A close frame from the client or a
// dropped connection is a normal end; so the request context ending (net/http also
// cancels it when the connection drops) and a read failing come to the same thing.
func (b *bridge) readEnding(err error) ending {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return ending{code: CodeMessageTooBig, reason: "message too big", err: fmt.Errorf("read client: %w", err)}
	}
	if code := websocket.CloseStatus(err); code != -1 {
		return ending{reason: fmt.Sprintf("client closed with %d", code)}
	}
	b.o.Log.Debug(b.what()+": client connection lost", "err", err)
	return ending{reason: "client gone"}
}

// farEnding turns the error of the far side (what: "kernel" or
// "terminal") into an ending: its *CloseError's code, a restart code when
// the server shuts down, else a restart code for the lost connection.
func farEnding(ctx context.Context, what string, err error) ending {
	var ce *CloseError
	switch {
	case errors.As(err, &ce):
		return ending{code: websocket.StatusCode(ce.Code), reason: shorten(ce.Reason)}
	case ctx.Err() != nil:
		return ending{code: CodeServiceRestart, reason: "server shutting down"}
	default:
		return ending{code: CodeServiceRestart, reason: what + " connection ended", err: fmt.Errorf("%s: %w", what, err)}
	}
}

// writeClient is the only writer of data frames, so kernel messages reach the client
// in the order Recv returns them.
func (b *bridge) writeClient(ctx context.Context) ending {
	for {
		channel, m, err := b.kernel.Recv(ctx)
		if err != nil {
			return farEnding(ctx, "kernel", err)
		}
		typ, data, ok := b.encode(channel, m)
		if !ok {
			b.o.Log.Warn("kernel websocket: dropped a kernel message too large for the legacy protocol", "channel", channel, "msg_type", m.Type())
			continue
		}
		// Like reads, a write must not be cut short by ctx (that would drop the
		// connection mid-frame); it has its own timeout.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.WriteTimeout)
		err = b.ws.Write(wctx, typ, data)
		cancel()
		if err != nil {
			return b.ioEnding(ctx, "write client", err)
		}
		b.o.Meter.Forwarded(ToClient, channel, len(data))
	}
}

func (b *bridge) encode(channel string, m *wire.Message) (websocket.MessageType, []byte, bool) {
	if b.v1 {
		return websocket.MessageBinary, EncodeV1(channel, m), true
	}
	if !legacyFits(m) {
		return 0, nil, false
	}
	data, bin := EncodeLegacy(channel, m)
	if bin {
		return websocket.MessageBinary, data, true
	}
	return websocket.MessageText, data, true
}

// legacyFits reports whether m's legacy binary frame surely stays within 32-bit
// offsets. It over-counts: msg_id and msg_type are copied from the header, and JSON
// escaping can grow them sixfold.
func legacyFits(m *wire.Message) bool {
	size := uint64(4*(2+len(m.Buffers)) + 256)
	size += 13*uint64(len(m.Header)) + uint64(len(m.ParentHeader)) + uint64(len(m.Metadata)) + uint64(len(m.Content))
	for _, buf := range m.Buffers {
		size += uint64(len(buf))
	}
	return size <= math.MaxUint32
}

// ioEnding reports a failed write or ping: a timeout is an error; a failure once the
// bridge is stopping is the socket being closed under it.
func (b *bridge) ioEnding(ctx context.Context, what string, err error) ending {
	if ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
		return ending{reason: "closing"}
	}
	return ending{err: fmt.Errorf("%s: %w", what, err)}
}
