package httpapi

import (
	"html/template"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"quire/internal/baseurl"
	"quire/internal/guard"
	"quire/internal/isotime"
	"quire/internal/reply"
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
	reply.WriteJSON(w, http.StatusOK, map[string]string{"version": a.d.Version})
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
	out := map[string]any{
		"connections": conns,
		"kernels":     kernels,
		"started":     isotime.Format(a.d.Started),
	}
	// Terminal input and output count as activity (JupyterHub culls by
	// last_activity), as in jupyter_server with terminals on.
	if a.d.Terminals != nil {
		n, tl := a.d.Terminals.Counts()
		if tl.After(last) {
			last = tl
		}
		out["terminals"] = n
	}
	out["last_activity"] = isotime.Format(last)
	reply.WriteJSON(w, http.StatusOK, out)
}

func (a *API) shutdown(w http.ResponseWriter, r *http.Request) {
	if a.d.Shutdown == nil {
		reply.WriteMessage(w, http.StatusNotImplemented, "shutdown is not available")
		return
	}
	a.d.Log.Info("shutdown requested through the API")
	reply.WriteJSON(w, http.StatusOK, map[string]string{})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go a.d.Shutdown()
}

func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	reply.WriteMessage(w, http.StatusNotFound, "Not Found: no such API route")
}

// notebooksRedirect keeps the deprecated /api/notebooks/ prefix working.
func (a *API) notebooksRedirect(w http.ResponseWriter, r *http.Request) {
	target := a.d.BaseURL + "api/contents/" + escapePath(r.PathValue("path"))
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	guard.Redirect(w, http.StatusFound, target, a.d.BaseURL)
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
		reply.NotAllowed(w, "GET, HEAD")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = rootPage().Execute(w, a.d.BaseURL)
}

// canonical sits in front of the route table and issues, through
// guard.Redirect, the redirects http.ServeMux would otherwise send on its
// own (ServeMux builds them with http.Redirect, outside the one place that
// judges redirect targets):
//
//   - a path with ".", ".." or empty segments goes to its cleaned form (307);
//   - a path no route takes with a trailing slash goes to the path without
//     it (302), except under {base}api/contents/ where the slash is part of
//     the API;
//   - a path a route takes only with a trailing slash ({base}files,
//     {base}api/notebooks, …) goes to the path with it (307).
//
// A target guard.Location refuses (one that would leave the base URL, or
// holds backslashes, controls or encoded slashes that a browser or proxy
// could read as another site) is answered 404 instead. CONNECT, which
// ServeMux does not canonicalise, is refused.
func (a *API) canonical(mux *http.ServeMux) http.Handler {
	b := a.d.BaseURL
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			reply.WriteMessage(w, http.StatusMethodNotAllowed, "CONNECT is not supported")
			return
		}
		esc := r.URL.EscapedPath()
		target := ""
		code := http.StatusTemporaryRedirect
		switch {
		case cleanPath(esc) != esc:
			target = cleanPath(esc)
		case len(esc) > 1 && strings.HasSuffix(esc, "/") && !underContents(a.base, esc):
			if _, pattern := mux.Handler(r); pattern == "" || strings.HasSuffix(pattern, "api/") {
				target = strings.TrimRight(esc, "/")
				code = http.StatusFound
			}
		case addsSlash(mux, r, esc):
			target = esc + "/"
		}
		if target == "" {
			mux.ServeHTTP(w, r)
			if a.d.Routed != nil {
				a.d.Routed(r)
			}
			return
		}
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		if _, ok := guard.Location(target, b); !ok {
			reply.WriteMessage(w, http.StatusNotFound, "Not Found")
			return
		}
		guard.Redirect(w, code, target, b)
	})
}

// cleanPath is ServeMux's canonical form of an escaped path: rooted, no
// ".", ".." or empty segments, a trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// addsSlash reports whether mux would redirect r to its path plus "/":
// no route takes the path as it is, and one ending in "/", "{x...}" or
// "{$}" takes it with a slash appended. Such a pattern has exactly one
// more "/" than the path, and cannot match the path itself.
// underContents reports the base itself, or a path under
// {base}api/contents/, where a trailing slash is part of the API.
func underContents(base baseurl.Path, esc string) bool {
	rest, ok := base.Cut(esc)
	return ok && (rest == "" || strings.HasPrefix(rest, "api/contents/"))
}

func addsSlash(mux *http.ServeMux, r *http.Request, esc string) bool {
	if strings.HasSuffix(esc, "/") {
		return false
	}
	_, pattern := mux.Handler(r)
	i := strings.IndexByte(pattern, '/')
	if i < 0 {
		return false
	}
	p := pattern[i:]
	multi := strings.HasSuffix(p, "/") || strings.HasSuffix(p, "...}") || strings.HasSuffix(p, "{$}")
	return multi && strings.Count(p, "/") == strings.Count(esc, "/")+1
}
