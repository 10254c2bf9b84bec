// Package connlimit bounds what clients without credentials can hold: open
// connections, in total and per client address, and the time a request body
// may take to arrive.
//
// Connections are counted from Accept to Close (keep-alive idle ones and
// hijacked WebSockets included) in three states:
//
//   - a stranger has not yet sent a request that passed authentication;
//   - a probation connection arrived while strangers filled their share and
//     took a headroom slot: its first request must authenticate, or it is
//     answered 503 and closed, and that request must arrive within the body
//     timeout of the accept;
//   - an authenticated connection has carried a request that passed
//     authentication (the auth middleware reports it through Authenticated).
//
// Admission, decided at Accept in this order: with Max connections open the
// newcomer is refused. Strangers may use only Max − headroom slots (headroom
// = Max/8, at least 1) and PerClient per client address; a newcomer past
// either share takes a headroom slot on probation, at most PerClient/8 (at
// least 1) per address, or is refused. While the strangers' share is full,
// only an address holding fewer than PerClient/8 unauthenticated
// connections gets a headroom slot, so addresses that already hold
// strangers (an attack's) cannot fill the headroom with their churn. A probation connection that
// authenticates while the headroom is in use pushes out the newest
// stranger, so the headroom stays free for the next authenticated client.
// Authenticated connections are never closed to make room. Refused
// connections are closed at once, unread.
//
// Peers for which Exempt reports true (trusted reverse proxies, behind which
// every user shares one address) and Unix-socket peers have no per-client
// cap; the total cap applies to all.
//
// Wiring (internal/app): Listener wraps the listening socket (beneath TLS,
// so a refused connection costs no handshake); ConnContext is the
// http.Server's; Handler is the outermost layer of the handler chain and
// Gate sits right inside the authentication middleware, which calls
// Authenticated for every request that passes it.
package connlimit

import (
	"container/list"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure New. Zero values mean "no bound".
type Options struct {
	// Max bounds the open connections in total.
	Max int
	// PerClient bounds the strangers one client address holds.
	PerClient int
	// Exempt reports whether a peer address is exempt from PerClient.
	Exempt func(netip.Addr) bool
	// BodyTimeout is the time a request body has to arrive in full. A
	// request that passed authentication gets more after it: one second
	// for every BodyMinRate bytes received (BodyMinRate 0: no bound at
	// all once authenticated). It also bounds how long a probation
	// connection may take to deliver its first request.
	BodyTimeout time.Duration
	BodyMinRate int64
	// Log receives refusals and evictions at debug level, at most one line
	// a second; nil discards them.
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Counts is a snapshot of the open connections.
type Counts struct {
	Total, Strangers, Probation, Authenticated int
	Refused, Evicted                           int64 // since New
}

// Limiter counts connections and applies the caps. Build it with New; its
// methods are safe for concurrent use.
type Limiter struct {
	o          Options
	headroom   int
	probePer   int // probation connections per client address
	refused    atomic.Int64
	evicted    atomic.Int64
	logLimiter logLimiter

	mu        sync.Mutex
	total     int
	probation int
	authed    int
	strangers list.List // of *conn, oldest first
	clients   map[netip.Addr]*client
}

// client is what one address holds without credentials.
type client struct{ strangers, probation int }

type state int

const (
	stranger state = iota
	probation
	authenticated
	closed
)

// New returns a Limiter for o.
func New(o Options) *Limiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	l := &Limiter{o: o, clients: make(map[netip.Addr]*client)}
	if o.Max > 0 {
		l.headroom = max(1, o.Max/8)
	}
	l.probePer = max(1, o.PerClient/8)
	l.logLimiter.now = o.Now
	return l
}

// Counts returns the current counts.
func (l *Limiter) Counts() Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Counts{
		Total: l.total, Strangers: l.strangers.Len(), Probation: l.probation, Authenticated: l.authed,
		Refused: l.refused.Load(), Evicted: l.evicted.Load(),
	}
}

// Listener returns ln with the caps applied at Accept.
func (l *Limiter) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

type listener struct {
	net.Listener
	l *Limiter
}

// Accept returns the next admitted connection, closing refused ones.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := ln.l.admit(c); lc != nil {
			return lc, nil
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset: no TIME_WAIT, no lingering buffer
		}
		_ = c.Close()
	}
}

// ConnContext is for http.Server.ConnContext: it makes the connection
// reachable from its requests (Handler, Gate and Authenticated need it).
func (l *Limiter) ConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if lc, ok := c.(*conn); ok && lc.l == l {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

type connKey struct{}

// addrOf returns the peer address of c, or an invalid Addr (Unix sockets).
func addrOf(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// admit decides c's fate; nil means refused.
func (l *Limiter) admit(c net.Conn) *conn {
	addr := addrOf(c)
	capped := addr.IsValid() && l.o.PerClient > 0 && (l.o.Exempt == nil || !l.o.Exempt(addr))
	lc := &conn{Conn: c, l: l, addr: addr}

	l.mu.Lock()
	var cl *client
	if capped {
		cl = l.clients[addr]
		if cl == nil {
			cl = &client{}
			l.clients[addr] = cl
		}
	}
	reason := ""
	switch {
	case l.o.Max > 0 && l.total >= l.o.Max:
		reason = "max-conns"
	case (l.o.Max == 0 || l.total < l.o.Max-l.headroom) && (cl == nil || cl.strangers < l.o.PerClient):
		lc.state = stranger
		lc.elem = l.strangers.PushBack(lc)
		if cl != nil {
			cl.strangers++
		}
	case cl == nil || cl.probation < l.probePer &&
		// With the strangers' share full, the headroom is for addresses
		// that hold few connections: the attack's own addresses, each
		// already holding strangers, are refused, so its churn cannot
		// fill the headroom.
		(l.total < l.o.Max-l.headroom || cl.strangers+cl.probation < l.probePer):
		lc.state = probation
		l.probation++
		if cl != nil {
			cl.probation++
		}
		if l.o.BodyTimeout > 0 {
			lc.until.Store(l.o.Now().Add(l.o.BodyTimeout).UnixNano())
		}
	default:
		reason = "max-conns-per-client"
	}
	if reason != "" {
		if cl != nil && cl.strangers == 0 && cl.probation == 0 {
			delete(l.clients, addr)
		}
		l.mu.Unlock()
		l.refused.Add(1)
		if n := l.logLimiter.take(); n > 0 {
			l.o.Log.Debug("connections refused", "reason", reason, "client", addr.String(), "refused_since_last_line", n)
		}
		return nil
	}
	l.total++
	if cl != nil {
		lc.cl = cl
	}
	l.mu.Unlock()
	if u := lc.until.Load(); u != 0 {
		_ = c.SetReadDeadline(time.Unix(0, u))
	}
	return lc
}

// promote marks c authenticated; it reports whether c was on probation.
func (l *Limiter) promote(c *conn) (wasProbation bool) {
	l.mu.Lock()
	switch c.state {
	case stranger:
		l.unlinkStranger(c)
	case probation:
		l.unlinkProbation(c)
		wasProbation = true
	default:
		l.mu.Unlock()
		return false
	}
	c.state = authenticated
	l.authed++
	var victim *conn
	if wasProbation && l.o.Max > 0 && l.total > l.o.Max-l.headroom {
		if e := l.strangers.Back(); e != nil {
			victim = e.Value.(*conn)
		}
	}
	l.mu.Unlock()
	c.until.Store(0)
	if victim != nil {
		l.evicted.Add(1)
		if n := l.logLimiter.take(); n > 0 {
			l.o.Log.Debug("connection closed to keep headroom for authenticated clients", "client", victim.addr.String(), "events_since_last_line", n)
		}
		_ = victim.Close()
	}
	return wasProbation
}

// release forgets c; called once, from Close.
func (l *Limiter) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch c.state {
	case stranger:
		l.unlinkStranger(c)
	case probation:
		l.unlinkProbation(c)
	case authenticated:
		l.authed--
	}
	c.state = closed
	l.total--
}

func (l *Limiter) unlinkStranger(c *conn) {
	l.strangers.Remove(c.elem)
	c.elem = nil
	if c.cl != nil {
		c.cl.strangers--
		l.dropClient(c)
	}
}

func (l *Limiter) unlinkProbation(c *conn) {
	l.probation--
	if c.cl != nil {
		c.cl.probation--
		l.dropClient(c)
	}
}

func (l *Limiter) dropClient(c *conn) {
	if c.cl.strangers == 0 && c.cl.probation == 0 {
		delete(l.clients, c.addr)
	}
	c.cl = nil
}

// conn is an admitted connection.
type conn struct {
	net.Conn
	l    *Limiter
	addr netip.Addr
	// until, while on probation, is when reads end (Unix nanoseconds; 0 =
	// not on probation): every read deadline is clamped to it.
	until atomic.Int64
	once  sync.Once

	// Under l.mu:
	state state
	elem  *list.Element // in l.strangers while a stranger
	cl    *client       // counted in l.clients while unauthenticated
}

func (c *conn) Close() error {
	c.once.Do(func() { c.l.release(c) })
	return c.Conn.Close()
}

// NetConn returns the connection c wraps, as tls.Conn's NetConn does, for
// code that asks the socket itself (wsbridge's send-queue check).
func (c *conn) NetConn() net.Conn { return c.Conn }

func (c *conn) onProbation() bool {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	return c.state == probation
}

// clamp bounds t by the probation deadline, if any.
func (c *conn) clamp(t time.Time) time.Time {
	if u := c.until.Load(); u != 0 {
		if end := time.Unix(0, u); t.IsZero() || t.After(end) {
			return end
		}
	}
	return t
}

func (c *conn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.clamp(t)) }

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// logLimiter lets at most one line a second through and counts the rest.
type logLimiter struct {
	now  func() time.Time
	mu   sync.Mutex
	next time.Time
	n    int
}

// take counts one event and returns how many to report now (0: stay quiet).
func (ll *logLimiter) take() int {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	ll.n++
	now := ll.now()
	if now.Before(ll.next) {
		return 0
	}
	ll.next = now.Add(time.Second)
	n := ll.n
	ll.n = 0
	return n
}
