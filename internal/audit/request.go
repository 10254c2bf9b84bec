package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync/atomic"
)

// Request is what the audit log says of the request an event happened in:
// its id, the client address (as the trusted-proxy rules resolve it) and,
// once the auth middleware has identified it, the user.
type Request struct {
	ID     string
	Client string
	user   atomic.Pointer[string]
}

// User is the request's user ("" before authentication).
func (r *Request) User() string {
	if p := r.user.Load(); p != nil {
		return *p
	}
	return ""
}

type ctxKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext returns the request ctx carries, or nil.
func FromContext(ctx context.Context) *Request {
	r, _ := ctx.Value(ctxKey{}).(*Request)
	return r
}

// SetUser names the user of the request ctx carries (the auth middleware
// calls it once it has identified the request).
func SetUser(ctx context.Context, user string) {
	if r := FromContext(ctx); r != nil {
		r.user.Store(&user)
	}
}

// Detach returns a context that carries ctx's request (who and whence)
// but none of its cancellation, for events recorded after the request has
// ended (a kernel's death long after the request that started it).
func Detach(ctx context.Context) context.Context {
	return WithRequest(context.Background(), FromContext(ctx))
}

// Requests is the middleware that gives each request a short random id,
// sent back as X-Request-Id, and puts a Request into its context with the
// client address clientIP resolves. It runs whether or not the audit log
// is on: the id ties a user's report to the server's logs.
func Requests(clientIP func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var b [8]byte
			_, _ = rand.Read(b[:]) // never fails (crypto/rand)
			req := &Request{ID: hex.EncodeToString(b[:]), Client: clientIP(r)}
			w.Header().Set("X-Request-Id", req.ID)
			next.ServeHTTP(w, r.WithContext(WithRequest(r.Context(), req)))
		})
	}
}
