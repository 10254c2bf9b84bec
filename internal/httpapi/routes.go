package httpapi

import (
	"net/http"
	"strings"
)

// routes is the whole route table, one line per route. Everything it
// returns sits inside the guard and auth chain built by app.
func (a *API) routes() http.Handler {
	b := a.d.BaseURL
	mux := http.NewServeMux()

	// Public (the auth middleware's allow-list names the same routes).
	mux.HandleFunc("GET "+b+"api", a.version)
	mux.HandleFunc("GET /health", a.health)
	if a.d.Login != nil {
		mux.Handle(b+"login", a.d.Login)
	}
	if a.d.Logout != nil {
		mux.Handle(b+"logout", a.d.Logout)
	}

	// Server.
	mux.HandleFunc("GET "+b+"api/status", a.status)
	mux.HandleFunc("POST "+b+"api/shutdown", a.shutdown)

	// Contents: the wildcard must be last, so the contents handler splits
	// off "/checkpoints[/<id>]" and "/trust" itself.
	mux.HandleFunc(b+"api/contents", a.api(a.contents))
	mux.HandleFunc(b+"api/contents/{path...}", a.api(a.contents))
	mux.HandleFunc(b+"api/notebooks/{path...}", a.notebooksRedirect)
	mux.HandleFunc("GET "+b+"files/{path...}", a.files)
	mux.HandleFunc("HEAD "+b+"files/{path...}", a.files)

	// Every other API path is a JSON 404; pages get a plain 404.
	mux.HandleFunc(b+"api/", a.api(a.notFound))
	if b != "/" {
		mux.HandleFunc("GET "+strings.TrimSuffix(b, "/"), a.root)
	}
	mux.HandleFunc(b+"{$}", a.root)
	return a.trailingSlash(mux)
}
