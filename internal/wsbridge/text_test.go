package wsbridge_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/wsbridge"
)

// fakeText is a TextConn fed and drained through channels.
type fakeText struct {
	handled chan string
	next    chan []byte
	end     chan error // Next returns this error
	once    sync.Once
	closed  chan struct{}
}

func (f *fakeText) Handle(msg []byte) error {
	if string(msg) == "bad" {
		return errors.New("bad message")
	}
	f.handled <- string(msg)
	return nil
}

func (f *fakeText) Next(ctx context.Context) ([]byte, error) {
	select {
	case m := <-f.next:
		return m, nil
	case err := <-f.end:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *fakeText) Close() { f.once.Do(func() { close(f.closed) }) }

// pollText is fakeText as a TextPoller too: what the test sends on next and
// end is moved to a queue that TryNext pops, and ready is signalled.
type pollText struct {
	*fakeText
	ready chan struct{}
	mu    sync.Mutex
	queue [][]byte
	err   error
}

func newPollText(f *fakeText) *pollText {
	p := &pollText{fakeText: f, ready: make(chan struct{}, 1)}
	go func() {
		for {
			select {
			case m := <-f.next:
				p.mu.Lock()
				p.queue = append(p.queue, m)
				p.mu.Unlock()
			case err := <-f.end:
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			case <-f.closed:
				return
			}
			select {
			case p.ready <- struct{}{}:
			default:
			}
		}
	}()
	return p
}

func (p *pollText) Ready() <-chan struct{} { return p.ready }

func (p *pollText) TryNext() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) > 0 {
		m := p.queue[0]
		p.queue = p.queue[1:]
		return m, nil
	}
	return nil, p.err
}

func (p *pollText) Next(context.Context) ([]byte, error) {
	panic("ServeText called Next on a TextPoller")
}

func TestServeText(t *testing.T) {
	for _, poller := range []bool{false, true} {
		t.Run(map[bool]string{false: "write pump", true: "poller"}[poller], func(t *testing.T) { testServeText(t, poller) })
	}
}

// A text client that stops answering pings is dropped after two intervals,
// with or without a write pump.
func TestServeTextPingTimeout(t *testing.T) {
	for _, poller := range []bool{false, true} {
		f := &fakeText{handled: make(chan string, 4), next: make(chan []byte), end: make(chan error, 1), closed: make(chan struct{})}
		var conn wsbridge.TextConn = f
		if poller {
			conn = newPollText(f)
		}
		served := make(chan error, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served <- wsbridge.ServeText(w, r, conn, wsbridge.Options{PingInterval: 20 * time.Millisecond})
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		select { // never reads, so never answers a ping
		case err := <-served:
			if err == nil || !strings.Contains(err.Error(), "ping") {
				t.Errorf("poller %v: ServeText: %v, want a ping error", poller, err)
			}
		case <-ctx.Done():
			t.Errorf("poller %v: still served after 10 s without a pong", poller)
		}
		c.CloseNow()
		cancel()
		srv.Close()
	}
}

func testServeText(t *testing.T, poller bool) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, c *websocket.Conn, f *fakeText)
		code websocket.StatusCode // how the client sees the socket end
	}{
		{"relays both ways; bad and binary messages dropped", func(t *testing.T, c *websocket.Conn, f *fakeText) {
			ctx := context.Background()
			for _, m := range []struct {
				typ  websocket.MessageType
				data string
			}{{websocket.MessageText, "bad"}, {websocket.MessageBinary, "bin"}, {websocket.MessageText, `["stdin","x"]`}} {
				if err := c.Write(ctx, m.typ, []byte(m.data)); err != nil {
					t.Fatal(err)
				}
			}
			if got := <-f.handled; got != `["stdin","x"]` {
				t.Errorf("handled %q", got)
			}
			f.next <- []byte(`["stdout","hi"]`)
			typ, data, err := c.Read(ctx)
			if err != nil || typ != websocket.MessageText || string(data) != `["stdout","hi"]` {
				t.Errorf("read %v %q %v", typ, data, err)
			}
			f.end <- &wsbridge.CloseError{Code: 1000, Reason: "terminal ended"}
		}, websocket.StatusNormalClosure},
		{"far side ends with a plain error: reconnect", func(t *testing.T, c *websocket.Conn, f *fakeText) {
			f.end <- errors.New("gone")
		}, wsbridge.CodeServiceRestart},
		{"oversize message", func(t *testing.T, c *websocket.Conn, f *fakeText) {
			_ = c.Write(context.Background(), websocket.MessageText, []byte(strings.Repeat("x", 65)))
		}, wsbridge.CodeMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeText{handled: make(chan string, 4), next: make(chan []byte), end: make(chan error, 1), closed: make(chan struct{})}
			var conn wsbridge.TextConn = f
			if poller {
				conn = newPollText(f)
			}
			served := make(chan error, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				served <- wsbridge.ServeText(w, r, conn, wsbridge.Options{MaxMessageSize: 64, PingInterval: time.Minute})
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			tc.run(t, c, f)
			_, _, err = c.Read(ctx)
			if got := websocket.CloseStatus(err); got != tc.code {
				t.Errorf("socket ended with %v (%d); want %d", err, got, tc.code)
			}
			<-served
			select {
			case <-f.closed:
			default:
				t.Error("ServeText returned without closing the far side")
			}
		})
	}
}

// endless is a TextPoller whose output never pauses.
type endless struct{ ready chan struct{} }

func (endless) Handle([]byte) error                  { return nil }
func (endless) Next(context.Context) ([]byte, error) { panic("Next on a TextPoller") }
func (endless) Close()                               {}
func (p endless) Ready() <-chan struct{}             { return p.ready }
func (endless) TryNext() ([]byte, error)             { return []byte(`["stdout","y\r\n"]`), nil }

// The handler writing the output itself still pings while the output
// never pauses.
func TestServeTextPingsWhileStreaming(t *testing.T) {
	p := endless{ready: make(chan struct{}, 1)}
	p.ready <- struct{}{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = wsbridge.ServeText(w, r, p, wsbridge.Options{PingInterval: 10 * time.Millisecond})
	}))
	defer srv.Close()
	pings := make(chan struct{}, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			select {
			case pings <- struct{}{}:
			default:
			}
			return true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	go func() { // reads the stream, and so answers pings
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	for i := range 3 {
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatalf("%d pings in 10 s of streaming; the interval is 10 ms", i)
		}
	}
}

// offerText is a TextPoller that takes the bridge's offer (TextOfferer) and
// produces as a terminal does: a message is offered when nothing is queued,
// and queued, with Ready signalled, when the offer is refused.
type offerText struct {
	ready chan struct{}
	set   chan bool // one value per SetOffer: whether it gave an offer
	offer atomic.Pointer[func([]byte) bool]
	mu    sync.Mutex
	queue [][]byte
}

func (*offerText) Handle([]byte) error                  { return nil }
func (*offerText) Next(context.Context) ([]byte, error) { panic("Next on a TextPoller") }
func (*offerText) Close()                               {}
func (p *offerText) Ready() <-chan struct{}             { return p.ready }

func (p *offerText) TryNext() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return nil, nil
	}
	m := p.queue[0]
	p.queue = p.queue[1:]
	return m, nil
}

func (p *offerText) SetOffer(f func([]byte) bool) {
	if f == nil {
		p.offer.Store(nil)
	} else {
		p.offer.Store(&f)
	}
	p.set <- f != nil
}

// produce offers msg, or queues it; it reports whether msg was offered.
func (p *offerText) produce(msg []byte) bool {
	p.mu.Lock()
	empty := len(p.queue) == 0
	p.mu.Unlock()
	if f := p.offer.Load(); f != nil && empty && (*f)(msg) {
		return true
	}
	p.mu.Lock()
	p.queue = append(p.queue, msg)
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
	return false
}

// A producer offering output to a client that has stopped reading is never
// held up: once the connection's send queue is not empty the offers are
// refused, and everything, offered or queued, reaches the client in order
// when it reads again. Messages over the offer limit go the queued way.
func TestServeTextOffer(t *testing.T) {
	t.Run("TCP", func(t *testing.T) { testServeTextOffer(t, false) })
	t.Run("TLS", func(t *testing.T) { testServeTextOffer(t, true) })
}

func testServeTextOffer(t *testing.T, useTLS bool) {
	p := &offerText{ready: make(chan struct{}, 1), set: make(chan bool, 2)}
	served := make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- wsbridge.ServeText(w, r, p, wsbridge.Options{PingInterval: time.Hour})
	}))
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	if !<-p.set {
		t.Fatal("ServeText's first SetOffer gave no offer")
	}

	read := func(want []byte) {
		t.Helper()
		typ, data, err := c.Read(ctx)
		if err != nil || typ != websocket.MessageText || string(data) != string(want) {
			t.Fatalf("read %v %.40q %v; want %.40q", typ, data, err, want)
		}
	}
	// Offered once what the handshake sent has been acknowledged.
	small := []byte(`["stdout","a"]`)
	waitOffered := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !p.produce(small) {
			read(small)
			if time.Now().After(deadline) {
				t.Fatal("offers still refused after the client read everything")
			}
			time.Sleep(10 * time.Millisecond)
		}
		read(small)
	}
	waitOffered()

	// The client reads nothing now.
	msg := func(i int) []byte {
		return fmt.Appendf(nil, `["stdout","%06d%s"]`, i, strings.Repeat("x", 1000))
	}
	var sent, offered, refusedInARow int
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		for ; sent < 20000 && refusedInARow < 100; sent++ {
			if p.produce(msg(sent)) {
				offered++
				refusedInARow = 0
			} else {
				refusedInARow++
			}
		}
	}()
	select {
	case <-produced:
	case <-ctx.Done():
		t.Fatal("the producer was held up by a client that does not read")
	}
	// How many go out as offers before the queue fills depends on when the
	// client's acknowledgements arrive; that offers stop is what counts.
	if refusedInARow < 100 {
		t.Fatalf("%d of %d messages offered, the last %d refused; want offers refused once the client stopped reading", offered, sent, refusedInARow)
	}
	t.Logf("%d of %d messages offered before the offers were refused", offered, sent)

	for i := range sent {
		read(msg(i))
	}
	// Nothing is queued now and the send queue has drained: a small message is
	// offered again, one over the limit is not.
	waitOffered()
	big := fmt.Appendf(nil, `["stdout","%s"]`, strings.Repeat("b", 4<<10))
	if p.produce(big) {
		t.Error("a 4 KiB message was offered")
	}
	read(big)

	c.CloseNow()
	<-served
	if <-p.set {
		t.Error("ServeText returned without taking its offer back")
	}
	if f := p.offer.Load(); f != nil && (*f)(small) {
		t.Error("an offer after the connection closed wrote")
	}
}
