package guard

import (
	"cmp"
	"net/http"
	"strings"

	"quire/internal/audit"
	"quire/internal/reply"
)

// CORS values sent to allowed origins.
const (
	corsMethods = "GET, PUT, POST, PATCH, DELETE, OPTIONS"
	corsHeaders = "accept, content-type, authorization, x-xsrftoken, x-csrftoken, if-match, if-unmodified-since"
	corsMaxAge  = "600"
)

// HostOrigin wraps next with the DNS-rebinding Host check, the Origin
// allow-list (plain requests, preflights and WebSocket upgrades alike, all
// refused before next runs) and CORS headers for allowed origins.
//
// A cross-origin request from an origin outside the allow-list is let
// through only when it carries non-cookie credentials (an Authorization
// header or a token query parameter), which browsers never attach on their
// own. Such a request reaches next without its Cookie header, so it can only
// be authenticated by the credentials it carries. A GET or HEAD of a public
// asset under {base}static/ passes the same way, cookies removed: the
// sandboxed output frame has an opaque origin ("Origin: null").
func (g *Guard) HostOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hostAllowed(r) {
			host := shorten(r.Host)
			g.log.Warn("refused host", "host", host, "method", r.Method, "path", shorten(r.URL.Path))
			if name := hostName(r.Host); name != "" {
				g.refuse(w, r, "host", "Host '"+host+"' is not allowed; start Quire with --allow-host "+name+" if you expect it")
			} else {
				g.refuse(w, r, "host", "Host '"+host+"' is not a valid host name or address with an optional port from 1 to 65535")
			}
			return
		}

		origin := r.Header.Get("Origin")
		if origin == "" {
			origin = r.Header.Get("Sec-WebSocket-Origin")
		}
		lorigin := strings.ToLower(origin)
		allowed := origin != "" && g.origins[lorigin]
		same := origin != "" && !allowed && g.sameOrigin(lorigin, r)
		if origin != "" || len(g.origins) > 0 {
			w.Header().Add("Vary", "Origin")
		}

		// Preflight: answered here, never by next.
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			switch {
			case allowed:
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Credentials", "true")
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
			case same:
				w.WriteHeader(http.StatusNoContent)
			default:
				g.log.Warn("refused preflight", "origin", shorten(origin), "path", shorten(r.URL.Path))
				g.refuse(w, r, "origin", "Origin '"+shorten(origin)+"' is not allowed; start Quire with --allow-origin "+shorten(origin)+" if you expect it")
			}
			return
		}

		cross := origin != "" && !allowed && !same
		if !cross && !allowed && !safeMethod(r.Method) && strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			cross = true
		}
		if cross && IsPublicAsset(r, g.base) && !isWebSocket(r) {
			// Static assets are public and hold no secrets; the sandboxed
			// output frame (opaque origin, "Origin: null") loads its script
			// from here. Served without the Cookie header, so the request
			// can only ever be anonymous.
			r = withoutCookies(r)
			cross = false
		}
		if cross {
			if !carriesToken(r) {
				g.log.Warn("refused cross-origin request", "origin", shorten(origin),
					"method", r.Method, "path", shorten(r.URL.Path), "websocket", isWebSocket(r))
				msg := "Cross-origin request refused"
				if origin != "" {
					msg = "Origin '" + shorten(origin) + "' is not allowed; start Quire with --allow-origin " + shorten(origin) + " if you expect it"
				}
				g.refuse(w, r, "origin", msg)
				return
			}
			// Token-carrying: auth decides, on the token alone.
			r = withoutCookies(r)
		}
		if allowed {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed applies the Host check. Both the Host header and a trusted
// proxy's X-Forwarded-Host must pass: a rebinding page can set the latter on
// its own requests, so it never replaces the former.
//
// On a Unix socket the Host header is not checked (a page cannot make a
// browser connect to one), but a trusted proxy's X-Forwarded-Host still
// is: the proxy's public port can be rebound to like any other.
func (g *Guard) hostAllowed(r *http.Request) bool {
	if !g.hostCheck {
		return true
	}
	if !isUnix(r) && !g.hostOK(r.Host) {
		return false
	}
	if fh := g.lastForwarded(r, "host"); fh != "" && !g.hostOK(fh) {
		return false
	}
	return true
}

func (g *Guard) hostOK(hostport string) bool {
	name := hostName(hostport)
	if name == "" {
		return false
	}
	return isLoopbackName(name) || g.hosts[name]
}

// carriesToken reports Quire's own non-cookie credentials: an
// Authorization header with the token or bearer scheme (any case), or a
// non-empty token query parameter. Other schemes do not count: a browser
// attaches the Basic credentials of a proxy's login to every request on its
// own, cross-site ones included.
func carriesToken(r *http.Request) bool {
	if r.URL.Query().Get("token") != "" {
		return true
	}
	scheme := strings.TrimSpace(r.Header.Get("Authorization"))
	if i := strings.IndexAny(scheme, " \t"); i >= 0 {
		scheme = scheme[:i]
	}
	return strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "bearer")
}

// withoutCookies returns a shallow copy of r without its Cookie header.
func withoutCookies(r *http.Request) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	r2.Header.Del("Cookie")
	return r2
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// refuse answers 403 with Jupyter's JSON error body {"message", "reason"},
// written by package reply like every other error.
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, reason, msg string) {
	g.audit.Refused(r.Context(), reason, audit.F{"method": r.Method, "path": shorten(r.URL.Path),
		"host": shorten(r.Host), "origin": shorten(cmp.Or(r.Header.Get("Origin"), r.Header.Get("Sec-WebSocket-Origin")))})
	reply.WriteMessage(w, http.StatusForbidden, msg)
}

// shorten caps attacker-controlled strings before they reach a message or a
// log line.
func shorten(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
