package zmqx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"

	"quire/internal/zmqx"
)

// peer is the far end of one connection, spoken with go-zeromq's ZMTP
// connection directly, as a kernel's libzmq socket would.
type peer struct {
	conn net.Conn
	zc   *zmq4.Conn
}

// serve listens on a free port and, in the background, accepts one
// connection and handshakes as typ. The result arrives on the channel.
func serve(t *testing.T, typ zmq4.SocketType) (string, <-chan *peer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return "tcp://" + l.Addr().String(), accept(t, l, typ)
}

func accept(t *testing.T, l net.Listener, typ zmq4.SocketType) <-chan *peer {
	c := make(chan *peer, 1)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { l.Close() })
	wg.Go(func() {
		defer close(c)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { conn.Close() })
		zc, err := zmq4.Open(conn, null.Security(), typ, zmq4.SocketIdentity("server"), true, nil)
		if err != nil {
			t.Errorf("server handshake: %v", err)
			return
		}
		c <- &peer{conn: conn, zc: zc}
	})
	return c
}

func dial(t *testing.T, kind zmqx.Kind, ep string, id []byte) *zmqx.Socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := zmqx.Dial(ctx, kind, ep, id)
	if err != nil {
		t.Fatalf("Dial(%s, %s): %v", kind, ep, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func frames(ss ...string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(s))
	}
	return out
}

func TestKinds(t *testing.T) {
	big := string(bytes.Repeat([]byte("x"), 200<<10)) // larger than any buffer
	for _, tc := range []struct {
		kind     zmqx.Kind
		peerType zmq4.SocketType
		id       string
		send     [][]byte // what the client sends
		wire     [][]byte // what the peer receives
		reply    [][]byte // what the peer sends
		recv     [][]byte // what the client receives
	}{
		{zmqx.Dealer, zmq4.Router, "session-1",
			frames("<IDS|MSG>", "sig", "{}", big), frames("<IDS|MSG>", "sig", "{}", big),
			frames("a", "", "b"), frames("a", "", "b")},
		{zmqx.Req, zmq4.Rep, "",
			frames("ping"), frames("", "ping"),
			frames("", "pong"), frames("pong")},
		{zmqx.Sub, zmq4.Pub, "",
			nil, frames("\x01"), // the subscription to everything
			frames("topic", "<IDS|MSG>"), frames("topic", "<IDS|MSG>")},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			ep, pc := serve(t, tc.peerType)
			var id []byte
			if tc.id != "" {
				id = []byte(tc.id)
			}
			s := dial(t, tc.kind, ep, id)
			p := <-pc
			if p == nil {
				t.Fatal("no server connection")
			}
			if got := p.zc.Peer.Meta["Identity"]; got != tc.id {
				t.Errorf("peer sees identity %q, want %q", got, tc.id)
			}
			if got := p.zc.Peer.Meta["Socket-Type"]; got != string(must(tc.kind)) {
				t.Errorf("peer sees socket type %q", got)
			}
			if tc.send != nil {
				if err := s.Send(tc.send); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			msg, err := p.zc.RecvMsg()
			if err != nil {
				t.Fatalf("peer RecvMsg: %v", err)
			}
			if !equal(msg.Frames, tc.wire) {
				t.Errorf("peer got %d frames %.40q, want %.40q", len(msg.Frames), msg.Frames, tc.wire)
			}
			if err := p.zc.SendMsg(zmq4.NewMsgFrom(tc.reply...)); err != nil {
				t.Fatalf("peer SendMsg: %v", err)
			}
			got, err := s.Recv()
			if err != nil || !equal(got, tc.recv) {
				t.Errorf("Recv = %q, %v; want %q", got, err, tc.recv)
			}
		})
	}
}

func must(k zmqx.Kind) zmq4.SocketType {
	return map[zmqx.Kind]zmq4.SocketType{zmqx.Dealer: zmq4.Dealer, zmqx.Sub: zmq4.Sub, zmqx.Req: zmq4.Req}[k]
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Concurrent Sends arrive as whole messages, never interleaved.
func TestConcurrentSend(t *testing.T) {
	ep, pc := serve(t, zmq4.Router)
	s := dial(t, zmqx.Dealer, ep, []byte("c"))
	p := <-pc
	const senders, each = 8, 50
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				tag := fmt.Sprintf("%d-%d", g, i)
				body := bytes.Repeat([]byte(tag), 100*(i%5))
				if err := s.Send([][]byte{[]byte(tag), body, []byte(tag)}); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	for range senders * each {
		msg, err := p.zc.RecvMsg()
		if err != nil {
			t.Fatalf("peer RecvMsg: %v", err)
		}
		f := msg.Frames
		if len(f) != 3 || !bytes.Equal(f[0], f[2]) || len(f[1])%len(f[0]) != 0 {
			t.Fatalf("interleaved message: %.60q", f)
		}
	}
	wg.Wait()
}

// Dial keeps trying until the peer listens, as when a kernel is starting.
func TestDialWaitsForListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	var pc <-chan *peer
	wg.Go(func() {
		<-start
		time.Sleep(300 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("relisten: %v", err)
			return
		}
		pc = accept(t, l, zmq4.Router)
	})
	close(start)
	s := dial(t, zmqx.Dealer, "tcp://"+addr, []byte("late"))
	wg.Wait()
	if p := <-pc; p == nil || p.zc.Peer.Meta["Identity"] != "late" {
		t.Fatalf("peer = %v", p)
	}
	s.Close()
}

func TestDialGivesUpWithContext(t *testing.T) {
	// Nobody listens on one; the other accepts TCP but never speaks ZMTP.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent := "tcp://" + l.Addr().String()
	var held []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	})
	defer func() {
		l.Close()
		wg.Wait()
		for _, c := range held {
			c.Close()
		}
	}()
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "tcp://" + l2.Addr().String()
	l2.Close()

	for _, ep := range []string{refused, silent} {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		start := time.Now()
		s, err := zmqx.Dial(ctx, zmqx.Dealer, ep, nil)
		cancel()
		if err == nil {
			s.Close()
			t.Fatalf("Dial(%s) succeeded", ep)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Dial(%s) = %v, want DeadlineExceeded", ep, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Dial(%s) took %v after its deadline", ep, d)
		}
	}
}

func TestDialRejects(t *testing.T) {
	for _, tc := range []struct {
		kind zmqx.Kind
		ep   string
		id   []byte
	}{
		{zmqx.Dealer, "127.0.0.1:5555", nil},
		{zmqx.Dealer, "udp://127.0.0.1:5555", nil},
		{zmqx.Dealer, "tcp://", nil},
		{zmqx.Kind(42), "tcp://127.0.0.1:5555", nil},
		{zmqx.Dealer, "tcp://127.0.0.1:5555", []byte{0, 1}},
		{zmqx.Dealer, "tcp://127.0.0.1:5555", bytes.Repeat([]byte("a"), 256)},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		_, err := zmqx.Dial(ctx, tc.kind, tc.ep, tc.id)
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Dial(%v, %q, %q) = %v, want immediate error", tc.kind, tc.ep, tc.id, err)
		}
		cancel()
	}
}

func TestCloseUnblocksRecv(t *testing.T) {
	ep, pc := serve(t, zmq4.Router)
	s := dial(t, zmqx.Dealer, ep, []byte("c"))
	<-pc
	errc := make(chan error, 1)
	go func() { _, err := s.Recv(); errc <- err }()
	time.Sleep(50 * time.Millisecond) // let Recv block (not needed for correctness)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, zmqx.ErrClosed) {
			t.Errorf("Recv after Close = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := s.Send(frames("x")); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestPeerGoneFailsRecv(t *testing.T) {
	ep, pc := serve(t, zmq4.Router)
	s := dial(t, zmqx.Dealer, ep, []byte("c"))
	p := <-pc
	p.conn.Close()
	_, err := s.Recv()
	if err == nil || errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Recv after peer closed = %v, want a connection error", err)
	}
}

// A peer announcing an impossible frame length fails Recv, not the process.
func TestHugeFrameLength(t *testing.T) {
	ep, pc := serve(t, zmq4.Router)
	s := dial(t, zmqx.Dealer, ep, []byte("c"))
	p := <-pc
	// ZMTP long frame: flag 0x02, then an 8-byte big-endian length.
	if _, err := p.conn.Write([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err == nil {
		t.Fatal("Recv accepted a 2^62-byte frame")
	}
	if _, err := s.Recv(); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Recv after a bad frame = %v, want ErrClosed", err)
	}
}

// zmtp encodes frames as ZMTP 3 data frames, as a peer puts them on the wire.
func zmtp(fs ...[]byte) []byte {
	var b []byte
	for i, f := range fs {
		more := byte(0)
		if i < len(fs)-1 {
			more = 1
		}
		if len(f) < 256 {
			b = append(b, more, byte(len(f)))
		} else {
			b = append(b, more|2, 0, 0, 0, 0, byte(len(f)>>24), byte(len(f)>>16), byte(len(f)>>8), byte(len(f)))
		}
		b = append(b, f...)
	}
	return b
}

// Messages arrive whole however the bytes are split: a burst of many in
// one write (more than a read buffer), and one trickling in, byte by byte
// and in uneven pieces, so that reads find the buffer drained mid-frame
// and wait for more. Over TCP and a Unix socket.
func TestRecvHoweverSplit(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 20<<10)
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			var ep string
			var pc <-chan *peer
			if network == "tcp" {
				ep, pc = serve(t, zmq4.Router)
			} else {
				path := t.TempDir() + "/s"
				l, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				ep, pc = "ipc://"+path, accept(t, l, zmq4.Router)
			}
			s := dial(t, zmqx.Dealer, ep, []byte("c"))
			p := <-pc
			if p == nil {
				t.Fatal("no server connection")
			}

			const n = 1000
			var burst []byte
			for i := range n {
				burst = append(burst, zmtp([]byte(fmt.Sprint("msg-", i)), []byte("{}"))...)
			}
			go func() { _, _ = p.conn.Write(burst) }()
			for i := range n {
				got, err := s.Recv()
				if want := frames(fmt.Sprint("msg-", i), "{}"); err != nil || !equal(got, want) {
					t.Fatalf("message %d of the burst: %q, %v; want %q", i, got, err, want)
				}
			}

			trickle := zmtp([]byte("head"), big, []byte("tail"))
			go func() {
				for i := 0; i < len(trickle); {
					step := 1
					if i >= 16 {
						step = 7001 // uneven pieces of the big frame
					}
					end := min(i+step, len(trickle))
					if _, err := p.conn.Write(trickle[i:end]); err != nil {
						return
					}
					i = end
					time.Sleep(time.Millisecond)
				}
			}()
			got, err := s.Recv()
			if want := [][]byte{[]byte("head"), big, []byte("tail")}; err != nil || !equal(got, want) {
				t.Fatalf("trickled message: %d frames, %v", len(got), err)
			}
		})
	}
}
