package httpapi

import (
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

// activity tracks the last authenticated API request, for /api/status.
type activity struct {
	mu   sync.Mutex
	last time.Time
}

func newActivity(t time.Time) *activity { return &activity{last: t} }

func (a *activity) touch() {
	a.mu.Lock()
	a.last = time.Now()
	a.mu.Unlock()
}

func (a *activity) get() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// api wraps an API handler: it caps the body, records activity and makes
// sure the response is JSON.
func (a *API) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.d.MaxBodySize > 0 && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, a.d.MaxBodySize)
		}
		if _, ok := r.URL.Query()["no_track_activity"]; !ok {
			a.activity.touch()
		}
		h(w, r)
	}
}

func (a *API) version(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"version": a.d.Version})
}

// health is a liveness probe: no detail, no auth.
func (a *API) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	last := a.activity.get()
	var kernels, conns int
	if a.d.Status != nil {
		var kl time.Time
		kernels, conns, kl = a.d.Status.Counts()
		if kl.After(last) {
			last = kl
		}
	}
	WriteJSON(w, http.StatusOK, map[string]any{
		"connections":   conns,
		"kernels":       kernels,
		"last_activity": FormatTime(last),
		"started":       FormatTime(a.d.Started),
	})
}

func (a *API) shutdown(w http.ResponseWriter, r *http.Request) {
	if a.d.Shutdown == nil {
		WriteJSON(w, http.StatusNotImplemented, errorBody{Message: "shutdown is not available"})
		return
	}
	a.d.Log.Info("shutdown requested through the API")
	WriteJSON(w, http.StatusOK, map[string]string{})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go a.d.Shutdown()
}

func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusNotFound, errorBody{Message: "Not Found: no such API route"})
}

// notebooksRedirect keeps the deprecated /api/notebooks/ prefix working.
func (a *API) notebooksRedirect(w http.ResponseWriter, r *http.Request) {
	u := a.d.BaseURL + "api/contents/" + escapePath(r.PathValue("path"))
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, u, http.StatusFound)
}

var rootPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("root").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quire</title></head>
<body><h1>Quire</h1><p>The server is running. The REST API lives under
<code>{{.}}api/</code>.</p></body></html>
`))
})

func (a *API) root(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = rootPage().Execute(w, a.d.BaseURL)
}

// trailingSlash redirects "/x/" to "/x" (query kept) for paths that no
// route accepts with the slash, collapsing leading slashes so the redirect
// can never leave the site.
func (a *API) trailingSlash(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > 1 && strings.HasSuffix(p, "/") && p != a.d.BaseURL && !strings.HasPrefix(p, a.d.BaseURL+"api/contents/") {
			if _, pattern := mux.Handler(r); pattern == "" || strings.HasSuffix(pattern, "api/") {
				target := "/" + strings.TrimLeft(strings.TrimRight(p, "/"), "/\\")
				if r.URL.RawQuery != "" {
					target += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, target, http.StatusFound)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}
