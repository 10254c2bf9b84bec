package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"quire/internal/audit"
	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/reply"
)

// Middleware is the authentication check every route and WebSocket passes.
// It puts the request's Identity into the context, enforces XSRF, and
// holds the list of public routes:
//
//	GET/HEAD {base}api, GET/HEAD /health, {base}login, {base}logout,
//	{base}oauth_callback (hub mode only: the Hub's OAuth flow returns there),
//	GET/HEAD {base}static/login/… (served here: the login page's CSS)
//	GET/HEAD {base}static/app/… and {base}favicon.ico (the web UI's assets,
//	guard.IsPublicAsset: no secrets in them, and the sandboxed output frame
//	loads its script without credentials)
//
// A request without credentials to a public route may send a body of at
// most MaxUnauthBody bytes (413 otherwise, unread). Every request that
// passes authentication is reported to Options.Authenticated.
//
// Credentials, in order: a token (?token=, or Authorization: token|bearer
// with any case of the scheme), then a trusted proxy's user header
// (Options.UserHeader, only from Options.FromProxy peers; a name outside
// AllowedUsers gets 403), then the login cookie. Other Authorization
// schemes (a proxy's Basic login passed on) are ignored. Without valid ones
// an API request ({base}api/… or a WebSocket upgrade) gets 403 JSON, a page
// GET/HEAD a 302 to {base}login?next=…, any other page request 403.
//
// XSRF: a cookie-authenticated request other than GET/HEAD/OPTIONS must
// carry X-XSRFToken, X-CSRFToken or an _xsrf query/form field equal to the
// _xsrf cookie; so must a request identified by a proxy's user header,
// which a browser repeats on its own. Token requests are exempt, as in
// jupyter_server. A cookie-authenticated GET/HEAD of {base}files/… or
// {base}nbconvert/… is refused when Sec-Fetch-Site says cross-site or
// same-site unless it carries the matching _xsrf, so other sites cannot
// embed user files.
//
// With auth disabled every request is anonymous (MethodNone). Without a
// login cookie the XSRF rule above cannot hinge on one, so instead: a
// request other than GET/HEAD/OPTIONS passes if it carries the matching
// _xsrf, or if it shows no sign of coming from a browser (no Cookie, Origin
// or Sec-Fetch-Site header: curl, kernel gateways, scripts). A browser form
// posted from another site always carries Origin and Sec-Fetch-Site, so it
// is refused. The /files rule applies as well.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.serveAsset(w, r) {
			return
		}
		if a.disabled {
			a.serveDisabled(next, w, r)
			return
		}
		if a.o.Hub != nil {
			a.serveHub(next, w, r)
			return
		}
		user, ok, tokenInQuery, staleCookie, refused := a.identify(r)
		if refused != nil {
			a.refused(r, "user_not_allowed")
			reply.WriteError(w, r, a.log, refused)
			return
		}
		if !ok {
			if a.isPublic(r) {
				if a.limitUnauthBody(w, r) {
					next.ServeHTTP(w, r)
				}
				return
			}
			if staleCookie {
				a.clearLoginCookie(w, r) // forged, expired or logged out
			}
			a.deny(w, r)
			return
		}
		a.o.Authenticated(r)
		audit.SetUser(r.Context(), user.Username)
		if tokenInQuery && r.Method == http.MethodGet && !a.isAPI(r) && isNavigation(r) {
			a.tokenLogin(w, r)
			return
		}
		a.serveAs(next, w, r, user, user.Method == MethodCookie || user.Method == MethodProxy)
	})
}

// serveAs passes an authenticated request on as user's, after the XSRF
// check when the browser's own credentials (cookie, proxy login) signed it
// in, and gives pages an _xsrf cookie.
func (a *Auth) serveAs(next http.Handler, w http.ResponseWriter, r *http.Request, user Identity, checkXSRF bool) {
	if checkXSRF {
		if err := a.checkXSRF(r); err != nil {
			a.log.Info("request refused", "client", a.o.ClientIP(r), "path", r.URL.Path, "reason", "xsrf")
			a.refused(r, "xsrf")
			reply.WriteError(w, r, a.log, err)
			return
		}
	}
	if isSafe(r.Method) && !a.isAPI(r) {
		a.ensureXSRF(w, r)
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, user)))
}

// identify returns the request's user: by token, then a trusted proxy's
// user header, then the login cookie. tokenInQuery reports that the
// credential was ?token=; staleCookie that a login cookie was sent but names
// no live session; refused that the proxy named a user who may not enter.
// A request that presents a wrong token is not identified by the proxy's
// header: the Origin check lets cross-site requests with a token through
// (without their cookies) for the token alone to decide.
func (a *Auth) identify(r *http.Request) (user Identity, ok, tokenInQuery, staleCookie bool, refused error) {
	s, _, present, live := a.session(r)
	q := r.URL.Query().Get("token")
	h := HeaderToken(r)
	if q != "" || h != "" {
		if a.tokenOK(q) || a.tokenOK(h) {
			user = a.tokenUser
			if live {
				user = s // keep the browser's own anonymous user
				user.Method = MethodToken
			}
			return user, true, a.tokenOK(q), false, nil
		}
		a.log.Debug("wrong token", "client", a.o.ClientIP(r), "path", r.URL.Path)
	} else if pu, found, err := a.proxyUser(r); err != nil {
		return Identity{}, false, false, false, err
	} else if found {
		return pu, true, false, false, nil
	}
	if live {
		return s, true, false, false, nil
	}
	return Identity{}, false, false, present, nil
}

// HeaderToken returns the token of "Authorization: token T" or
// "Authorization: Bearer T", scheme in any case.
func HeaderToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	i := strings.IndexAny(h, " \t")
	if i < 0 {
		return ""
	}
	if s := h[:i]; !strings.EqualFold(s, "token") && !strings.EqualFold(s, "bearer") {
		return ""
	}
	return strings.TrimSpace(h[i+1:])
}

// tokenOK compares t with the configured token in constant time (digests
// are compared, so not even the length leaks).
func (a *Auth) tokenOK(t string) bool {
	if t == "" || a.o.Token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(t))
	return subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) == 1
}

// tokenLogin answers a browser page GET with a valid ?token=: it starts a
// session (unless the cookie already names one), sets the cookie and
// redirects to the same URL without the token.
func (a *Auth) tokenLogin(w http.ResponseWriter, r *http.Request) {
	if _, _, _, ok := a.session(r); !ok {
		if err := a.startSession(w, r, a.fpToken); err != nil {
			reply.WriteError(w, r, a.log, err)
			return
		}
		a.log.Info("login", "client", a.o.ClientIP(r), "method", "token")
	}
	a.ensureXSRF(w, r)
	guard.Redirect(w, http.StatusFound, pathAndQuery(r), a.o.BaseURL)
}

// limitUnauthBody caps the body of a request without credentials at
// MaxUnauthBody. One announced bigger is answered 413 at once, unread, and
// false is returned; a longer chunked one fails when read past the limit.
func (a *Auth) limitUnauthBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return true
	}
	if r.ContentLength > a.o.MaxUnauthBody {
		a.bodyTooLarge(w, r, a.o.MaxUnauthBody)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.o.MaxUnauthBody)
	return true
}

// bodyTooLarge answers 413 naming the limit and closes the connection
// rather than read the rest of the body.
func (a *Auth) bodyTooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	msg := "request body too large: the limit is " + strconv.FormatInt(limit, 10) + " bytes"
	if _, ok := FromContext(r.Context()); !ok && limit == a.o.MaxUnauthBody {
		msg += " for requests without credentials (--max-unauth-body)"
	}
	w.Header().Set("Connection", "close")
	reply.WriteMessage(w, http.StatusRequestEntityTooLarge, msg)
}

// deny answers an unauthenticated request to a non-public route.
func (a *Auth) deny(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close") // rather than read the body
	}
	if !a.isAPI(r) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		guard.Redirect(w, http.StatusFound, a.o.BaseURL+"login?next="+url.QueryEscape(pathAndQuery(r)), a.o.BaseURL)
		return // a login prompt, not a refusal
	}
	a.refused(r, "auth")
	reply.WriteError(w, r, a.log, errkind.New(errkind.Unauthenticated, "Forbidden", nil))
}

// serveHub serves a request in hub mode, where JupyterHub is the only
// identity provider (Options.Hub): tokens and the Hub's session cookie are
// checked by the Hub, Quire's own token, password and cookie are not
// accepted. Without credentials, a page GET/HEAD starts the Hub's OAuth
// flow and everything else gets 403 (an API client must never be sent
// round a login loop). The XSRF rules are those of Quire's own cookie.
func (a *Auth) serveHub(next http.Handler, w http.ResponseWriter, r *http.Request) {
	user, ok, err := a.o.Hub.Identify(r)
	if err != nil {
		reply.WriteError(w, r, a.log, err)
		return
	}
	if !ok {
		if a.isPublic(r) {
			if a.limitUnauthBody(w, r) {
				next.ServeHTTP(w, r)
			}
			return
		}
		if r.ContentLength != 0 {
			w.Header().Set("Connection", "close") // rather than read the body
		}
		if !a.isAPI(r) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			a.o.Hub.Login(w, r)
			return
		}
		a.refused(r, "auth")
		reply.WriteError(w, r, a.log, errkind.New(errkind.Unauthenticated, "Forbidden", nil))
		return
	}
	a.o.Authenticated(r)
	audit.SetUser(r.Context(), user.Username)
	a.serveAs(next, w, r, user, user.Method == MethodCookie)
}

// serveDisabled serves a request when auth is disabled (see Middleware).
func (a *Auth) serveDisabled(next http.Handler, w http.ResponseWriter, r *http.Request) {
	a.o.Authenticated(r)
	audit.SetUser(r.Context(), a.anonUser.Username)
	if isSafe(r.Method) || hasBrowserMarks(r) {
		if err := a.checkXSRF(r); err != nil {
			a.refused(r, "xsrf")
			reply.WriteError(w, r, a.log, err)
			return
		}
	}
	if isSafe(r.Method) && !a.isAPI(r) {
		a.ensureXSRF(w, r)
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, a.anonUser)))
}

// checkXSRF applies the XSRF rules to a request that carries cookies.
func (a *Auth) checkXSRF(r *http.Request) error {
	if r.Method == http.MethodOptions {
		return nil
	}
	if isSafe(r.Method) {
		if !a.isUserFile(r) {
			return nil
		}
		if xsrfMatches(r, xsrfArg(r)) {
			return nil
		}
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "same-origin", "none":
			return nil
		}
		return errkind.New(errkind.Forbidden, "Blocking cross-site request for a user file", nil)
	}
	arg := xsrfArg(r)
	if arg == "" {
		return errkind.New(errkind.Forbidden, "'_xsrf' argument missing from POST", nil)
	}
	if !xsrfMatches(r, arg) {
		return errkind.New(errkind.Forbidden, "XSRF cookie does not match POST argument", nil)
	}
	return nil
}

// xsrfArg is the XSRF token a request presents: X-XSRFToken, X-CSRFToken,
// an _xsrf query parameter, or an _xsrf field of a form-encoded body (the
// body is then parsed into r.PostForm).
func xsrfArg(r *http.Request) string {
	for _, h := range []string{"X-XSRFToken", "X-CSRFToken"} {
		if v := r.Header.Get(h); v != "" {
			return v
		}
	}
	if v := r.URL.Query().Get("_xsrf"); v != "" {
		return v
	}
	if !isSafe(r.Method) && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return r.PostFormValue("_xsrf")
	}
	return ""
}

// xsrfMatches compares arg with the _xsrf cookie in constant time.
func xsrfMatches(r *http.Request, arg string) bool {
	c, err := r.Cookie(xsrfCookie)
	if err != nil || c.Value == "" || arg == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(arg)) == 1
}

// hasBrowserMarks reports whether a request shows signs of a browser.
func hasBrowserMarks(r *http.Request) bool {
	return r.Header.Get("Cookie") != "" || r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != ""
}

// isNavigation reports whether a GET looks like a browser loading a page;
// only then does ?token= turn into a cookie and a redirect (curl and wget
// follow redirects without keeping cookies).
func isNavigation(r *http.Request) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" {
		return m == "navigate"
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// isAPI reports whether r gets API answers (JSON, never a redirect).
func (a *Auth) isAPI(r *http.Request) bool {
	rel, ok := a.base.Rel(r)
	return ok && (rel == "api" || strings.HasPrefix(rel, "api/")) || isWebSocket(r)
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// isUserFile reports whether r reads a user file that other sites must not
// embed.
func (a *Auth) isUserFile(r *http.Request) bool {
	rel, ok := a.base.Rel(r)
	return ok && (strings.HasPrefix(rel, "files/") || strings.HasPrefix(rel, "nbconvert/"))
}

// isPublic reports whether r needs no credentials. This is the whole list.
func (a *Auth) isPublic(r *http.Request) bool {
	rel, under := a.base.Rel(r)
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case under && (rel == "login" || rel == "logout"):
		return true
	case under && a.o.Hub != nil && rel == "oauth_callback":
		return true
	case read && (under && rel == "api" || r.URL.Path == "/health"):
		return true
	case guard.IsPublicAsset(r, a.base):
		return true
	}
	return false
}

// pathAndQuery is r's path and query with any token parameter removed.
func pathAndQuery(r *http.Request) string {
	q := stripToken(r.URL.RawQuery)
	if q == "" {
		return r.URL.EscapedPath()
	}
	return r.URL.EscapedPath() + "?" + q
}

// stripToken removes token parameters from a raw query, keeping every
// other part as sent (including bare keys such as a cache-buster). A part
// that hides a token behind ";" (which Go does not parse) goes too.
func stripToken(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		if !hasTokenKey(p) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "&")
}

func hasTokenKey(part string) bool {
	for sub := range strings.SplitSeq(part, ";") {
		k, _, _ := strings.Cut(sub, "=")
		if uk, err := url.QueryUnescape(k); k == "token" || err == nil && strings.TrimSpace(uk) == "token" {
			return true
		}
	}
	return false
}
