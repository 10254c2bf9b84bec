package logx

import (
	"bufio"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// AccessLog returns middleware that logs one line per request: method,
// path (never the raw query), the query through RedactQuery, status, bytes
// written, duration and the client address from clientIP (the peer address
// when clientIP is nil). No header, cookie or body is logged. The wrapped
// ResponseWriter keeps http.Flusher and http.Hijacker working and unwraps
// for http.ResponseController, so WebSocket upgrades pass through.
func AccessLog(log *slog.Logger, clientIP func(*http.Request) string) func(http.Handler) http.Handler {
	if clientIP == nil {
		clientIP = func(r *http.Request) string {
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				return host
			}
			return r.RemoteAddr
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rw := &recorder{ResponseWriter: w}
			defer func() {
				p := recover()
				status := rw.status
				switch {
				case p != nil && !rw.wrote:
					status = http.StatusInternalServerError
				case status == 0:
					status = http.StatusOK
				}
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelWarn
				}
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
				}
				if r.URL.RawQuery != "" {
					attrs = append(attrs, slog.String("query", RedactQuery(r.URL.RawQuery)))
				}
				attrs = append(attrs,
					slog.Int("status", status),
					slog.Int64("bytes", rw.bytes),
					slog.Duration("duration", time.Since(start)),
					slog.String("ip", clientIP(r)),
				)
				if rw.hijacked {
					attrs = append(attrs, slog.Bool("hijacked", true))
				}
				log.LogAttrs(r.Context(), level, "request", attrs...)
				if p != nil {
					panic(p)
				}
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

// recorder notes the status and byte count a handler writes.
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	wrote    bool
	hijacked bool
}

func (rw *recorder) WriteHeader(code int) {
	if !rw.wrote && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
		rw.wrote = true
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.status = http.StatusOK
		rw.wrote = true
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the server's writer.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Flush implements http.Flusher for handlers that type-assert it.
func (rw *recorder) Flush() {
	if !rw.wrote {
		rw.status = http.StatusOK
		rw.wrote = true
	}
	_ = http.NewResponseController(rw.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for handlers that type-assert it
// (WebSocket libraries do).
func (rw *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.ResponseWriter).Hijack()
	if err == nil {
		rw.hijacked = true
		if !rw.wrote {
			rw.status = http.StatusSwitchingProtocols
			rw.wrote = true
		}
	}
	return c, brw, err
}

var (
	_ http.Flusher  = (*recorder)(nil)
	_ http.Hijacker = (*recorder)(nil)
)
