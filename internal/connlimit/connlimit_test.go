package connlimit_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"quire/internal/connlimit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rig is a Limiter on a real loopback listener; the test plays the HTTP
// server's part, holding the server side of each admitted connection.
type rig struct {
	t        *testing.T
	l        *connlimit.Limiter
	ln       net.Listener
	accepted chan net.Conn
	server   map[string]net.Conn // by the client's local address
	client   map[string]net.Conn // by the test's name for it
	names    map[string]string   // test name → client local address
}

func newRig(t *testing.T, o connlimit.Options, network, addr string) *rig {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, l: connlimit.New(o), accepted: make(chan net.Conn),
		server: map[string]net.Conn{}, client: map[string]net.Conn{}, names: map[string]string{}}
	r.ln = r.l.Listener(ln)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := r.ln.Accept()
			if err != nil {
				return
			}
			r.accepted <- c
		}
	}()
	t.Cleanup(func() {
		r.ln.Close()
		<-done
		for _, c := range r.server {
			c.Close()
		}
		for _, c := range r.client {
			c.Close()
		}
	})
	return r
}

// dial connects from 127.0.0.<from> (0: the listener's network default)
// and reports whether the connection was admitted.
func (r *rig) dial(name string, from int) bool {
	r.t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if from > 0 {
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(from))}
	}
	before := r.l.Counts().Refused
	c, err := d.Dial(r.ln.Addr().Network(), r.ln.Addr().String())
	if err != nil {
		// A refusal is a reset, which may beat the end of the handshake.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if r.l.Counts().Refused > before {
				return false
			}
		}
		r.t.Fatalf("dial %s: %v", name, err)
	}
	r.client[name] = c
	key := c.LocalAddr().String() + "|" + name
	if c.LocalAddr().Network() == "unix" {
		key = name
	}
	r.names[name] = key
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-r.accepted:
			r.server[key] = s
			return true
		case <-time.After(time.Millisecond):
			if r.l.Counts().Refused > before {
				return false
			}
		case <-deadline:
			r.t.Fatalf("dial %s: neither admitted nor refused", name)
		}
	}
}

func (r *rig) serverConn(name string) net.Conn {
	r.t.Helper()
	s, ok := r.server[r.names[name]]
	if !ok {
		r.t.Fatalf("no admitted connection %q", name)
	}
	return s
}

// auth does what the auth middleware does for a request on name's
// connection that passed authentication.
func (r *rig) auth(name string) {
	req := httptest.NewRequest("GET", "/", nil)
	ctx := r.l.ConnContext(context.Background(), r.serverConn(name))
	r.l.Authenticated(req.WithContext(ctx))
}

// closedByServer reports whether the server closed name's connection
// (waiting up to wait for it).
func (r *rig) closedByServer(name string, wait time.Duration) bool {
	c := r.client[name]
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

type step struct {
	op   string // dial, auth, close (server side), evicted, open
	name string
	from int
	want string // for dial: admitted or refused
}

func TestLimiter(t *testing.T) {
	exempt := netip.MustParseAddr("127.0.0.9")
	for _, tc := range []struct {
		name  string
		o     connlimit.Options
		steps []step
		want  connlimit.Counts
	}{
		{
			// Max 16: headroom 2, strangers while fewer than 14 are open.
			name: "total cap and headroom",
			o:    connlimit.Options{Max: 16},
			steps: append(dials("s", 2, 14, "admitted"),
				step{op: "dial", name: "p1", from: 3, want: "admitted"},
				step{op: "dial", name: "p2", from: 4, want: "admitted"},
				step{op: "dial", name: "x", from: 5, want: "refused"},
			),
			want: connlimit.Counts{Total: 16, Strangers: 14, Probation: 2, Refused: 1},
		},
		{
			name: "release on close",
			o:    connlimit.Options{Max: 16, PerClient: 4},
			steps: append(dials("s", 2, 4, "admitted"),
				step{op: "dial", name: "p", from: 2, want: "admitted"},
				step{op: "auth", name: "s1"},
				step{op: "close", name: "s1"}, step{op: "close", name: "s2"}, step{op: "close", name: "s3"},
				step{op: "close", name: "s4"}, step{op: "close", name: "p"},
				step{op: "dial", name: "again", from: 2, want: "admitted"},
			),
			want: connlimit.Counts{Total: 1, Strangers: 1},
		},
		{
			// PerClient 8: the ninth from one address goes on probation
			// (8/8 = 1 per address), the tenth is refused; other
			// addresses are unaffected.
			name: "per-client cap",
			o:    connlimit.Options{Max: 100, PerClient: 8},
			steps: append(dials("a", 2, 8, "admitted"),
				step{op: "dial", name: "a9", from: 2, want: "admitted"},
				step{op: "dial", name: "a10", from: 2, want: "refused"},
				step{op: "dial", name: "b1", from: 3, want: "admitted"},
			),
			want: connlimit.Counts{Total: 10, Strangers: 9, Probation: 1, Refused: 1},
		},
		{
			// Strangers' share full (14 of 16): an address that holds
			// strangers gets no headroom slot; a new address does.
			name: "headroom for addresses holding few connections",
			o:    connlimit.Options{Max: 16, PerClient: 8},
			steps: append(append(dials("a", 2, 7, "admitted"), dials("b", 3, 7, "admitted")...),
				step{op: "dial", name: "a8", from: 2, want: "refused"},
				step{op: "dial", name: "c1", from: 4, want: "admitted"},
				step{op: "dial", name: "c2", from: 4, want: "refused"},
				step{op: "dial", name: "d1", from: 5, want: "admitted"},
			),
			want: connlimit.Counts{Total: 16, Strangers: 14, Probation: 2, Refused: 2},
		},
		{
			name:  "trusted proxy exempt from the per-client cap",
			o:     connlimit.Options{Max: 100, PerClient: 2, Exempt: func(a netip.Addr) bool { return a == exempt }},
			steps: dials("proxied", 9, 6, "admitted"),
			want:  connlimit.Counts{Total: 6, Strangers: 6},
		},
		{
			// A headroom connection that authenticates pushes out the
			// newest stranger, never an older one.
			name: "eviction of the newest stranger",
			o:    connlimit.Options{Max: 16},
			steps: append(dials("s", 2, 14, "admitted"),
				step{op: "dial", name: "p1", from: 3, want: "admitted"},
				step{op: "auth", name: "p1"},
				step{op: "evicted", name: "s14"},
				step{op: "open", name: "s13"},
				step{op: "open", name: "s1"},
			),
			want: connlimit.Counts{Total: 14, Strangers: 13, Authenticated: 1, Evicted: 1},
		},
		{
			// Authenticated connections fill the table: nobody is evicted
			// for a newcomer, which is refused.
			name: "authenticated never evicted",
			o:    connlimit.Options{Max: 16},
			steps: append(append(dials("s", 2, 14, "admitted"), auths("s", 14)...),
				step{op: "dial", name: "p1", from: 3, want: "admitted"},
				step{op: "dial", name: "p2", from: 3, want: "admitted"},
				step{op: "auth", name: "p1"},
				step{op: "dial", name: "x", from: 4, want: "refused"},
				step{op: "open", name: "s14"},
				step{op: "close", name: "p2"},
				step{op: "dial", name: "p3", from: 4, want: "admitted"},
			),
			want: connlimit.Counts{Total: 16, Authenticated: 15, Probation: 1, Refused: 1},
		},
		{
			// A stranger that authenticates leaves the headroom alone.
			name: "stranger authenticates",
			o:    connlimit.Options{Max: 16},
			steps: append(append(dials("s", 2, 14, "admitted"), auths("s", 3)...),
				step{op: "dial", name: "p1", from: 3, want: "admitted"},
				step{op: "open", name: "s14"},
			),
			want: connlimit.Counts{Total: 15, Strangers: 11, Authenticated: 3, Probation: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.o, "tcp4", "127.0.0.1:0")
			for i, s := range tc.steps {
				switch s.op {
				case "dial":
					if got := r.dial(s.name, s.from); got != (s.want == "admitted") {
						t.Fatalf("step %d: dial %s from .%d: admitted = %v, want %s", i, s.name, s.from, got, s.want)
					}
				case "auth":
					r.auth(s.name)
				case "close":
					r.serverConn(s.name).Close()
				case "evicted", "open":
					wait := 200 * time.Millisecond // an open one: nothing comes
					if s.op == "evicted" {
						wait = 5 * time.Second
					}
					if got := r.closedByServer(s.name, wait); got != (s.op == "evicted") {
						t.Fatalf("step %d: %s closed by the server = %v, want %v", i, s.name, got, s.op == "evicted")
					}
				}
			}
			if got := r.l.Counts(); got != tc.want {
				t.Errorf("counts %+v, want %+v", got, tc.want)
			}
		})
	}
}

// dials is n dial steps named prefix1… from 127.0.0.<from>.
func dials(prefix string, from, n int, want string) []step {
	var s []step
	for i := 1; i <= n; i++ {
		s = append(s, step{op: "dial", name: prefix + strconv.Itoa(i), from: from, want: want})
	}
	return s
}

func auths(prefix string, n int) []step {
	var s []step
	for i := 1; i <= n; i++ {
		s = append(s, step{op: "auth", name: prefix + strconv.Itoa(i)})
	}
	return s
}

// Unix-socket peers have no address: only the total cap applies.
func TestUnixSocketHasNoPerClientCap(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	r := newRig(t, connlimit.Options{Max: 16, PerClient: 1}, "unix", sock)
	for i := range 5 {
		if !r.dial("u"+strconv.Itoa(i), 0) {
			t.Fatalf("unix connection %d refused", i)
		}
	}
	if got := r.l.Counts(); got != (connlimit.Counts{Total: 5, Strangers: 5}) {
		t.Errorf("counts %+v", got)
	}
}

// A probation connection's reads end BodyTimeout after it was accepted,
// whatever deadline the server sets, until it authenticates.
func TestProbationReadClamp(t *testing.T) {
	r := newRig(t, connlimit.Options{Max: 16, BodyTimeout: 200 * time.Millisecond}, "tcp4", "127.0.0.1:0")
	for i := range 14 {
		r.dial("s"+strconv.Itoa(i), 2)
	}
	r.dial("p", 3)
	r.dial("q", 3)
	for _, name := range []string{"p", "q"} {
		if err := r.serverConn(name).SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	r.auth("q")
	if err := r.serverConn("q").SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := r.serverConn("p").Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("probation read: %v after %s, want a timeout after about 200ms", err, time.Since(start))
	}
	// q authenticated: its reads wait for data past the clamp.
	go func() {
		time.Sleep(400 * time.Millisecond)
		r.client["q"].Write([]byte("x"))
	}()
	if _, err := io.ReadFull(r.serverConn("q"), make([]byte, 1)); err != nil {
		t.Fatalf("authenticated read: %v", err)
	}
}
