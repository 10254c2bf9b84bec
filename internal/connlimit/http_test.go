package connlimit_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"quire/internal/connlimit"
	"quire/internal/errkind"
	"quire/internal/reply"
)

// serve runs a real http.Server with the Limiter's layers around a handler
// that reads the whole body and answers its length. A stand-in for the
// auth middleware reports "Authorization: token good" as authenticated.
func serve(t *testing.T, o connlimit.Options) (*connlimit.Limiter, string) {
	t.Helper()
	return serveProto(t, o, nil)
}

func serveProto(t *testing.T, o connlimit.Options, protocols *http.Protocols) (*connlimit.Limiter, string) {
	t.Helper()
	l := connlimit.New(o)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			reply.WriteError(w, r, nil, errkind.New(errkind.Invalid, "could not read the request body", err))
			return
		}
		fmt.Fprint(w, len(b))
	})
	authn := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "token good" {
				l.Authenticated(r)
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{
		Handler:           l.Handler(authn(l.Gate(api))),
		ConnContext:       l.ConnContext,
		ReadHeaderTimeout: 5 * time.Second,
		Protocols:         protocols,
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l.Listener(ln)) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l, ln.Addr().String()
}

// Over HTTP/2 a body deadline is the stream's: a stalled upload gets 408
// while the other streams on the same connection carry on.
func TestBodyDeadlineHTTP2(t *testing.T) {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	_, addr := serveProto(t, connlimit.Options{Max: 100, BodyTimeout: 300 * time.Millisecond}, &p)
	tr := &http.Transport{Protocols: &p}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	post := func(body io.Reader, n int64) (int, string, error) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/x", body)
		req.ContentLength = n
		if n != 100 { // the stalled upload goes without credentials
			req.Header.Set("Authorization", "token good")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 {
			t.Errorf("HTTP/%d, want 2", resp.ProtoMajor)
		}
		return resp.StatusCode, string(b), nil
	}
	if code, _, err := post(strings.NewReader("hello"), 5); err != nil || code != 200 {
		t.Fatalf("first request: %d %v", code, err)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	stalled := make(chan string, 1)
	go func() {
		code, body, err := post(pr, 100)
		stalled <- fmt.Sprint(code, " ", body, " ", err)
	}()
	pw.Write([]byte("0123456789"))
	// The connection keeps serving other streams meanwhile and after.
	for range 3 {
		if code, body, err := post(strings.NewReader("abc"), 3); err != nil || code != 200 || body != "3" {
			t.Fatalf("other stream: %d %q %v", code, body, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := <-stalled; !strings.HasPrefix(got, "408 ") {
		t.Errorf("stalled stream: %s, want 408", got)
	}
	if code, _, err := post(strings.NewReader("hello"), 5); err != nil || code != 200 {
		t.Fatalf("after the 408: %d %v", code, err)
	}
}

// rawConn is a client connection that writes requests by hand.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string, from byte) *rawConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, from)}}
	c, err := d.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawConn) head(method string, length int, token bool) {
	rc.t.Helper()
	h := method + " /x HTTP/1.1\r\nHost: q\r\n"
	if token {
		h += "Authorization: token good\r\n"
	}
	if length > 0 {
		h += fmt.Sprintf("Content-Length: %d\r\n", length)
	}
	if _, err := io.WriteString(rc.c, h+"\r\n"); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) response() (*http.Response, string) {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(rc.r, nil)
	if err != nil {
		rc.t.Fatalf("read response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestBodyDeadline(t *testing.T) {
	const timeout = 600 * time.Millisecond
	for _, tc := range []struct {
		name      string
		token     bool
		rate      int // bytes per second sent (0: send 10 bytes, then stall)
		length    int
		want      int
		wantInMsg string
	}{
		{name: "whole body at once", length: 100, rate: 1 << 30, want: 200},
		{name: "stalled, no credentials", length: 100, want: 408, wantInMsg: "--http-body-timeout"},
		{name: "stalled, authenticated", token: true, length: 100, want: 408},
		// 1.2 s at 8000 B/s: past the timeout, above the 4000 B/s floor.
		{name: "slow but steady, authenticated", token: true, length: 9600, rate: 8000, want: 200},
		{name: "slow but steady, no credentials", length: 9600, rate: 8000, want: 408},
		// 2000 B/s is below the floor: cut once the grace is used up.
		{name: "below the minimum rate, authenticated", token: true, length: 9600, rate: 2000, want: 408},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, addr := serve(t, connlimit.Options{Max: 100, BodyTimeout: timeout, BodyMinRate: 4000})
			rc := dialRaw(t, addr, 2)
			rc.head("POST", tc.length, tc.token)
			start := time.Now()
			go func() {
				body := strings.Repeat("x", tc.length)
				if tc.rate == 0 {
					rc.c.Write([]byte(body[:10]))
					return
				}
				chunk := max(1, tc.rate/20) // every 50 ms
				for i := 0; i < len(body); i += chunk {
					if _, err := rc.c.Write([]byte(body[i:min(i+chunk, len(body))])); err != nil {
						return
					}
					if tc.rate < 1<<30 {
						time.Sleep(50 * time.Millisecond)
					}
				}
			}()
			resp, body := rc.response()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d (%s) after %s, want %d", resp.StatusCode, body, time.Since(start), tc.want)
			}
			if tc.want == 408 {
				if !strings.Contains(body, tc.wantInMsg) || !strings.HasPrefix(body, "{") {
					t.Errorf("body %q, want JSON naming %q", body, tc.wantInMsg)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("408 after %s", d)
				}
			} else if body != fmt.Sprint(tc.length) {
				t.Errorf("body %q, want %d", body, tc.length)
			}
		})
	}
}

// A connection in the headroom must authenticate on its first request: a
// request without credentials is answered 503 unread and the connection
// closed; one with credentials is served and the connection kept, and the
// newest stranger makes room.
func TestHeadroomGate(t *testing.T) {
	l, addr := serve(t, connlimit.Options{Max: 16, BodyTimeout: 5 * time.Second})
	var strangers []*rawConn
	for range 14 {
		strangers = append(strangers, dialRaw(t, addr, 2))
	}
	waitCounts(t, l, connlimit.Counts{Total: 14, Strangers: 14})

	anon := dialRaw(t, addr, 3)
	anon.head("POST", 60000, false)
	resp, body := anon.response()
	if resp.StatusCode != 503 || !resp.Close || !strings.Contains(body, "--max-conns") {
		t.Fatalf("anonymous headroom request: %d close=%v %s", resp.StatusCode, resp.Close, body)
	}
	anon.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := anon.r.ReadByte(); err != io.EOF {
		t.Errorf("after the 503 the connection should be closed; read: %v", err)
	}

	tok := dialRaw(t, addr, 3)
	for i := range 2 {
		tok.head("POST", 5, true)
		io.WriteString(tok.c, "hello")
		resp, body := tok.response()
		if resp.StatusCode != 200 || resp.Close || body != "5" {
			t.Fatalf("request %d with credentials: %d close=%v %q", i, resp.StatusCode, resp.Close, body)
		}
	}
	waitCounts(t, l, connlimit.Counts{Total: 14, Strangers: 13, Authenticated: 1, Evicted: 1})
	newest := strangers[len(strangers)-1]
	newest.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := newest.r.ReadByte(); err == nil {
		t.Error("the newest stranger should have been closed")
	}
}

func waitCounts(t *testing.T, l *connlimit.Limiter, want connlimit.Counts) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := l.Counts()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts %+v, want %+v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A hijacked connection (a WebSocket) stays counted, as authenticated once
// its request authenticated, until it is closed.
func TestHijackedCountedUntilClosed(t *testing.T) {
	l := connlimit.New(connlimit.Options{Max: 100, BodyTimeout: time.Second})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hijacked := make(chan net.Conn, 1)
	srv := &http.Server{
		ConnContext: l.ConnContext,
		Handler: l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l.Authenticated(r)
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\n\r\n")
			hijacked <- c
		})),
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l.Listener(ln)) }()
	defer func() { srv.Close(); <-done }()

	rc := dialRaw(t, ln.Addr().String(), 2)
	rc.head("GET", 0, false)
	sc := <-hijacked
	waitCounts(t, l, connlimit.Counts{Total: 1, Authenticated: 1})
	rc.c.Close()
	// The WebSocket's owner sees the end and closes its side.
	io.ReadAll(sc)
	sc.Close()
	waitCounts(t, l, connlimit.Counts{})
}

// An HTTP/2 connection that took a headroom slot and authenticates keeps
// reading past the probation window: a slow authenticated upload on it
// completes, and the connection serves later requests.
func TestHeadroomHTTP2Authenticates(t *testing.T) {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	l, addr := serveProto(t, connlimit.Options{Max: 16, BodyTimeout: 500 * time.Millisecond, BodyMinRate: 1000}, &p)
	for range 14 {
		dialRaw(t, addr, 2)
	}
	waitCounts(t, l, connlimit.Counts{Total: 14, Strangers: 14})
	tr := &http.Transport{Protocols: &p, DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	pr, pw := io.Pipe()
	go func() {
		for range 20 { // 4000 B/s for a second, twice the probation window
			pw.Write([]byte(strings.Repeat("x", 200)))
			time.Sleep(50 * time.Millisecond)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", "http://"+addr+"/x", pr)
	req.ContentLength = 4000
	req.Header.Set("Authorization", "token good")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "4000" {
		t.Fatalf("slow authenticated upload on a headroom connection: %d %q", resp.StatusCode, b)
	}
	time.Sleep(600 * time.Millisecond)
	req, _ = http.NewRequest("POST", "http://"+addr+"/x", strings.NewReader("abc"))
	req.Header.Set("Authorization", "token good")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("second request: %d", resp.StatusCode)
	}
	if c := l.Counts(); c.Authenticated != 1 || c.Evicted != 1 {
		t.Errorf("counts %+v: want the one HTTP/2 connection authenticated, the newest stranger evicted", c)
	}
}
