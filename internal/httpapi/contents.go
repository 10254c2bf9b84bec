package httpapi

import "net/http"

// Contents is what the contents handlers need from the contents service.
// (Filled in by the contents work.)
type Contents interface{}

func (a *API) contents(w http.ResponseWriter, r *http.Request) {
	a.notFound(w, r)
}

func (a *API) files(w http.ResponseWriter, r *http.Request) {
	http.NotFound(w, r)
}
