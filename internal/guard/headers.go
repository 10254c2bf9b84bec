package guard

import (
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
// including errors and redirects, and Strict-Transport-Security
// (Options.HSTSMaxAge) on those to HTTPS requests. They are set before
// next runs, so a handler may replace one (the /files handler sets its
// own sandbox CSP).
func (g *Guard) Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if g.isAPI(r.URL.Path) {
			h.Set("Content-Security-Policy", cspAPI)
		} else {
			h.Set("Content-Security-Policy", cspPage)
		}
		// Browsers ignore the header over plain HTTP (RFC 6797 8.1), so it
		// is only sent where it counts.
		if g.hsts != "" && g.IsSecure(r) {
			h.Set("Strict-Transport-Security", g.hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// isAPI reports paths under {base}api/ (and {base}api itself).
func (g *Guard) isAPI(p string) bool {
	return strings.HasPrefix(p, g.api) || p+"/" == g.api
}
