package metrics

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Server is Quire's metric families in one registry. Its methods are the
// hooks app hands to the packages that do the work: the HTTP middleware,
// wsbridge's and kernel's Meter, auth's Logins; the figures read at
// scrape time (kernels, terminals, sessions, buffers) are registered with
// the Observe* methods.
type Server struct {
	Registry *Registry
	base     string

	http *HistogramVec

	wsKernel, wsTerminal atomic.Int64
	wsMessages, wsBytes  *CounterVec

	outputOmittedBytes, outputOmittedMsgs *vm.Counter
	slowClients                           *CounterVec
	kernelStarts, kernelRestarts          *vm.Counter
	kernelDeaths, heartbeatMisses         *vm.Counter

	// ContentsRead and ContentsWritten count file bytes the contents
	// service read and wrote; Saves and SaveConflicts count saves
	// (PUT of a file or notebook) and those refused as stale (412).
	ContentsRead, ContentsWritten *vm.Counter
	Saves, SaveConflicts          *vm.Counter

	logins *CounterVec
}

// Kernel channels as wsbridge names them, and the terminal's.
var channels = []string{"shell", "iopub", "stdin", "control", "terminal", "other"}

// httpBuckets are the histogram's upper bounds in seconds: jupyter_server's
// (prometheus_client's defaults) from 5 ms to 10 s.
var httpBuckets = []float64{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10}

// NewServer registers Quire's families in a new registry. base is the
// server's base URL, cut from route patterns in the handler label.
func NewServer(base string) *Server {
	r := NewRegistry()
	s := &Server{Registry: r, base: base}
	s.http = r.NewHistogramVec("http_request_duration_seconds",
		"Time taken to answer an HTTP request, by method, route pattern (handler) and status code; a WebSocket counts until it closes.",
		[]string{"method", "handler", "status_code"}, httpBuckets)
	r.NewCollected("quire_websocket_clients", "WebSocket clients connected, by kind (kernel, terminal).", Gauge, func() []Sample {
		return []Sample{
			{Labels: []string{"kind", "kernel"}, Value: float64(s.wsKernel.Load())},
			{Labels: []string{"kind", "terminal"}, Value: float64(s.wsTerminal.Load())},
		}
	})
	dirs := []string{"in", "out"}
	s.wsMessages = r.NewCounterVec("quire_websocket_messages_total",
		"WebSocket messages forwarded, by direction (in: from the client; out: to it) and channel (a kernel channel, or terminal).",
		[]string{"direction", "channel"}, dirs, channels)
	s.wsBytes = r.NewCounterVec("quire_websocket_bytes_total",
		"Bytes of WebSocket messages forwarded, as framed, by direction and channel.",
		[]string{"direction", "channel"}, dirs, channels)
	s.outputOmittedBytes = r.NewCounter("quire_output_omitted_bytes_total",
		"Output bytes the output budget held back and dropped (--output-budget).")
	s.outputOmittedMsgs = r.NewCounter("quire_output_omitted_messages_total",
		"Output messages the output budget held back and dropped (--output-budget).")
	s.slowClients = r.NewCounterVec("quire_slow_clients_disconnected_total",
		"WebSocket clients disconnected because they fell too far behind (--client-queue-messages, --client-queue-bytes), by kind (kernel, terminal).",
		[]string{"kind"}, []string{"kernel", "terminal"})
	s.kernelStarts = r.NewCounter("quire_kernel_starts_total", "Kernels started.")
	s.kernelRestarts = r.NewCounter("quire_kernel_restarts_total", "Kernels restarted.")
	s.kernelDeaths = r.NewCounter("quire_kernel_deaths_total", "Kernel processes that exited without being asked to.")
	s.heartbeatMisses = r.NewCounter("quire_kernel_heartbeat_misses_total", "Kernel heartbeat pings that went unanswered.")
	s.ContentsRead = r.NewCounter("quire_contents_read_bytes_total", "File bytes the contents service read.")
	s.ContentsWritten = r.NewCounter("quire_contents_written_bytes_total", "File bytes the contents service wrote.")
	s.Saves = r.NewCounter("quire_contents_saves_total", "Saves of files and notebooks attempted (PUT with content), conflicts included.")
	s.SaveConflicts = r.NewCounter("quire_contents_save_conflicts_total", "Saves refused because the file changed on the server (412).")
	s.logins = r.NewCounterVec("quire_logins_total",
		"Password form logins by result: success, failure (wrong password or token), throttled (refused unchecked).",
		[]string{"result"}, []string{"success", "failure", "throttled"})
	registerProcess(r)
	return s
}

// ObserveKernels registers kernel_currently_running_total{type}: running
// kernels by kernelspec name, from count at scrape time. specs lists the
// kernelspec names, so each has a series (0 when none runs).
func (s *Server) ObserveKernels(specs func() []string, count func() map[string]int) {
	s.Registry.NewCollected("kernel_currently_running_total",
		"Kernels running, by kernelspec name (jupyter_server's name: a gauge despite _total).", Gauge, func() []Sample {
			n := count()
			var out []Sample
			seen := map[string]bool{}
			for _, name := range specs() {
				seen[name] = true
				out = append(out, Sample{Labels: []string{"type", name}, Value: float64(n[name])})
			}
			other := 0
			for name, c := range n {
				if !seen[name] {
					other += c // a kernelspec removed while its kernel runs
				}
			}
			if other > 0 {
				out = append(out, Sample{Labels: []string{"type", "other"}, Value: float64(other)})
			}
			return out
		})
}

// ObserveTerminals registers terminal_currently_running_total from count.
func (s *Server) ObserveTerminals(count func() int) {
	s.Registry.NewCollected("terminal_currently_running_total",
		"Terminals running (jupyter_server's name: a gauge despite _total).", Gauge, func() []Sample {
			return []Sample{{Value: float64(count())}}
		})
}

// ObserveOfflineBuffers registers the bytes kernels hold for
// disconnected sessions.
func (s *Server) ObserveOfflineBuffers(bytes func() int) {
	s.Registry.NewGauge("quire_kernel_offline_buffer_bytes",
		"Bytes of kernel messages kept for disconnected sessions (--offline-buffer-size).", func() float64 { return float64(bytes()) })
}

// ObserveSessions registers the number of live browser sessions.
func (s *Server) ObserveSessions(count func() int) {
	s.Registry.NewGauge("quire_browser_sessions", "Live browser login sessions.", func() float64 { return float64(count()) })
}

// ObserveAuditWriteErrors registers the audit log's failed writes
// (--audit-log), read from count at scrape time. App calls it when the
// audit log is on.
func (s *Server) ObserveAuditWriteErrors(count func() uint64) {
	s.Registry.NewCollected("quire_audit_write_errors_total", "Audit log records that could not be written.", Counter, func() []Sample {
		return []Sample{{Value: float64(count())}}
	})
}

// Connected counts WebSocket clients (wsbridge.Meter).
func (s *Server) Connected(kind string, delta int) {
	if kind == "terminal" {
		s.wsTerminal.Add(int64(delta))
		return
	}
	s.wsKernel.Add(int64(delta))
}

// Forwarded counts a WebSocket message (wsbridge.Meter).
func (s *Server) Forwarded(direction, channel string, bytes int) {
	s.wsMessages.With(direction, channel).Inc()
	s.wsBytes.With(direction, channel).Add(bytes)
}

// Event counts a kernel event (kernel.Meter); unknown names are ignored.
func (s *Server) Event(name string) {
	switch name {
	case "start":
		s.kernelStarts.Inc()
	case "restart":
		s.kernelRestarts.Inc()
	case "death":
		s.kernelDeaths.Inc()
	case "heartbeat_miss":
		s.heartbeatMisses.Inc()
	case "slow_client":
		s.slowClients.With("kernel").Inc()
	}
}

// SlowTerminalClient counts a terminal client dropped as too slow
// (terminal.Options.SlowClient).
func (s *Server) SlowTerminalClient() { s.slowClients.With("terminal").Inc() }

// OutputOmitted counts output the budget dropped (kernel.Meter).
func (s *Server) OutputOmitted(bytes int64, messages int) {
	s.outputOmittedBytes.AddInt64(bytes)
	s.outputOmittedMsgs.Add(messages)
}

// Login counts a login form's result (auth.Options.Logins).
func (s *Server) Login(result string) { s.logins.With(result).Inc() }

// routeKey holds, in a request's context, where the route table writes the
// pattern that matched (Routed).
type routeKey struct{}

type route struct{ pattern string }

// Routed records the route pattern the ServeMux matched for r (r.Pattern,
// set by the mux on the request it served); the route table calls it
// after the handler. Requests it never sees (refused by the guard or auth,
// redirected) are labelled handler="none".
func Routed(r *http.Request) {
	if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
		rt.pattern = r.Pattern
	}
}

// handlerLabel turns a pattern such as "GET /base/api/kernels/{id}" into
// "/api/kernels/{id}": no method (a label of its own), no base URL.
func (s *Server) handlerLabel(pattern string) string {
	if pattern == "" {
		return "none"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	if rest, ok := strings.CutPrefix(pattern, s.base); ok {
		return "/" + rest
	}
	return pattern
}

// methods are the label values of method; any other is "other".
var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// Middleware times every request for http_request_duration_seconds.
func (s *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt := &route{}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			p := recover()
			switch {
			case p != nil && status == 0:
				status = http.StatusInternalServerError
			case status == 0:
				status = http.StatusOK
			}
			method := r.Method
			if !methods[method] {
				method = "other"
			}
			s.http.Observe(time.Since(start).Seconds(), method, s.handlerLabel(rt.pattern), strconv.Itoa(status))
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
