package auth

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/reply"
)

//go:embed assets
var assets embed.FS

// maxLoginForm bounds a login POST body; maxPassword a password worth
// hashing.
const (
	maxLoginForm = 64 << 10
	maxPassword  = 4096
)

// errBusy: too many logins are waiting for a password check slot.
var errBusy = errors.New("password checks busy")

func parsePages() (*template.Template, error) {
	return template.ParseFS(assets, "assets/*.html")
}

// page is what the login and logout templates show.
type page struct {
	Title, Base, Action, XSRF, Label, Error, Message string
}

// serveAsset serves the login page's stylesheet, a public route, so the
// page needs no inline style under a strict CSP.
func (a *Auth) serveAsset(w http.ResponseWriter, r *http.Request) bool {
	if !a.base.Is(r, "static/login/login.css") ||
		(r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	css, err := assets.ReadFile("assets/login.css")
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Length", strconv.Itoa(len(css)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(css)
	}
	return true
}

// Login serves GET and POST {base}login. GET renders the form and sets the
// _xsrf cookie (or redirects a logged-in client to next). POST takes the
// form fields password and _xsrf (or the X-XSRFToken header), which must
// match the _xsrf cookie; the password may also be the token. Success
// starts a session, sets the login cookie as the first Set-Cookie and
// redirects 302 to next through guard.Redirect (to base if next is
// refused). A wrong password gets 401 and the form again; a throttled client
// 429 with Retry-After, without the password being checked.
func (a *Auth) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			a.loginGet(w, r)
		case http.MethodPost:
			a.loginPost(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			reply.WriteMessage(w, http.StatusMethodNotAllowed, "Method not allowed")
		}
	})
}

func (a *Auth) loginGet(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if _, ok, _, _, _ := a.identify(r); ok || a.disabled {
		guard.Redirect(w, http.StatusFound, next, a.o.BaseURL)
		return
	}
	a.renderLogin(w, r, http.StatusOK, next, "")
}

func (a *Auth) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.bodyTooLarge(w, r, mbe.Limit)
			return
		}
		reply.WriteError(w, r, a.log, errkind.New(errkind.Invalid, "invalid login form", err))
		return
	}
	next := r.FormValue("next")
	if a.disabled {
		guard.Redirect(w, http.StatusFound, next, a.o.BaseURL)
		return
	}
	arg := xsrfArg(r)
	switch {
	case arg == "":
		a.refused(r, "xsrf")
		reply.WriteError(w, r, a.log, errkind.New(errkind.Forbidden, "'_xsrf' argument missing from POST", nil))
		return
	case !xsrfMatches(r, arg):
		a.refused(r, "xsrf")
		reply.WriteError(w, r, a.log, errkind.New(errkind.Forbidden, "XSRF cookie does not match POST argument", nil))
		return
	}

	client := a.o.ClientIP(r)
	gate, wait, msg := a.beginLogin(r, client) // device cookie or throttles: device.go
	if wait > 0 {
		a.auditThrottled(r, "failures", int((wait+time.Second-1)/time.Second))
		a.o.Logins(LoginThrottled)
		a.tooMany(w, r, next, wait, msg)
		return
	}
	fp, ok, err := a.checkCredential(r.Context(), r.PostFormValue("password"), gate.trusted)
	if err != nil {
		gate.abort()
		if errors.Is(err, errBusy) {
			a.log.Warn("login refused: password checks busy", "client", client)
			a.auditThrottled(r, "busy", 1)
			a.o.Logins(LoginThrottled)
			a.tooMany(w, r, next, time.Second, "The server is busy checking passwords; try again in ")
		}
		return // else the client went away
	}
	gate.end(ok)
	if !ok {
		a.log.Info("login failed", "client", client)
		a.auditLoginFailed(r)
		a.o.Logins(LoginFailure)
		a.renderLogin(w, r, http.StatusUnauthorized, next, "Invalid credentials")
		return
	}
	if _, id, _, _ := a.session(r); id != nil {
		_ = a.sessions.remove(id, a.o.Now()) // no fixation: always a new session
	}
	if err := a.startSession(w, r, fp); err != nil {
		reply.WriteError(w, r, a.log, err)
		return
	}
	a.setDeviceCookie(w, r, gate)
	a.log.Info("login", "client", client)
	a.o.Logins(LoginSuccess)
	guard.Redirect(w, http.StatusFound, next, a.o.BaseURL)
}

// checkCredential checks pw against the token (cheap, constant-time) and
// then the password hash, at most MaxConcurrentChecks at a time (plus one
// for trusted devices). It returns the fingerprint of the credential that
// matched.
func (a *Auth) checkCredential(ctx context.Context, pw string, trusted bool) (fp string, ok bool, err error) {
	if a.tokenOK(pw) {
		return a.fpToken, true, nil
	}
	if a.o.PasswordHash == "" || pw == "" || len(pw) > maxPassword {
		return "", false, nil
	}
	queued, own := &a.queued, chan struct{}(nil) // nil: never ready
	if trusted {
		queued, own = &a.devQueued, a.devSem
	}
	if int(queued.Add(1)) > a.o.MaxQueuedChecks {
		queued.Add(-1)
		return "", false, errBusy
	}
	select {
	case a.sem <- struct{}{}:
		queued.Add(-1)
		defer func() { <-a.sem }()
	case own <- struct{}{}:
		queued.Add(-1)
		defer func() { <-own }()
	case <-ctx.Done():
		queued.Add(-1)
		return "", false, ctx.Err()
	}
	a.hashRuns.Add(1)
	ok, err = a.verify(a.o.PasswordHash, pw)
	if err != nil {
		a.log.Error("password check", "err", err)
		return "", false, nil
	}
	return a.fpPass, ok, nil
}

// tooMany answers 429 with Retry-After and the form with msg + N seconds.
func (a *Auth) tooMany(w http.ResponseWriter, r *http.Request, next string, wait time.Duration, msg string) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	unit := " seconds"
	if secs == 1 {
		unit = " second"
	}
	a.renderLogin(w, r, http.StatusTooManyRequests, next, msg+strconv.Itoa(secs)+unit)
}

func (a *Auth) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	p := page{Title: "Log in", Base: a.o.BaseURL, Action: a.o.BaseURL + "login", Error: msg, Label: "Password"}
	if next != "" {
		p.Action += "?next=" + url.QueryEscape(guard.SafeNext(next, a.o.BaseURL))
	}
	if a.o.Token != "" {
		p.Label = "Password or token"
	}
	p.XSRF = a.ensureXSRF(w, r)
	a.render(w, r, status, "login.html", p)
}

// Logout serves {base}logout (GET as jupyter_server does, HEAD and POST
// too): it deletes the server-side session, so the old cookie no longer
// works even if replayed, clears the login cookie and shows a link to the
// login page.
func (a *Auth) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			reply.WriteMessage(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		p := page{Title: "Logged out", Base: a.o.BaseURL, Message: "You have logged out."}
		if a.disabled {
			p.Message = "Authentication is disabled on this server; there is nothing to log out of."
		}
		if user, id, _, live := a.session(r); id != nil {
			if err := a.sessions.remove(id, a.o.Now()); err != nil {
				a.log.Error("logout", "err", err)
			}
			if live {
				a.auditLogout(r, user, id)
			}
			a.log.Info("logout", "client", a.o.ClientIP(r))
		}
		a.clearLoginCookie(w, r)
		a.render(w, r, http.StatusOK, "logout.html", p)
	})
}

func (a *Auth) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	pages, err := a.pages()
	if err == nil {
		err = pages.ExecuteTemplate(&buf, name, p)
	}
	if err != nil {
		reply.WriteError(w, r, a.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
