package wsbridge

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

// TextConn is one client's connection to a source of text messages (a terminal,
// whose protocol, terminado's JSON arrays, the far side speaks).
type TextConn interface {
	// Handle takes one client text message. An error drops the message (it is
	// logged); it does not end the bridge.
	Handle(msg []byte) error
	// Next returns the next message for the client. Its error ends the bridge; a
	// *CloseError chooses the close code. Next returns when ctx ends.
	Next(ctx context.Context) ([]byte, error)
	// Close ends the connection. ServeText always calls it once before it returns.
	Close()
}

// TextPoller, implemented beside TextConn, lets ServeText write conn's messages
// from the handler goroutine that already waits on the read pump and the ping
// timer, instead of a write pump parked in Next: one goroutine (and its stack)
// fewer for every connection. Next is then not called.
type TextPoller interface {
	// Ready receives a value whenever TryNext may have a message or an error (a
	// channel of capacity 1 that a producer fills without blocking).
	Ready() <-chan struct{}
	// TryNext returns the next message without waiting, or nil and nil when
	// there is none now; its errors are Next's.
	TryNext() ([]byte, error)
}

// TextOfferer, implemented beside TextPoller, lets the producer give a message
// straight to the WebSocket from its own goroutine when that cannot block: a
// keystroke's echo then goes out without first waking the handler goroutine, a
// thread wake-up that is a good part of the round trip on a machine with few cores.
type TextOfferer interface {
	// SetOffer hands the producer offer, or takes it back (nil; ServeText does
	// before it returns). offer(msg) writes msg to the client and reports true, or
	// does nothing and reports false: when another write is under way, when the
	// connection's send queue is not empty (so the write could block), or when msg
	// is larger than offerMax. The producer offers a message only when none of its
	// messages is queued before it, and queues it as usual (waking Ready) when
	// offer reports false. offer never waits for the client.
	SetOffer(offer func(msg []byte) bool)
}

// ServeText upgrades r to a WebSocket and relays text messages between the client and
// conn until either side ends, as Serve does for kernels: the same Options (largest
// client message, pings, write timeout), the same close codes, and when r's context
// ends the client is told to reconnect. Binary client frames are dropped. It calls
// conn.Close once before returning.
func ServeText(w http.ResponseWriter, r *http.Request, conn TextConn, o Options) error {
	o = o.withDefaults()
	hj := &hijackRecorder{ResponseWriter: w}
	c, err := accept(hj, r, nil, o)
	if err != nil {
		conn.Close()
		return fmt.Errorf("terminal websocket: %w", err)
	}
	b := &bridge{ws: c, text: conn, o: o}
	if p, ok := conn.(TextPoller); ok {
		b.poll = p
		b.pumps = []func(context.Context) ending{b.readText}
		if of, ok := conn.(TextOfferer); ok {
			if idle := sendQueueEmpty(hj.conn); idle != nil {
				ctx := r.Context()
				of.SetOffer(func(msg []byte) bool { return b.offer(ctx, idle, msg) })
				defer of.SetOffer(nil)
			}
		}
	} else {
		b.pumps = []func(context.Context) ending{b.readText, b.writeText}
	}
	b.closeConn = conn.Close
	return b.run(r.Context())
}

// readText hands client text messages to the far side; like readClient, only a read
// error or an oversize message ends the pump.
func (b *bridge) readText(ctx context.Context) ending {
	rctx := context.WithoutCancel(ctx) // see readClient
	for {
		typ, data, end := b.readMessage(rctx)
		if end != nil {
			return *end
		}
		if typ != websocket.MessageText {
			b.o.Log.Warn("terminal websocket: dropped a binary client message", "bytes", len(data))
			continue
		}
		b.o.Meter.Forwarded(FromClient, KindTerminal, len(data))
		if err := b.text.Handle(data); err != nil {
			b.o.Log.Warn("terminal websocket: dropped a client message", "err", err, "bytes", len(data))
		}
	}
}

// writeText is the only writer of data frames.
func (b *bridge) writeText(ctx context.Context) ending {
	for {
		msg, err := b.text.Next(ctx)
		if err != nil {
			return farEnding(ctx, "terminal", err)
		}
		if err := b.writeText1(ctx, msg); err != nil {
			return b.ioEnding(ctx, "write client", err)
		}
	}
}

// writeText1 writes one message. Like reads, a write is not cut short by ctx
// (that would drop the connection mid-frame); it has its own timeout.
func (b *bridge) writeText1(ctx context.Context, msg []byte) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.WriteTimeout)
	defer cancel()
	if err := b.ws.Write(wctx, websocket.MessageText, msg); err != nil {
		return err
	}
	b.o.Meter.Forwarded(ToClient, KindTerminal, len(msg))
	return nil
}

// pollText writes b.poll's next message, if it has one, for the handler
// goroutine (ServeText with a TextPoller): one a turn, so that between
// messages the handler still hears a pump's end, shutdown and the ping
// timer. more reports that there may be another; ok is false when the
// bridge ends, and e says how.
func (b *bridge) pollText(ctx context.Context) (more bool, e ending, ok bool) {
	b.wmu.Lock() // a message is taken and written under it, so offers keep the order
	defer b.wmu.Unlock()
	if b.offerErr != nil {
		return false, b.ioEnding(ctx, "write client", b.offerErr), false
	}
	msg, err := b.poll.TryNext()
	if err != nil {
		return false, farEnding(ctx, "terminal", err), false
	}
	if msg == nil {
		return false, ending{}, true
	}
	if err := b.writeText1(ctx, msg); err != nil {
		return false, b.ioEnding(ctx, "write client", err), false
	}
	return true, ending{}, true
}

// offerMax is the largest message offer writes. With the connection's send queue
// empty, a write of it cannot block: the first buffer of a send is always accepted,
// and the kernel's smallest send buffer (4.5 KiB) holds it with the frame's header and
// a TLS record's overhead.
const offerMax = 2 << 10

// offer is TextOfferer's offer. It writes under the writers' lock, taken only if
// free, so the producer never waits for the handler; and only when idle reports
// the connection's send queue empty. A failed write is kept for the handler, which
// ends the bridge with it: offer then reports false, so the producer wakes it.
func (b *bridge) offer(ctx context.Context, idle func() bool, msg []byte) bool {
	if len(msg) > offerMax || !b.wmu.TryLock() {
		return false
	}
	defer b.wmu.Unlock()
	if b.offerErr != nil || !idle() {
		return false
	}
	if err := b.writeText1(ctx, msg); err != nil {
		b.offerErr = err
		return false
	}
	return true
}

// hijackRecorder keeps the connection coder/websocket hijacks, for sendQueueEmpty.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	return c, brw, err
}

func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }
