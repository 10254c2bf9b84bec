package guard

import (
	"net"
	"net/http"
	"strconv"
)

// RedirectHTTPS answers a plain-HTTP request with a redirect to the same
// path and query over HTTPS at host, on port (left out when it is 443).
// It serves the HTTP listener of automatic certificates, where nothing
// but challenges and this redirect is answered.
//
// host is the caller's choice, a name it holds a certificate for, never
// the request's Host header unchecked; the path and query are judged by
// Location like every other redirect target, and a refused one leads to
// "/". GET and HEAD get 301; other methods 308, which keeps the method.
// The response is never cached. A host or port that makes no valid origin
// gets 400 and no Location.
func RedirectHTTPS(w http.ResponseWriter, r *http.Request, host string, port int) {
	origin, ok := canonOrigin("https", net.JoinHostPort(host, strconv.Itoa(port)))
	if !ok || port < 1 || port > 65535 {
		http.Error(w, "this server answers over HTTPS only", http.StatusBadRequest)
		return
	}
	loc, ok := Location(r.URL.RequestURI(), "/")
	if !ok {
		loc = "/"
	}
	code := http.StatusMovedPermanently
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		code = http.StatusPermanentRedirect
	}
	h := w.Header()
	h.Set("Location", origin+loc)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
}
