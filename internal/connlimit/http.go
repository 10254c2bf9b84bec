package connlimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"quire/internal/errkind"
	"quire/internal/reply"
)

// Handler is the outermost layer of the HTTP chain. It bounds the time each
// request body has to arrive (see Options.BodyTimeout): a body read past
// the deadline fails with an error wrapping os.ErrDeadlineExceeded, which
// httpapi answers 408. On a probation connection it asks for the
// connection to be closed after the response unless the request
// authenticates.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(connKey{}).(*conn)
		rq := &request{l: l, c: c, w: w, start: l.o.Now(), perStream: r.ProtoMajor != 1}
		if c != nil && c.onProbation() {
			w.Header().Set("Connection", "close")
			rq.closing = true
		}
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			r.Body = &body{ReadCloser: r.Body, rq: rq}
			rq.mu.Lock()
			rq.hasBody = true
			rq.applyLocked()
			rq.mu.Unlock()
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, rq)))
		rq.mu.Lock()
		defer rq.mu.Unlock()
		if rq.hasBody && !rq.done && w.Header().Get("Connection") == "close" {
			// The server would still read up to 256 KiB of the unread
			// body before closing (even with Connection: close); a
			// deadline in the past makes that read fail at once, so a
			// refused upload frees its connection now.
			rq.done = true
			rq.setLocked(time.Unix(1, 0))
		}
	})
}

// Gate sits behind the authentication middleware: it answers 503 to a
// request without credentials on a probation connection, without reading
// its body, and closes the connection after that answer.
func (l *Limiter) Gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq, _ := r.Context().Value(requestKey{}).(*request)
		if rq != nil && rq.c != nil && !rq.isAuthenticated() && rq.c.onProbation() {
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "5")
			reply.WriteError(w, r, nil, errkind.New(errkind.Retry,
				"The server has too many connections without credentials; try again later (--max-conns, --max-conns-per-client)", nil))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Authenticated is told by the auth middleware that r passed
// authentication: r's body gets the authenticated deadline and its
// connection counts as authenticated from now on.
func (l *Limiter) Authenticated(r *http.Request) {
	rq, _ := r.Context().Value(requestKey{}).(*request)
	if rq == nil {
		if c, ok := r.Context().Value(connKey{}).(*conn); ok && c.l == l {
			if l.promote(c) {
				_ = c.SetReadDeadline(time.Time{})
			}
		}
		return
	}
	rq.mu.Lock()
	defer rq.mu.Unlock()
	if rq.authed {
		return
	}
	rq.authed = true
	if rq.closing {
		rq.w.Header().Del("Connection")
		rq.closing = false
	}
	if rq.c != nil && l.promote(rq.c) {
		_ = rq.c.SetReadDeadline(time.Time{}) // lift the probation clamp
	}
	if rq.hasBody {
		rq.applyLocked()
	}
}

type requestKey struct{}

// request is one request's body-deadline state.
type request struct {
	l     *Limiter
	c     *conn // nil when the connection did not come through Listener
	w     http.ResponseWriter
	start time.Time
	// perStream: HTTP/2, where streams share the connection, so a body
	// deadline is the stream's (through the ResponseController), never
	// the connection's.
	perStream bool

	mu      sync.Mutex
	authed  bool
	closing bool // Handler asked for Connection: close
	hasBody bool
	done    bool      // the body was read to its end
	got     int64     // body bytes received
	set     time.Time // read deadline last set
}

func (rq *request) isAuthenticated() bool {
	rq.mu.Lock()
	defer rq.mu.Unlock()
	return rq.authed
}

// deadlineLocked is when the body must have arrived (zero: no bound).
func (rq *request) deadlineLocked() time.Time {
	o := &rq.l.o
	if !rq.authed {
		return rq.start.Add(o.BodyTimeout)
	}
	if o.BodyMinRate <= 0 {
		return time.Time{}
	}
	return rq.start.Add(o.BodyTimeout + time.Duration(float64(rq.got)/float64(o.BodyMinRate)*float64(time.Second)))
}

// applyLocked sets the connection's read deadline to the body deadline.
func (rq *request) applyLocked() {
	t := time.Time{}
	if !rq.done && rq.l.o.BodyTimeout > 0 {
		t = rq.deadlineLocked()
	}
	rq.setLocked(t)
}

func (rq *request) setLocked(t time.Time) {
	rq.set = t
	if rq.c != nil && !rq.perStream {
		_ = rq.c.SetReadDeadline(t)
	} else {
		_ = http.NewResponseController(rq.w).SetReadDeadline(t)
	}
}

// body counts what a request body delivers and moves the deadline.
type body struct {
	io.ReadCloser
	rq *request
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	rq := b.rq
	rq.mu.Lock()
	defer rq.mu.Unlock()
	rq.got += int64(n)
	switch {
	case err == io.EOF:
		// Later reads on the connection (the server's watch for a
		// client going away, the next request) are not this body's.
		rq.done = true
		rq.applyLocked()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, fmt.Errorf("request body not received in time (%d bytes after %s): %w",
			rq.got, rq.l.o.Now().Sub(rq.start).Round(time.Millisecond), err)
	case err == nil && rq.authed && rq.l.o.BodyTimeout > 0 && rq.l.o.BodyMinRate > 0:
		// Every BodyMinRate bytes buy a second; move the deadline once
		// it has grown by an eighth of BodyTimeout (at most a second),
		// not on every read.
		if d := rq.deadlineLocked(); d.Sub(rq.set) >= min(time.Second, rq.l.o.BodyTimeout/8) {
			rq.applyLocked()
		}
	}
	return n, err
}
