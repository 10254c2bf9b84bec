package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"quire/internal/audit"
	"quire/internal/auth"
	"quire/internal/baseurl"
	"quire/internal/errkind"
	"quire/internal/guard"
	"quire/internal/reply"
)

// Options configure New.
type Options struct {
	Env    Env
	Client *Client
	// IsSecure reports a request that reached Quire over https (directly
	// or through a trusted proxy): cookies are then Secure. They always are
	// when JUPYTERHUB_PUBLIC_URL or JUPYTERHUB_HOST is https.
	IsSecure func(*http.Request) bool
	// CacheTTL bounds how long a Hub answer about a token is believed
	// (default and maximum 5 min); refusals are believed 30 s at most.
	CacheTTL time.Duration
	Log      *slog.Logger
	Now      func() time.Time
	// Audit records logins and logouts through the Hub (nil: off).
	Audit *audit.Log
}

// Hub signs requests in with JupyterHub. Make one with New.
type Hub struct {
	o       Options
	env     Env
	prefix  baseurl.Path // env.Prefix: requests are matched against it
	log     *slog.Logger
	version string // the Hub's version, echoed on every response

	mu       sync.Mutex
	sessions map[string]*session // by cookie value; this process's only
	pending  map[string]*pending // OAuth states
	cache    map[cacheKey]cached
	lastSeen time.Time // latest request that counts as activity
	// first is signalled by the first activity, which RunActivity reports
	// at once (buffered; later signals are dropped).
	first chan struct{}
}

type session struct {
	token   string
	expires time.Time
}

type pending struct {
	verifier string
	next     string
	created  time.Time
	// retry: this flow restarted a login whose callback came back
	// without a matching state cookie; if its own does too, the browser
	// keeps no cookies of ours and another round would loop.
	retry bool
}

type cacheKey struct {
	hubSession string
	tokenSum   [sha256.Size]byte
}

type cached struct {
	user *User // nil: the Hub refused the token
	at   time.Time
}

const (
	stateTTL    = 10 * time.Minute
	negativeTTL = 30 * time.Second
	maxEntries  = 10000 // each of sessions, pending states, cache entries
	maxCookie   = 14 * 24 * time.Hour
)

// New returns a Hub for env; version is the Hub's version learned at start
// ("" = unknown: no version header).
func New(o Options, version string) *Hub {
	if o.CacheTTL <= 0 || o.CacheTTL > 5*time.Minute {
		o.CacheTTL = 5 * time.Minute
	}
	if o.IsSecure == nil {
		o.IsSecure = func(r *http.Request) bool { return r.TLS != nil }
	}
	if o.Env.PublicHTTPS {
		o.IsSecure = func(*http.Request) bool { return true }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	prefix, err := baseurl.Parse(o.Env.Prefix)
	if err != nil {
		// LoadEnv refuses such a prefix; an Env built otherwise gets the
		// one prefix that cannot be wrong about what it matches.
		o.Log.Error("hub: bad prefix", "err", err)
		prefix = baseurl.Root
	}
	o.Env.Prefix = prefix.String()
	return &Hub{
		o: o, env: o.Env, prefix: prefix, log: o.Log, version: version,
		sessions: map[string]*session{},
		pending:  map[string]*pending{},
		cache:    map[cacheKey]cached{},
		lastSeen: o.Now(),
		first:    make(chan struct{}, 1),
	}
}

// WaitVersion asks the Hub for its version, retrying after each of sleeps
// (the reference waits 2, 4, 8, 16, 16 s); the last failure is returned.
func WaitVersion(ctx context.Context, c *Client, sleeps []time.Duration, log *slog.Logger) (string, error) {
	var err error
	for i := 0; ; i++ {
		var v string
		if v, err = c.Version(ctx); err == nil {
			return v, nil
		}
		if i >= len(sleeps) {
			return "", err
		}
		log.Warn("the Hub API did not answer; retrying", "attempt", i+1, "wait", sleeps[i].String(), "err", err)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(sleeps[i]):
		}
	}
}

// Headers adds X-JupyterHub-Version (the Hub's own, so the Hub sees no
// mismatch) to every response, redirects and errors included. It also
// sends the prefix without its slash (/user/alice, which the proxy routes
// here) to the prefix: a fixed target, for anybody.
func (h *Hub) Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.version != "" {
			w.Header().Set("X-JupyterHub-Version", h.version)
		}
		if h.prefix.Bare(r) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			http.Redirect(w, r, h.env.Prefix+query(r), http.StatusFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Identify returns the Hub user of r's credentials for the auth
// middleware: a header token (Authorization: token|bearer), ?token= on a
// WebSocket upgrade (or anywhere with JUPYTERHUB_ALLOW_TOKEN_IN_URL),
// else this server's session cookie. found is false without credentials or
// with ones the Hub does not know; an error is a refusal (403: the token's
// scopes do not reach this server) or the Hub failing (503).
func (h *Hub) Identify(r *http.Request) (id auth.Identity, found bool, err error) {
	method := auth.MethodToken
	token := auth.HeaderToken(r)
	if token == "" && (isWebSocket(r) || h.env.AllowTokenInURL) {
		token = r.URL.Query().Get("token")
	}
	var sid string
	if token == "" {
		if isWebSocket(r) && !h.env.WebSocketCookie {
			return auth.Identity{}, false, nil
		}
		c, cerr := r.Cookie(h.cookieName())
		if cerr != nil || c.Value == "" {
			return auth.Identity{}, false, nil
		}
		sid = c.Value
		h.mu.Lock()
		s := h.sessions[sid]
		if s != nil && !h.o.Now().Before(s.expires) {
			delete(h.sessions, sid)
			s = nil
		}
		h.mu.Unlock()
		if s == nil {
			return auth.Identity{}, false, nil
		}
		token, method = s.token, auth.MethodCookie
	}
	u, err := h.lookup(r.Context(), hubSession(r), token)
	if err != nil {
		h.log.Warn("could not identify a request with the Hub", "path", r.URL.Path, "err", err)
		return auth.Identity{}, false, errkind.New(errkind.Retry, "The Hub could not be reached to check your login; try again shortly", err)
	}
	if u == nil {
		if sid != "" { // revoked, e.g. by a Hub logout
			h.mu.Lock()
			delete(h.sessions, sid)
			h.mu.Unlock()
		}
		return auth.Identity{}, false, nil
	}
	if !Allowed(u.Scopes, h.env.AccessScopes) {
		h.log.Info("request refused", "path", r.URL.Path, "user", u.Name, "kind", u.Kind, "reason", "no access scope for this server")
		return auth.Identity{}, false, errkind.New(errkind.Forbidden,
			fmt.Sprintf("%s may not access this server (it is %s's)", u.Name, h.env.User), nil)
	}
	h.touch(r)
	return identity(u, method), true, nil
}

func identity(u *User, m auth.Method) auth.Identity {
	initials := ""
	if c, _ := utf8.DecodeRuneInString(u.Name); c != utf8.RuneError {
		initials = string(unicode.ToUpper(c))
	}
	return auth.Identity{Username: u.Name, Name: u.Name, DisplayName: u.Name, Initials: initials, Method: m}
}

// lookup returns the Hub's (cached) answer about token. Hub errors are not
// cached.
func (h *Hub) lookup(ctx context.Context, hubSession, token string) (*User, error) {
	key := cacheKey{hubSession, sha256.Sum256([]byte(token))}
	now := h.o.Now()
	h.mu.Lock()
	c, ok := h.cache[key]
	h.mu.Unlock()
	if ok {
		ttl := h.o.CacheTTL
		if c.user == nil {
			ttl = min(ttl, negativeTTL)
		}
		if now.Sub(c.at) < ttl {
			return c.user, nil
		}
	}
	u, err := h.o.Client.Identify(ctx, token)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.prune(now)
	h.cache[key] = cached{user: u, at: now}
	h.mu.Unlock()
	return u, nil
}

// prune drops expired entries once a map is full; if none has expired,
// the whole map (a flood of made-up tokens or states must not grow memory).
// Called with h.mu held.
func (h *Hub) prune(now time.Time) {
	if len(h.cache) >= maxEntries {
		for k, c := range h.cache {
			if now.Sub(c.at) >= h.o.CacheTTL {
				delete(h.cache, k)
			}
		}
		if len(h.cache) >= maxEntries {
			clear(h.cache)
		}
	}
	if len(h.pending) >= maxEntries {
		for k, p := range h.pending {
			if now.Sub(p.created) >= stateTTL {
				delete(h.pending, k)
			}
		}
		if len(h.pending) >= maxEntries {
			clear(h.pending)
		}
	}
	if len(h.sessions) >= maxEntries {
		for k, s := range h.sessions {
			if !now.Before(s.expires) {
				delete(h.sessions, k)
			}
		}
	}
}

// hubSession is the Hub's own session cookie, part of the cache key: a Hub
// logout changes it, so the next request asks the Hub again.
func hubSession(r *http.Request) string {
	if c, err := r.Cookie("jupyterhub-session-id"); err == nil {
		return c.Value
	}
	return ""
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Login answers a page GET without credentials: it starts the OAuth code
// flow with PKCE (S256), binding a fresh state to the browser with a
// cookie, and redirects to the Hub's authorize endpoint. Afterwards the
// browser returns to the page it asked for.
func (h *Hub) Login(w http.ResponseWriter, r *http.Request) {
	next := h.env.Prefix
	if rest, ok := h.prefix.Cut(r.URL.EscapedPath()); ok {
		next += rest + query(r) // in the prefix's own spelling
	}
	h.startOAuth(w, r, next, false)
}

func query(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

func (h *Hub) startOAuth(w http.ResponseWriter, r *http.Request, next string, retry bool) {
	if !strings.HasPrefix(next, h.env.Prefix) {
		next = h.env.Prefix
	}
	state, err1 := randomString(16)
	verifier, err2 := randomString(32)
	if err := errors.Join(err1, err2); err != nil {
		reply.WriteError(w, r, h.log, fmt.Errorf("start oauth: %w", err))
		return
	}
	sum := sha256.Sum256([]byte(verifier))
	now := h.o.Now()
	h.mu.Lock()
	h.prune(now)
	h.pending[state] = &pending{verifier: verifier, next: next, created: now, retry: retry}
	h.mu.Unlock()
	http.SetCookie(w, h.cookie(r, h.stateCookie(), state, stateTTL, false))
	q := url.Values{
		"client_id":             {h.env.ClientID},
		"redirect_uri":          {h.env.CallbackURL},
		"response_type":         {"code"},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	http.Redirect(w, r, h.env.HubPrefix()+"api/oauth2/authorize?"+q.Encode(), http.StatusFound)
}

// cookieName is the login cookie's name: the OAuth client id, with
// "__Host-" when JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED is set.
func (h *Hub) cookieName() string {
	if h.env.HostPrefix {
		return "__Host-" + h.env.ClientID
	}
	return h.env.ClientID
}

func (h *Hub) stateCookie() string { return h.cookieName() + "-oauth-state" }

// cookie is the one place hub mode's cookies are made: HttpOnly, path =
// prefix, SameSite=Lax, Secure when the browser's scheme is https, then the
// admin's JUPYTERHUB_COOKIE_OPTIONS (for the login cookie also its
// lifetime), then the rules of a "__Host-" name (path /, Secure, no
// Domain). life < 0 clears the cookie.
func (h *Hub) cookie(r *http.Request, name, value string, life time.Duration, login bool) *http.Cookie {
	o := h.env.Cookie
	c := &http.Cookie{Name: name, Value: value, Path: h.env.Prefix, HttpOnly: true,
		Secure: h.o.IsSecure(r) || o.Secure, SameSite: http.SameSiteLaxMode, Domain: o.Domain}
	if o.SameSite != 0 {
		c.SameSite = o.SameSite
	}
	if c.SameSite == http.SameSiteNoneMode {
		c.Secure = true // browsers drop SameSite=None cookies that are not Secure
	}
	switch {
	case life < 0:
		c.MaxAge, c.Value = -1, ""
	case login && o.Session:
		// a browser-session cookie: no Max-Age
	case login && o.MaxAge > 0:
		c.MaxAge = int(min(life, o.MaxAge) / time.Second)
	default:
		c.MaxAge = int(life / time.Second)
	}
	if h.env.HostPrefix {
		c.Path, c.Secure, c.Domain = "/", true, ""
	}
	return c
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Routes serves the routes of hub mode under the prefix ({prefix}
// oauth_callback, login, logout, and {prefix} itself, which leads to
// JUPYTERHUB_DEFAULT_URL's page) and passes every other request to next.
// It sits inside the auth middleware, whose public-route list names the
// first three.
func (h *Hub) Routes(next http.Handler) http.Handler {
	page, ok := Page(h.env.DefaultURL)
	if !ok {
		h.log.Warn("JUPYTERHUB_DEFAULT_URL names no Quire page; GET {prefix} opens the file browser", "default_url", h.env.DefaultURL)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel, ok := h.prefix.Rel(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		switch rel {
		case "oauth_callback":
			h.callback(w, r)
		case "login":
			h.startOAuth(w, r, h.env.Prefix, false)
		case "logout":
			h.logout(w, r)
		case "":
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				next.ServeHTTP(w, r)
				return
			}
			guard.Redirect(w, http.StatusFound, h.env.Prefix+page, h.env.Prefix)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// callback finishes the OAuth flow (spec §6.4).
func (h *Hub) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		reply.WriteError(w, r, h.log, errkind.New(errkind.Invalid, "OAuth error: "+e+" "+q.Get("error_description"), nil))
		return
	}
	code, state := q.Get("code"), q.Get("state")
	if code == "" || state == "" {
		reply.WriteError(w, r, h.log, errkind.New(errkind.Invalid, "OAuth callback without code or state", nil))
		return
	}
	// A state is accepted only if this process issued it (and it has not
	// expired or been used) and the browser's state cookie holds it: a
	// forged or replayed one never gets its code exchanged.
	c, err := r.Cookie(h.stateCookie())
	matches := err == nil && c.Value == state
	now := h.o.Now()
	h.mu.Lock()
	p := h.pending[state]
	delete(h.pending, state) // one use, whatever comes of it
	h.mu.Unlock()
	if p != nil && now.Sub(p.created) >= stateTTL {
		p = nil
	}
	if !matches || p == nil {
		h.staleCallback(w, r, p)
		return
	}
	http.SetCookie(w, h.cookie(r, h.stateCookie(), "", -1, false))

	token, expires, err := h.o.Client.Exchange(r.Context(), h.env.ClientID, code, h.env.CallbackURL, p.verifier)
	if err != nil {
		reply.WriteError(w, r, h.log, errkind.New(errkind.Retry, "The Hub refused to complete the login; try again", err))
		return
	}
	u, err := h.lookup(r.Context(), hubSession(r), token)
	switch {
	case err != nil:
		reply.WriteError(w, r, h.log, errkind.New(errkind.Retry, "The Hub could not be reached to check your login; try again shortly", err))
		return
	case u == nil:
		reply.WriteError(w, r, h.log, errkind.New(errkind.Forbidden, "The Hub does not know the token it just issued; log in again", nil))
		return
	case !Allowed(u.Scopes, h.env.AccessScopes):
		h.o.Audit.Record(r.Context(), audit.Event{Name: "login.failure", Outcome: audit.Denied, User: u.Name,
			Fields: audit.F{"method": "hub_oauth", "reason": "not_allowed"}})
		reply.WriteError(w, r, h.log, errkind.New(errkind.Forbidden, fmt.Sprintf("%s may not access this server (it is %s's)", u.Name, h.env.User), nil))
		return
	}
	if expires <= 0 || expires > maxCookie {
		expires = maxCookie
	}
	sid, err := randomString(32)
	if err != nil {
		reply.WriteError(w, r, h.log, fmt.Errorf("oauth callback: %w", err))
		return
	}
	h.mu.Lock()
	h.prune(now)
	h.sessions[sid] = &session{token: token, expires: now.Add(expires)}
	h.mu.Unlock()
	http.SetCookie(w, h.cookie(r, h.cookieName(), sid, expires, true))
	h.log.Info("login", "user", u.Name, "kind", u.Kind, "method", "hub oauth")
	h.o.Audit.Record(r.Context(), audit.Event{Name: "login.success", User: u.Name, Fields: audit.F{"method": "hub_oauth", "kind": u.Kind}})
	guard.Redirect(w, http.StatusFound, p.next, h.env.Prefix)
}

// staleCallback answers a callback whose state is not this browser's
// current one: a second tab's login overwrote the state cookie, a
// bookmarked or reloaded callback URL, a state cookie that expired, a
// restart of this server, or a forged state. The code is never exchanged.
// A browser already signed in goes on to the page the login was for (while
// this process holds the unused state; else the prefix), as
// jupyterhub-singleuser does; any other is sent through the Hub's login once more, to the same page. If
// that second login's callback fails the same way, the browser keeps no
// cookies of ours: 403 with the likely cause, not another round.
func (h *Hub) staleCallback(w http.ResponseWriter, r *http.Request, p *pending) {
	next := h.env.Prefix
	if p != nil {
		next = p.next
	}
	if id, ok := auth.FromContext(r.Context()); ok {
		h.log.Info("stale OAuth callback from a signed-in browser; going on to the page", "user", id.Username)
		http.SetCookie(w, h.cookie(r, h.stateCookie(), "", -1, false))
		guard.Redirect(w, http.StatusFound, next, h.env.Prefix)
		return
	}
	if p != nil && p.retry {
		h.log.Warn("OAuth callback without this browser's state cookie, again after a second login: the browser does not keep this server's cookies")
		reply.WriteError(w, r, h.log, errkind.New(errkind.Forbidden,
			"OAuth state does not match this browser's even after a second login; check that the browser accepts cookies for this site", nil))
		return
	}
	h.log.Info("stale or replayed OAuth callback; sending the browser through the Hub's login again")
	h.startOAuth(w, r, next, true)
}

// logout ends this server's session and sends the browser to the Hub's
// logout, which ends the Hub's (spec §10).
func (h *Hub) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(h.cookieName()); err == nil {
		h.mu.Lock()
		if s := h.sessions[c.Value]; s != nil {
			sum := sha256.Sum256([]byte(s.token))
			for k := range h.cache {
				if k.tokenSum == sum {
					delete(h.cache, k)
				}
			}
		}
		delete(h.sessions, c.Value)
		h.mu.Unlock()
	}
	h.o.Audit.Record(r.Context(), audit.Event{Name: "logout", Fields: audit.F{"method": "hub_oauth"}})
	http.SetCookie(w, h.cookie(r, h.cookieName(), "", -1, true))
	http.Redirect(w, r, h.env.HubPrefix()+"logout", http.StatusFound)
}

// touch records an authenticated request as activity, except the UI's
// background polls (?no_track_activity) and {prefix}api/status (spec §9.5).
func (h *Hub) touch(r *http.Request) {
	if r.URL.Query().Has("no_track_activity") || h.prefix.Is(r, "api/status") {
		return
	}
	h.Touch()
}

// Touch records activity that is not a request: kernel output, terminal
// I/O.
func (h *Hub) Touch() {
	now := h.o.Now()
	h.mu.Lock()
	if now.After(h.lastSeen) {
		h.lastSeen = now
	}
	h.mu.Unlock()
	select {
	case h.first <- struct{}{}:
	default:
	}
}

// RunActivity reports activity to the Hub until ctx ends: once at the
// first request (or kernel or terminal event) that counts as activity, then
// every JUPYTERHUB_ACTIVITY_INTERVAL ± 10 %; without any activity, first
// after one interval. Nothing is sent at start: JupyterHub handles a report
// on the thread that completes the spawn it is about, so one sent while
// the Hub waits for the health check holds the spawn up (observed: about
// 0.1 s of a 0.4 s spawn under JupyterHub 3.0), and the Hub dates the
// server's start itself. The user's first request comes after the spawn
// (the proxy has no route before), so the first report never meets it,
// and the Hub's culler hears of real work moments after it happens. A
// failed report is retried after 1 s, doubling to 15 s, for 60 s at most.
func (h *Hub) RunActivity(ctx context.Context) {
	if h.env.ActivityURL == "" || h.env.ActivityInterval <= 0 {
		h.log.Warn("not reporting activity to the Hub (no JUPYTERHUB_ACTIVITY_URL or interval 0): idle culling sees only the proxy's traffic")
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-h.first:
	case <-time.After(h.env.ActivityInterval):
	}
	var sent time.Time
	for {
		h.mu.Lock()
		last := h.lastSeen
		h.mu.Unlock()
		if !last.Before(sent) {
			if h.report(ctx, last) {
				sent = last
			}
		}
		jitter := time.Duration((mrand.Float64()*0.2 - 0.1) * float64(h.env.ActivityInterval))
		select {
		case <-ctx.Done():
			return
		case <-time.After(h.env.ActivityInterval + jitter):
		}
	}
}

func (h *Hub) report(ctx context.Context, t time.Time) bool {
	if now := h.o.Now(); t.After(now) {
		t = now // never a future timestamp
	}
	wait, deadline := time.Second, h.o.Now().Add(time.Minute)
	for {
		err := h.o.Client.Activity(ctx, h.env.ActivityURL, h.env.ServerName, t)
		if err == nil {
			h.log.Debug("reported activity to the Hub", "last_activity", t.UTC().Format(time.RFC3339))
			return true
		}
		if h.o.Now().Add(wait).After(deadline) {
			h.log.Warn("could not report activity to the Hub", "err", err)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
}
