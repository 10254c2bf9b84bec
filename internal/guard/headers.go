package guard

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
)

// Content-Security-Policy values: pages may be framed only by Quire itself;
// API responses are data and load nothing.
const (
	cspPage = "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'"
	cspAPI  = "default-src 'none'; frame-ancestors 'none'"
)

// Headers sets Quire's default security headers on every response,
// including errors and redirects, Cache-Control: no-store on the API's,
// and Strict-Transport-Security (Options.HSTSMaxAge) on those to HTTPS
// requests. They are set before next runs, so a handler may replace one
// (the /files handler sets its own sandbox CSP).
func (g *Guard) Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		rel, under := g.base.Rel(r)
		if under && (rel == "api" || strings.HasPrefix(rel, "api/")) {
			h.Set("Content-Security-Policy", cspAPI)
			// API answers are a user's data: no cache keeps them (the
			// browser's heuristics would keep a GET answer with a
			// Last-Modified, such as a file's contents, for a while).
			h.Set("Cache-Control", "no-store")
		} else {
			h.Set("Content-Security-Policy", cspPage)
		}
		// Browsers ignore the header over plain HTTP (RFC 6797 8.1), so it
		// is only sent where it counts.
		if g.hsts != "" && g.IsSecure(r) {
			h.Set("Strict-Transport-Security", g.hsts)
		}
		if g.frameNone && !(under && rel == "static/app/sandbox.html") {
			h.Set("X-Frame-Options", "DENY")
			w = &frameNoneWriter{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
}

// frameNone rewrites a Content-Security-Policy so that it says
// frame-ancestors 'none', keeping its other directives.
func frameNone(policy string) string {
	var out []string
	for _, d := range strings.Split(policy, ";") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, " ")
		if d == "" || strings.EqualFold(name, "frame-ancestors") {
			continue
		}
		out = append(out, d)
	}
	return strings.Join(append(out, "frame-ancestors 'none'"), "; ")
}

// frameNoneWriter applies frameNone to the policies a handler set, just
// before the header is sent (Options.FrameNone).
type frameNoneWriter struct {
	http.ResponseWriter
	done bool
}

func (f *frameNoneWriter) fix() {
	if f.done {
		return
	}
	f.done = true
	h := f.Header()
	vs := h.Values("Content-Security-Policy")
	if len(vs) == 0 {
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		return
	}
	fixed := make([]string, len(vs))
	for i, v := range vs {
		fixed[i] = frameNone(v)
	}
	h["Content-Security-Policy"] = fixed
	h.Set("X-Frame-Options", "DENY")
}

func (f *frameNoneWriter) WriteHeader(code int) {
	f.fix()
	f.ResponseWriter.WriteHeader(code)
}

func (f *frameNoneWriter) Write(b []byte) (int, error) {
	f.fix()
	return f.ResponseWriter.Write(b)
}

// ReadFrom keeps the server's sendfile path for file downloads.
func (f *frameNoneWriter) ReadFrom(r io.Reader) (int64, error) {
	f.fix()
	if rf, ok := f.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{f.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (f *frameNoneWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// Flush implements http.Flusher for handlers that type-assert it.
func (f *frameNoneWriter) Flush() {
	f.fix()
	_ = http.NewResponseController(f.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for WebSocket upgrades.
func (f *frameNoneWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(f.ResponseWriter).Hijack()
}
