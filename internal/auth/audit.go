package auth

import (
	"context"
	"net/http"

	"quire/internal/audit"
)

// The audit records auth makes (Options.Audit). None carries a credential:
// a session is named by the first 16 hex digits of its id's SHA-256 (the
// session store's own key), never the id.

func (a *Auth) auditLogin(r *http.Request, user Identity, id []byte, fp string) {
	method := "password"
	if fp == a.fpToken {
		method = "token"
	}
	a.o.Audit.Record(r.Context(), audit.Event{Name: "login.success", User: user.Username,
		Fields: audit.F{"method": method, "session": idHash(id)[:16]}})
}

func (a *Auth) auditLoginFailed(r *http.Request) {
	a.o.Audit.Record(r.Context(), audit.Event{Name: "login.failure", Outcome: audit.Denied})
}

func (a *Auth) auditThrottled(r *http.Request, reason string, wait int) {
	a.o.Audit.Record(r.Context(), audit.Event{Name: "login.throttled", Outcome: audit.Denied,
		Fields: audit.F{"reason": reason, "retry_after": wait}})
}

func (a *Auth) auditLogout(r *http.Request, user Identity, id []byte) {
	a.o.Audit.Record(r.Context(), audit.Event{Name: "logout", User: user.Username,
		Fields: audit.F{"session": idHash(id)[:16]}})
}

// sessionEnded is the session store's report of a session that ended
// other than by logout: expired (idle, max_age) or revoked (its
// credential changed, or evicted by --max-sessions).
func (a *Auth) sessionEnded(ctx context.Context, r *record, reason string) {
	name := "session.expired"
	if reason == "credential" || reason == "evicted" {
		name = "session.revoked"
	}
	a.o.Audit.Record(ctx, audit.Event{Name: name, User: r.User.Username,
		Fields: audit.F{"reason": reason, "session": r.ID[:16]}})
}

// refused records a request a security check refused.
func (a *Auth) refused(r *http.Request, reason string) {
	a.o.Audit.Refused(r.Context(), reason, audit.F{"method": r.Method, "path": r.URL.Path})
}
