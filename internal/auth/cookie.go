package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// cookieName is jupyter_server's login cookie name: "username-" plus the
// Host header with every character but ASCII letters and digits replaced by
// "-" (username-localhost-8888). Cookies ignore ports, so servers on one
// host but different ports thus keep apart.
func cookieName(r *http.Request) string {
	var b strings.Builder
	b.WriteString("username-")
	for i := 0; i < len(r.Host) && i < 256; i++ {
		c := r.Host[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// The login cookie's value is base64url(session id) "." base64url(HMAC).
// The signature lets forged values be refused without a store lookup and
// ties the cookie to the password hash; the session itself lives on the
// server, so logout really ends it.
func (a *Auth) cookieValue(id []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString(id) + "." + enc.EncodeToString(mac(a.cookieKey, "session", string(id)))
}

// parseCookie returns the session id of a well-signed cookie value.
func (a *Auth) parseCookie(v string) ([]byte, bool) {
	idPart, sigPart, ok := strings.Cut(v, ".")
	if !ok || len(v) > 200 {
		return nil, false
	}
	enc := base64.RawURLEncoding
	id, err1 := enc.DecodeString(idPart)
	sig, err2 := enc.DecodeString(sigPart)
	if err1 != nil || err2 != nil || len(id) != sessionIDLen {
		return nil, false
	}
	return id, hmac.Equal(sig, mac(a.cookieKey, "session", string(id)))
}

// session returns the live session the request's login cookie names.
// present reports whether a login cookie was sent at all.
func (a *Auth) session(r *http.Request) (user Identity, id []byte, present, ok bool) {
	c, err := r.Cookie(cookieName(r))
	if err != nil {
		return Identity{}, nil, false, false
	}
	id, ok = a.parseCookie(c.Value)
	if !ok {
		return Identity{}, nil, true, false
	}
	user, ok = a.sessions.lookup(r.Context(), id, a.o.Now())
	return user, id, true, ok
}

// startSession creates a session made with the credential fingerprint fp and
// sets its cookie on w. Callers set it before any other cookie: VS Code
// takes the first Set-Cookie of a login as the session cookie.
func (a *Auth) startSession(w http.ResponseWriter, r *http.Request, fp string) error {
	user, err := newAnonymous()
	if err != nil {
		return err
	}
	now := a.o.Now()
	id, err := a.sessions.create(now, fp, user)
	if err != nil {
		// The session works until restart; losing it then is acceptable.
		a.log.Error("login session not saved", "err", err)
	}
	if id == nil {
		return err
	}
	a.auditLogin(r, user, id, fp)
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(r),
		Value:    a.cookieValue(id),
		Path:     a.o.BaseURL,
		MaxAge:   int(a.o.SessionMax / time.Second),
		Expires:  now.Add(a.o.SessionMax),
		HttpOnly: true,
		Secure:   a.o.IsSecure(r),
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// clearLoginCookie expires the login cookie at the base path and, like
// jupyter_server, at "/" (older servers set it there).
func (a *Auth) clearLoginCookie(w http.ResponseWriter, r *http.Request) {
	paths := []string{a.o.BaseURL}
	if a.o.BaseURL != "/" {
		paths = append(paths, "/")
	}
	for _, p := range paths {
		http.SetCookie(w, &http.Cookie{
			Name: cookieName(r), Value: "", Path: p, MaxAge: -1,
			HttpOnly: true, Secure: a.o.IsSecure(r), SameSite: http.SameSiteLaxMode,
		})
	}
}

const xsrfCookie = "_xsrf"

// ensureXSRF returns the request's _xsrf cookie value, setting a new random
// one on w when it is missing or unusable. The cookie is not HttpOnly:
// clients read it and echo it in X-XSRFToken.
func (a *Auth) ensureXSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(xsrfCookie); err == nil && c.Value != "" && len(c.Value) <= 200 {
		return c.Value
	}
	v := rand.Text() // 128 random bits
	http.SetCookie(w, &http.Cookie{
		Name:     xsrfCookie,
		Value:    v,
		Path:     a.o.BaseURL,
		Secure:   a.o.IsSecure(r),
		SameSite: http.SameSiteLaxMode,
	})
	return v
}
