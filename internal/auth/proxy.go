package auth

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"quire/internal/errkind"
	"quire/internal/guard"
)

// maxUserName bounds a user name taken from a proxy's header.
const maxUserName = 256

// proxyUser reads the user a trusted proxy signed in (Options.UserHeader).
// found is false when the header is not configured, absent or empty, or
// when the request did not come straight from a trusted proxy: then the
// header is ignored (and logged, rate-limited) and other credentials
// decide. A name that is malformed or not among Options.AllowedUsers is
// refused with a Forbidden error the client may read.
func (a *Auth) proxyUser(r *http.Request) (user Identity, found bool, err error) {
	if a.o.UserHeader == "" {
		return Identity{}, false, nil
	}
	vals := r.Header.Values(a.o.UserHeader)
	if len(vals) == 0 || len(vals) == 1 && strings.TrimSpace(vals[0]) == "" {
		return Identity{}, false, nil
	}
	if !a.o.FromProxy(r) {
		a.ignored.log(a, r)
		return Identity{}, false, nil
	}
	if len(vals) > 1 {
		// A proxy that appends instead of replacing would leave the
		// client's own value beside its own: refuse rather than guess.
		return Identity{}, false, errkind.New(errkind.Forbidden,
			"The proxy sent "+a.o.UserHeader+" more than once; it must replace the client's header, not add to it", nil)
	}
	name := strings.TrimSpace(vals[0])
	if !validUserName(name) {
		return Identity{}, false, errkind.New(errkind.Forbidden,
			"The proxy's "+a.o.UserHeader+" header holds no valid user name", nil)
	}
	if a.allowed != nil && !a.allowed[name] {
		a.log.Info("request refused", "client", a.o.ClientIP(r), "path", r.URL.Path, "reason", "user not in --allowed-users", "user", name)
		return Identity{}, false, errkind.New(errkind.Forbidden,
			fmt.Sprintf("User %q may not use this server: ask its administrator to add the name to --allowed-users", name), nil)
	}
	initials := ""
	if c, _ := utf8.DecodeRuneInString(name); c != utf8.RuneError {
		initials = string(unicode.ToUpper(c))
	}
	return Identity{Username: name, Name: name, DisplayName: name, Initials: initials, Method: MethodProxy}, true, nil
}

// validUserName accepts printable UTF-8 of at most maxUserName bytes.
func validUserName(s string) bool {
	if s == "" || len(s) > maxUserName || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// logEvery writes one log line per period at most and counts the ones it
// held back, which the next line reports. The user header from a client
// that is not a trusted proxy is logged through it: any client can send
// the header on every request.
type logEvery struct {
	period     time.Duration
	mu         sync.Mutex
	next       time.Time
	suppressed int
}

func (l *logEvery) log(a *Auth, r *http.Request) {
	now := a.o.Now()
	l.mu.Lock()
	if now.Before(l.next) {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.suppressed, l.next = 0, now.Add(l.period)
	l.mu.Unlock()
	a.log.Warn("ignored the trusted user header: the request did not come from a --trusted-proxy",
		"header", a.o.UserHeader, "client", a.o.ClientIP(r), "path", r.URL.Path, "suppressed", n)
}

// checkUserHeader refuses header names that are not HTTP tokens, and
// headers that carry something else: credentials, cookies, routing or
// forwarding information a client or proxy sets for its own reasons.
func checkUserHeader(name string) error {
	if !guard.IsToken(name) {
		return fmt.Errorf("trusted user header %q is not a valid header name", name)
	}
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "host", "forwarded", "origin", "referer",
		"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "x-xsrftoken", "x-csrftoken":
		return fmt.Errorf("trusted user header %q already means something else; use a header of its own such as X-Remote-User", name)
	}
	return nil
}
