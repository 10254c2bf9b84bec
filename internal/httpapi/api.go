// Package httpapi is Quire's HTTP surface: the route table and the REST
// handlers. Their answers, and the mapping from error kinds to statuses and
// Jupyter's JSON error bodies, are written by package reply, which the
// guard and auth middleware share. It knows domain services only through
// the small interfaces it declares.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"quire/internal/baseurl"
	"quire/internal/bigbuf"
	"quire/internal/wsbridge"
)

// Deps is everything the HTTP layer needs. app fills it in.
type Deps struct {
	// BaseURL is normalised: it starts and ends with "/".
	BaseURL string
	// Buffers keeps large request-body buffers for reuse (the server's
	// one cache, shared with the contents service); nil keeps none.
	Buffers *bigbuf.Cache
	Log     *slog.Logger
	// Version is reported by GET {base}api.
	Version string
	// Started is the server's start time (for /api/status).
	Started time.Time
	// MaxBodySize caps every request body (bytes); over it → 413.
	MaxBodySize int64

	Contents Contents
	// Memory bounds the memory that contents requests in flight may take
	// together (--max-request-memory); nil means no bound.
	Memory MemoryBudget
	// Kernels, Sessions and KernelSpecs serve the kernel side; when
	// Kernels is nil those routes are not registered.
	Kernels     Kernels
	Sessions    Sessions
	KernelSpecs KernelSpecs
	// WebSocket configures the kernel channels bridge.
	WebSocket wsbridge.Options
	// Status reports kernel and connection counts; nil means none.
	Status StatusSource
	// Terminals serves {base}api/terminals and the terminal WebSocket,
	// configured by TerminalWebSocket; nil leaves those routes (and the
	// terminal page) unregistered, answered 404.
	Terminals         Terminals
	TerminalWebSocket wsbridge.Options

	// UI serves the embedded web interface; nil leaves only the API.
	UI WebUI

	// Identity returns the user the auth middleware found for a request,
	// for GET {base}api/me; false when it found none.
	Identity func(*http.Request) (User, bool)

	// Login and Logout are the auth package's pages.
	Login, Logout http.Handler
	// Shutdown asks the server to stop gracefully (POST {base}api/shutdown).
	Shutdown func()

	// Metrics serves GET {base}metrics (Prometheus' text format), behind
	// the usual authentication; nil leaves the route unregistered.
	Metrics http.Handler
	// Routed, if set, is called with each request the route table
	// matched, after its handler, r.Pattern set (metrics label requests
	// by route pattern).
	Routed func(r *http.Request)
}

// MemoryBudget is a server-wide allowance of request memory
// (*membudget.Budget). Acquire charges n bytes, returning the function that
// gives them back, or an errkind.Retry error when requests in flight hold
// the budget (answered 503 with Retry-After) or errkind.TooLarge when n
// exceeds all of it.
type MemoryBudget interface {
	Acquire(n int64) (release func(), err error)
}

// WebUI is the embedded web interface (internal/webui).
type WebUI interface {
	// ServePage answers a UI address ({base}, tree/…, notebooks/…, edit/…).
	ServePage(w http.ResponseWriter, r *http.Request)
	// ServeStatic answers {base}static/app/… and {base}favicon.ico, public
	// routes.
	ServeStatic(w http.ResponseWriter, r *http.Request)
}

// StatusSource reports what /api/status needs from the kernel side.
type StatusSource interface {
	// Counts returns the number of kernels, open kernel connections and the
	// last kernel activity (zero if none).
	Counts() (kernels, connections int, lastActivity time.Time)
}

// API holds the handlers' dependencies.
type API struct {
	d        Deps
	activity *activity
	base     baseurl.Path // d.BaseURL, for matching requests
}

// New returns the handler for every route under d.BaseURL.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Started.IsZero() {
		d.Started = time.Now()
	}
	// The base URL was checked by config (baseurl.Parse); a bad one here
	// is a programming error.
	base := baseurl.MustParse(d.BaseURL)
	d.BaseURL = base.String()
	a := &API{d: d, base: base, activity: newActivity(d.Started)}
	return a.routes()
}
