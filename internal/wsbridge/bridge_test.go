package wsbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeKernel is a KernelConn made of per-test functions.
type fakeKernel struct {
	send  func(channel string, m *wire.Message) error
	recv  func(ctx context.Context) (string, *wire.Message, error)
	close func()
}

func (k *fakeKernel) Send(channel string, m *wire.Message) error { return k.send(channel, m) }
func (k *fakeKernel) Recv(ctx context.Context) (string, *wire.Message, error) {
	return k.recv(ctx)
}
func (k *fakeKernel) Close() { k.close() }

type envelope struct {
	channel string
	m       *wire.Message
	err     error
}

// harness runs Serve behind an httptest.Server for one connection, with a fake kernel
// fed and drained through channels.
type harness struct {
	url        string
	toKernel   chan envelope // what the bridge sent to the kernel
	fromKernel chan envelope // what Recv returns next
	closed     chan struct{} // closed by KernelConn.Close
	served     chan error    // Serve's result
	stop       context.CancelFunc
}

func start(t *testing.T, o wsbridge.Options) *harness {
	t.Helper()
	h := &harness{
		toKernel:   make(chan envelope, 16),
		fromKernel: make(chan envelope),
		closed:     make(chan struct{}),
		served:     make(chan error, 1),
	}
	stopCtx, stop := context.WithCancel(context.Background())
	h.stop = stop
	closes := 0
	k := &fakeKernel{
		send: func(ch string, m *wire.Message) error {
			h.toKernel <- envelope{channel: ch, m: m}
			return nil
		},
		recv: func(ctx context.Context) (string, *wire.Message, error) {
			select {
			case e := <-h.fromKernel:
				return e.channel, e.m, e.err
			case <-ctx.Done():
				return "", nil, ctx.Err()
			case <-h.closed:
				return "", nil, errors.New("closed")
			}
		},
		close: func() {
			closes++
			if closes > 1 {
				t.Error("KernelConn.Close called twice")
				return
			}
			close(h.closed)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(stopCtx, cancel)()
		h.served <- wsbridge.Serve(w, r.WithContext(ctx), k, o)
	}))
	t.Cleanup(func() {
		stop()
		srv.Close()
	})
	h.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/kernels/k1/channels?session_id=s1"
	return h
}

func (h *harness) dial(t *testing.T, protocols ...string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, h.url, &websocket.DialOptions{Subprotocols: protocols})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(-1)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func (h *harness) nextToKernel(t *testing.T) envelope {
	t.Helper()
	select {
	case e := <-h.toKernel:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no message reached the kernel")
		return envelope{}
	}
}

func (h *harness) waitClosed(t *testing.T) error {
	t.Helper()
	select {
	case <-h.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("KernelConn.Close not called")
	}
	select {
	case err := <-h.served:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestServeNegotiation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		protocol string
		offer    []string
		want     string
	}{
		{"v1 offered", "", []string{wsbridge.Subprotocol}, wsbridge.Subprotocol},
		{"v1 among others", "", []string{"x.example", wsbridge.Subprotocol}, wsbridge.Subprotocol},
		{"nothing offered", "", nil, ""},
		{"other offered", "", []string{"x.example"}, ""},
		{"legacy forced", "legacy", []string{wsbridge.Subprotocol}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, wsbridge.Options{Protocol: tc.protocol})
			c := h.dial(t, tc.offer...)
			if got := c.Subprotocol(); got != tc.want {
				t.Errorf("subprotocol %q, want %q", got, tc.want)
			}
			c.Close(websocket.StatusNormalClosure, "")
			if err := h.waitClosed(t); err != nil {
				t.Errorf("Serve after a client close: %v", err)
			}
		})
	}
}

// Messages cross both ways in each framing, with and without buffers, parts intact.
func TestServeMessages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offer   []string
		bufs    []string
		encode  func(ch string, m *wire.Message) (websocket.MessageType, []byte)
		decode  func(websocket.MessageType, []byte) (string, *wire.Message, error)
		wantTyp websocket.MessageType
	}{
		{"v1", []string{wsbridge.Subprotocol}, nil, encodeV1, decodeV1, websocket.MessageBinary},
		{"v1 buffers", []string{wsbridge.Subprotocol}, []string{"\x00\xff", "", "abc"}, encodeV1, decodeV1, websocket.MessageBinary},
		{"legacy text", nil, nil, encodeLegacy, decodeLegacy, websocket.MessageText},
		{"legacy binary", nil, []string{"\x00\xff", "abc"}, encodeLegacy, decodeLegacy, websocket.MessageBinary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, wsbridge.Options{})
			c := h.dial(t, tc.offer...)
			ctx := testCtx(t)

			// client → kernel
			in := testMessage(tc.bufs...)
			typ, data := tc.encode("control", in)
			if err := c.Write(ctx, typ, data); err != nil {
				t.Fatal(err)
			}
			got := h.nextToKernel(t)
			if got.channel != "control" {
				t.Errorf("kernel got channel %q, want control", got.channel)
			}
			if diff := cmp.Diff(in, got.m, equateEmpty); diff != "" {
				t.Errorf("kernel got (-want +got):\n%s", diff)
			}

			// kernel → client
			out := testMessage(tc.bufs...)
			out.Content = json.RawMessage(`{"name":"stdout", "text":"hi\n"}`)
			out.Identities = [][]byte{[]byte("topic")}
			h.fromKernel <- envelope{channel: "iopub", m: out}
			typ, data, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if typ != tc.wantTyp {
				t.Errorf("client got frame type %v, want %v", typ, tc.wantTyp)
			}
			ch, m, err := tc.decode(typ, data)
			if err != nil {
				t.Fatalf("client frame does not decode: %v", err)
			}
			out.Identities = nil
			if ch != "iopub" {
				t.Errorf("client got channel %q, want iopub", ch)
			}
			if diff := cmp.Diff(out, m, equateEmpty); diff != "" {
				t.Errorf("client got (-want +got):\n%s", diff)
			}

			c.Close(websocket.StatusNormalClosure, "")
			if err := h.waitClosed(t); err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}

func encodeV1(ch string, m *wire.Message) (websocket.MessageType, []byte) {
	return websocket.MessageBinary, wsbridge.EncodeV1(ch, m)
}

func decodeV1(_ websocket.MessageType, data []byte) (string, *wire.Message, error) {
	return wsbridge.DecodeV1(data)
}

func encodeLegacy(ch string, m *wire.Message) (websocket.MessageType, []byte) {
	data, bin := wsbridge.EncodeLegacy(ch, m)
	if bin {
		return websocket.MessageBinary, data
	}
	return websocket.MessageText, data
}

func decodeLegacy(typ websocket.MessageType, data []byte) (string, *wire.Message, error) {
	if typ == websocket.MessageBinary {
		return wsbridge.DecodeLegacyBinary(data)
	}
	return wsbridge.DecodeLegacyText(data)
}

// Malformed frames, unknown channels and client iopub messages are dropped; the
// connection stays up.
func TestServeDropsBadFrames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		offer []string
		bad   []struct {
			typ  websocket.MessageType
			data []byte
		}
		good func() (websocket.MessageType, []byte)
	}{
		{
			name:  "v1",
			offer: []string{wsbridge.Subprotocol},
			bad: []struct {
				typ  websocket.MessageType
				data []byte
			}{
				{websocket.MessageBinary, []byte("garbage")},
				{websocket.MessageText, []byte(`{"channel":"shell","header":{}}`)},
				{websocket.MessageBinary, v1Frame("hb", "{}", "{}", "{}", "{}")},
				{websocket.MessageBinary, wsbridge.EncodeV1("iopub", testMessage())},
			},
			good: func() (websocket.MessageType, []byte) { return encodeV1("shell", testMessage()) },
		},
		{
			name: "legacy",
			bad: []struct {
				typ  websocket.MessageType
				data []byte
			}{
				{websocket.MessageText, []byte("not json")},
				{websocket.MessageText, []byte(`{"channel":"hb","header":{}}`)},
				{websocket.MessageBinary, []byte{0, 0, 0, 9}},
				{websocket.MessageText, []byte(`{"channel":"iopub","header":{}}`)},
			},
			good: func() (websocket.MessageType, []byte) { return encodeLegacy("shell", testMessage()) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, wsbridge.Options{})
			c := h.dial(t, tc.offer...)
			ctx := testCtx(t)
			for _, b := range tc.bad {
				if err := c.Write(ctx, b.typ, b.data); err != nil {
					t.Fatal(err)
				}
			}
			typ, data := tc.good()
			if err := c.Write(ctx, typ, data); err != nil {
				t.Fatal(err)
			}
			got := h.nextToKernel(t)
			if got.channel != "shell" || string(got.m.Header) != testHeader {
				t.Errorf("kernel got %q %s, want the good shell message", got.channel, got.m.Header)
			}
			c.Close(websocket.StatusNormalClosure, "")
			h.waitClosed(t)
			if len(h.toKernel) != 0 {
				t.Errorf("%d more messages reached the kernel", len(h.toKernel))
			}
		})
	}
}

func TestServeMessageTooBig(t *testing.T) {
	h := start(t, wsbridge.Options{MaxMessageSize: 1000})
	c := h.dial(t, wsbridge.Subprotocol)
	ctx := testCtx(t)

	// Exactly the limit passes.
	m := testMessage()
	m.Content = json.RawMessage(`{"code":""}`)
	pad := 1000 - len(wsbridge.EncodeV1("shell", m))
	m.Content = json.RawMessage(`{"code":"` + strings.Repeat("x", pad) + `"}`)
	frame := wsbridge.EncodeV1("shell", m)
	if len(frame) != 1000 {
		t.Fatalf("test frame is %d bytes", len(frame))
	}
	if err := c.Write(ctx, websocket.MessageBinary, frame); err != nil {
		t.Fatal(err)
	}
	h.nextToKernel(t)

	// One byte more closes with 1009.
	m.Content = json.RawMessage(string(m.Content[:len(m.Content)-2]) + `x"}`)
	if err := c.Write(ctx, websocket.MessageBinary, wsbridge.EncodeV1("shell", m)); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusMessageTooBig {
		t.Fatalf("client read: %v, want close 1009", err)
	}
	if !strings.Contains(ce.Reason, "1000 bytes") {
		t.Errorf("close reason %q does not name the limit", ce.Reason)
	}
	if err := h.waitClosed(t); err == nil {
		t.Error("Serve returned nil after an oversize message")
	}
}

// When the kernel side ends, the client is told to reconnect: never 1000 or 1001.
func TestServeKernelEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		stop   bool
		code   websocket.StatusCode
		reason string
	}{
		{"recv error", errors.New("kernel restarted"), false, wsbridge.CodeServiceRestart, "kernel connection ended"},
		{"close error", &wsbridge.CloseError{Code: wsbridge.CodeSessionReplaced, Reason: "replaced by a newer connection"}, false, wsbridge.CodeSessionReplaced, "replaced by a newer connection"},
		{"wrapped close error", errors.Join(errors.New("x"), &wsbridge.CloseError{Code: 4002, Reason: "r"}), false, 4002, "r"},
		{"long reason", &wsbridge.CloseError{Code: 4003, Reason: strings.Repeat("é", 70)}, false, 4003, strings.Repeat("é", 61)},
		{"server stops", nil, true, wsbridge.CodeServiceRestart, "server shutting down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, wsbridge.Options{})
			c := h.dial(t)
			ctx := testCtx(t)
			if tc.stop {
				h.stop()
			} else {
				h.fromKernel <- envelope{err: tc.err}
			}
			_, _, err := c.Read(ctx)
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("client read: %v, want a close", err)
			}
			if ce.Code != tc.code || ce.Reason != tc.reason {
				t.Errorf("close %d %q, want %d %q", ce.Code, ce.Reason, tc.code, tc.reason)
			}
			if ce.Code == websocket.StatusNormalClosure || ce.Code == websocket.StatusGoingAway {
				t.Errorf("close code %d stops JupyterLab from reconnecting", ce.Code)
			}
			h.waitClosed(t)
		})
	}
}

func TestServeClientGone(t *testing.T) {
	h := start(t, wsbridge.Options{})
	c := h.dial(t)
	c.CloseNow() // no close handshake
	if err := h.waitClosed(t); err != nil {
		t.Errorf("Serve after the client dropped: %v", err)
	}
}

// A client that stops answering pings is dropped after two intervals.
func TestServePingTimeout(t *testing.T) {
	h := start(t, wsbridge.Options{PingInterval: 20 * time.Millisecond})
	h.dial(t) // never reads, so never answers a ping
	if err := h.waitClosed(t); err == nil || !strings.Contains(err.Error(), "ping") {
		t.Errorf("Serve: %v, want a ping error", err)
	}
}

// A client that answers pings stays connected, here through 10 pings
// (two unanswered intervals would end it).
func TestServePingAnswered(t *testing.T) {
	h := start(t, wsbridge.Options{PingInterval: 10 * time.Millisecond})
	pings := make(chan struct{}, 100)
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, h.url, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			select {
			case pings <- struct{}{}:
			default:
			}
			return true // answer it
		},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ctx := c.CloseRead(context.Background()) // reads, so answers pings
	for i := range 10 {
		select {
		case <-pings:
		case <-h.closed:
			t.Fatalf("bridge ended after %d pings while the client answered them", i)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d pings in 5 s; the interval is 10 ms", i)
		}
	}
	select {
	case <-h.closed:
		t.Fatal("bridge ended while the client answered pings")
	case <-ctx.Done():
		t.Fatal("client connection ended")
	default:
	}
	c.Close(websocket.StatusNormalClosure, "")
	h.waitClosed(t)
}

// A client that reads nothing stalls writes; the write timeout ends the bridge.
func TestServeWriteTimeout(t *testing.T) {
	h := start(t, wsbridge.Options{WriteTimeout: 100 * time.Millisecond, PingInterval: time.Hour})
	h.dial(t)
	big := testMessage(strings.Repeat("x", 1<<20))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case h.fromKernel <- envelope{channel: "iopub", m: big}:
			case <-h.closed:
				return
			}
		}
	}()
	err := h.waitClosed(t)
	<-done
	if err == nil || !strings.Contains(err.Error(), "write") {
		t.Errorf("Serve: %v, want a write error", err)
	}
}

// meter records what a bridge tells its Meter.
type meter struct {
	mu     sync.Mutex
	events []string
}

func (m *meter) Connected(kind string, delta int) { m.add(fmt.Sprintf("%s %+d", kind, delta)) }
func (m *meter) Forwarded(dir, ch string, n int)  { m.add(fmt.Sprintf("%s %s %d", dir, ch, n)) }
func (m *meter) add(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, s)
}

// TestServeMeter: the bridge counts itself open and closed and each
// message passed on, with its channel and framed size.
func TestServeMeter(t *testing.T) {
	m := &meter{}
	h := start(t, wsbridge.Options{Meter: m})
	c := h.dial(t, wsbridge.Subprotocol)
	ctx := testCtx(t)
	typ, in := encodeV1("shell", testMessage())
	if err := c.Write(ctx, typ, in); err != nil {
		t.Fatal(err)
	}
	h.nextToKernel(t)
	h.fromKernel <- envelope{channel: "iopub", m: testMessage("abc")}
	_, out, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if err := h.waitClosed(t); err != nil {
		t.Errorf("Serve: %v", err)
	}
	want := []string{"kernel +1", fmt.Sprintf("in shell %d", len(in)), fmt.Sprintf("out iopub %d", len(out)), "kernel -1"}
	m.mu.Lock()
	defer m.mu.Unlock()
	if diff := cmp.Diff(want, m.events); diff != "" {
		t.Errorf("meter (-want +got):\n%s", diff)
	}
}
