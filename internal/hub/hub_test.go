package hub_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"quire/internal/auth"
	"quire/internal/hub"
)

// fakeHub is the Hub's API as the tests need it: one authorization code
// per test, PKCE checked as Hub 6.0 does, tokens with fixed owners.
type fakeHub struct {
	t         *testing.T
	srv       *httptest.Server
	mu        sync.Mutex
	challenge string // the code_challenge the code was issued for
	users     map[string]hub.User
	identify  atomic.Int32
	exchanges atomic.Int32 // codes the server tried to exchange
	down      atomic.Bool
	activity  chan map[string]any
	// The server's OAuth client (alice's unless a test changes them
	// before server), the token a code buys, and overrides of the Hub's
	// variables.
	clientID, callback, token string
	vars                      map[string]string
}

func newFakeHub(t *testing.T) *fakeHub {
	f := &fakeHub{t: t, activity: make(chan map[string]any, 10),
		clientID: "jupyterhub-user-alice", callback: "/user/alice/oauth_callback", token: "alice-oauth"}
	f.users = map[string]hub.User{
		"alice-oauth": {Name: "alice", Kind: "user", Scopes: []string{"access:servers!server=alice/", "read:users:name!user=alice"}},
		"admin-svc":   {Name: "culler", Kind: "service", Scopes: []string{"access:servers"}},
		"bob-token":   {Name: "bob", Kind: "user", Scopes: []string{"access:servers!server=bob/"}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hub/api", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Jupyterhub-Version", "3.0.0")
		w.Write([]byte(`{"version": "3.0.0"}`))
	})
	mux.HandleFunc("POST /hub/api/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		f.exchanges.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		switch {
		case r.PostFormValue("client_secret") != "server-secret", r.PostFormValue("client_id") != f.clientID:
			http.Error(w, `{"error": "invalid_client"}`, http.StatusUnauthorized)
		case r.PostFormValue("code") != "code-1", r.PostFormValue("redirect_uri") != f.callback:
			http.Error(w, `{"error": "invalid_grant"}`, http.StatusBadRequest)
		case base64.RawURLEncoding.EncodeToString(sum[:]) != f.challenge:
			http.Error(w, `{"error": "invalid_grant", "error_description": "PKCE"}`, http.StatusBadRequest)
		default:
			json.NewEncoder(w).Encode(map[string]any{"access_token": f.token, "expires_in": 1209600, "token_type": "Bearer"})
		}
	})
	mux.HandleFunc("GET /hub/api/user", func(w http.ResponseWriter, r *http.Request) {
		f.identify.Add(1)
		if f.down.Load() {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		u, ok := f.users[strings.TrimPrefix(r.Header.Get("Authorization"), "token ")]
		if !ok {
			http.Error(w, `{"status": 403, "message": "Forbidden"}`, http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(u)
	})
	mux.HandleFunc("POST /hub/api/users/alice/activity", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if r.Header.Get("Authorization") != "token server-secret" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		select {
		case f.activity <- body:
		default: // nobody is reading: the test is over or has what it needs
		}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// server is hub mode's chain as app builds it: version header, the auth
// middleware with the Hub as its identity provider, the Hub's routes, and
// an inner handler that names the user.
func (f *fakeHub) server(t *testing.T, mod func(*hub.Env)) (http.Handler, *hub.Hub) {
	m := hubVars()
	m["JUPYTERHUB_API_URL"] = f.srv.URL + "/hub/api"
	m["JUPYTERHUB_ACTIVITY_URL"] = f.srv.URL + "/hub/api/users/alice/activity"
	m["JUPYTERHUB_API_TOKEN"] = "server-secret"
	m["JUPYTERHUB_DEFAULT_URL"] = "/lab/tree/x.ipynb"
	for k, v := range f.vars {
		m[k] = v
	}
	e, err := hub.LoadEnv(lookupOf(m))
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&e)
	}
	c := hub.NewClient(e.APIURL, e.APIToken, nil)
	v, err := hub.WaitVersion(t.Context(), c, nil, nil)
	if err != nil || v != "3.0.0" {
		t.Fatalf("WaitVersion = %q, %v", v, err)
	}
	h := hub.New(hub.Options{Env: e, Client: c}, v)
	a, err := auth.New(auth.Options{BaseURL: e.Prefix, Hub: h, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		w.Write([]byte(id.Username + " " + string(id.Method)))
	})
	return h.Headers(a.Middleware(h.Routes(inner))), h
}

type result struct {
	code int
	body string
	h    http.Header
	set  map[string]*http.Cookie
}

func do(h http.Handler, method, target string, hdr map[string]string, cookies ...*http.Cookie) result {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	set := map[string]*http.Cookie{}
	for _, c := range w.Result().Cookies() {
		set[c.Name] = c
	}
	return result{w.Code, w.Body.String(), w.Header(), set}
}

// login runs the OAuth code flow and returns the session cookie.
func (f *fakeHub) login(t *testing.T, h http.Handler) *http.Cookie {
	t.Helper()
	res := do(h, "GET", "/user/alice/tree/sub?x=1", nil)
	if res.code != 302 {
		t.Fatalf("anonymous page: %d, want 302", res.code)
	}
	loc, _ := url.Parse(res.h.Get("Location"))
	q := loc.Query()
	if loc.Path != "/hub/api/oauth2/authorize" || q.Get("client_id") != "jupyterhub-user-alice" ||
		q.Get("redirect_uri") != "/user/alice/oauth_callback" || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 22 {
		t.Fatalf("authorize redirect %s", loc)
	}
	st := res.set["jupyterhub-user-alice-oauth-state"]
	if st == nil || st.Value != q.Get("state") || st.Path != "/user/alice/" || !st.HttpOnly || st.MaxAge != 600 {
		t.Fatalf("state cookie %+v", st)
	}
	f.mu.Lock()
	f.challenge = q.Get("code_challenge")
	f.mu.Unlock()
	res = do(h, "GET", "/user/alice/oauth_callback?code=code-1&state="+q.Get("state"), nil, st)
	if res.code != 302 || res.h.Get("Location") != "/user/alice/tree/sub?x=1" {
		t.Fatalf("callback: %d %s %q", res.code, res.h.Get("Location"), res.body)
	}
	c := res.set["jupyterhub-user-alice"]
	if c == nil || c.Path != "/user/alice/" || !c.HttpOnly || strings.Contains(c.Value, "alice-oauth") {
		t.Fatalf("session cookie %+v", c)
	}
	if s := res.set["jupyterhub-user-alice-oauth-state"]; s == nil || s.MaxAge >= 0 {
		t.Errorf("state cookie not cleared: %+v", s)
	}
	return c
}

func TestOAuthFlow(t *testing.T) {
	f := newFakeHub(t)
	h, _ := f.server(t, nil)
	c := f.login(t, h)

	res := do(h, "GET", "/user/alice/api/contents", nil, c)
	if res.code != 200 || res.body != "alice cookie" || res.h.Get("X-JupyterHub-Version") != "3.0.0" {
		t.Fatalf("with the cookie: %d %q %v", res.code, res.body, res.h)
	}
	if res := do(h, "GET", "/user/alice/", nil, c); res.code != 302 || res.h.Get("Location") != "/user/alice/notebooks/x.ipynb" {
		t.Errorf("GET prefix: %d %s, want the default URL's page", res.code, res.h.Get("Location"))
	}
	// Cookie-authenticated writes need the XSRF token.
	if res := do(h, "POST", "/user/alice/api/contents", nil, c); res.code != 403 {
		t.Errorf("cookie POST without XSRF: %d, want 403", res.code)
	}
	x := &http.Cookie{Name: "_xsrf", Value: "abc"}
	if res := do(h, "POST", "/user/alice/api/contents", map[string]string{"X-XSRFToken": "abc"}, c, x); res.code != 200 {
		t.Errorf("cookie POST with XSRF: %d %q", res.code, res.body)
	}
	// The Hub was asked once: its answer is cached.
	if n := f.identify.Load(); n != 1 {
		t.Errorf("the Hub identified %d times, want 1 (cache)", n)
	}
	// Logout sends the browser to the Hub and forgets the session.
	res = do(h, "GET", "/user/alice/logout", nil, c)
	if res.code != 302 || res.h.Get("Location") != "/hub/logout" || res.set["jupyterhub-user-alice"] == nil || res.set["jupyterhub-user-alice"].MaxAge >= 0 {
		t.Errorf("logout: %d %s %v", res.code, res.h.Get("Location"), res.set)
	}
	if res := do(h, "GET", "/user/alice/api/contents", nil, c); res.code != 403 {
		t.Errorf("after logout: %d, want 403", res.code)
	}
}

func TestRequests(t *testing.T) {
	f := newFakeHub(t)
	h, _ := f.server(t, nil)
	ws := map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}
	for _, tc := range []struct {
		name, method, target string
		hdr                  map[string]string
		code                 int
		body                 string // prefix of the body; "" = any
	}{
		{"health check Hub 5", "GET", "/user/alice/api", nil, 200, ""},
		{"health check Hub 3", "GET", "/user/alice/", nil, 302, ""},
		{"prefix without slash", "GET", "/user/alice?x=1", nil, 302, ""},
		{"anonymous api", "GET", "/user/alice/api/contents", nil, 403, ""},
		{"anonymous post", "POST", "/user/alice/tree/", nil, 403, ""},
		{"anonymous websocket", "GET", "/user/alice/api/kernels/k/channels", ws, 403, ""},
		{"header token", "GET", "/user/alice/api/contents", map[string]string{"Authorization": "token alice-oauth"}, 200, "alice token"},
		{"bearer token", "GET", "/user/alice/api/contents", map[string]string{"Authorization": "Bearer admin-svc"}, 200, "culler token"},
		{"token write skips xsrf", "POST", "/user/alice/api/contents", map[string]string{"Authorization": "token alice-oauth"}, 200, "alice token"},
		{"other user's token", "GET", "/user/alice/api/contents", map[string]string{"Authorization": "token bob-token"}, 403, ""},
		{"unknown token", "GET", "/user/alice/api/contents", map[string]string{"Authorization": "token nope"}, 403, ""},
		{"url token on api", "GET", "/user/alice/api/contents?token=alice-oauth", nil, 403, ""},
		{"url token on websocket", "GET", "/user/alice/api/kernels/k/channels?token=alice-oauth", ws, 200, "alice token"},
		{"callback without state", "GET", "/user/alice/oauth_callback?code=x", nil, 400, ""},
		{"callback with foreign state", "GET", "/user/alice/oauth_callback?code=code-1&state=abc", nil, 302, ""}, // a new login, see TestStaleCallback
		{"callback error", "GET", "/user/alice/oauth_callback?error=access_denied", nil, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(h, tc.method, tc.target, tc.hdr)
			if res.code != tc.code || !strings.HasPrefix(res.body, tc.body) {
				t.Errorf("%d %q, want %d %q", res.code, res.body, tc.code, tc.body)
			}
			if res.h.Get("X-JupyterHub-Version") != "3.0.0" {
				t.Error("no X-JupyterHub-Version")
			}
			if tc.name == "prefix without slash" {
				if res.h.Get("Location") != "/user/alice/?x=1" {
					t.Errorf("redirect to %s, want the prefix", res.h.Get("Location"))
				}
			} else if res.code == 302 && !strings.HasPrefix(res.h.Get("Location"), "/hub/api/oauth2/authorize?") {
				t.Errorf("redirect to %s", res.h.Get("Location"))
			}
		})
	}
}

func TestHubDown(t *testing.T) {
	f := newFakeHub(t)
	h, _ := f.server(t, nil)
	f.down.Store(true)
	res := do(h, "GET", "/user/alice/tree/", map[string]string{"Authorization": "token alice-oauth"})
	if res.code != 503 {
		t.Errorf("Hub down: %d, want 503 (not a redirect, not anonymous)", res.code)
	}
	f.down.Store(false)
	if res := do(h, "GET", "/user/alice/api/x", map[string]string{"Authorization": "token alice-oauth"}); res.code != 200 {
		t.Errorf("Hub back: %d, want 200 (errors are not cached)", res.code)
	}
}

func TestSecureCookies(t *testing.T) {
	f := newFakeHub(t)
	for _, tc := range []struct {
		name   string
		https  bool
		secure bool
	}{{"http", false, false}, {"public url https", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := f.server(t, func(e *hub.Env) { e.PublicHTTPS = tc.https })
			res := do(h, "GET", "/user/alice/tree/", nil)
			if c := res.set["jupyterhub-user-alice-oauth-state"]; c == nil || c.Secure != tc.secure {
				t.Errorf("state cookie %+v, want Secure %v", c, tc.secure)
			}
		})
	}
	m := hubVars()
	m["JUPYTERHUB_PUBLIC_URL"] = "https://hub.example.org/user/alice/"
	if e, err := hub.LoadEnv(lookupOf(m)); err != nil || !e.PublicHTTPS {
		t.Errorf("JUPYTERHUB_PUBLIC_URL https: PublicHTTPS = %v, %v", e.PublicHTTPS, err)
	}
}

func TestWebSocketCookieOff(t *testing.T) {
	f := newFakeHub(t)
	h, _ := f.server(t, func(e *hub.Env) { e.WebSocketCookie = false })
	c := f.login(t, h)
	ws := map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}
	if res := do(h, "GET", "/user/alice/api/kernels/k/channels", ws, c); res.code != 403 {
		t.Errorf("WebSocket with cookie: %d, want 403", res.code)
	}
}

// TestActivity: nothing is reported at start (a report then would hold
// up the Hub's spawn); the first request that counts is reported at once,
// not an interval (here the default 300 s) later.
func TestActivity(t *testing.T) {
	f := newFakeHub(t)
	srv, h := f.server(t, nil)
	ctx := t.Context()
	go h.RunActivity(ctx)
	select {
	case body := <-f.activity:
		t.Fatalf("activity reported at start, before any request: %v", body)
	case <-time.After(300 * time.Millisecond):
	}
	before := time.Now()
	if res := do(srv, "GET", "/user/alice/api/contents", map[string]string{"Authorization": "token alice-oauth"}); res.code != 200 {
		t.Fatalf("request: %d %s", res.code, res.body)
	}
	select {
	case body := <-f.activity:
		servers, _ := body["servers"].(map[string]any)
		entry, _ := servers[""].(map[string]any)
		ts, _ := body["last_activity"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		if entry == nil || entry["last_activity"] != ts || err != nil || !strings.HasSuffix(ts, "Z") || at.After(time.Now()) || at.Before(before.Add(-time.Millisecond)) {
			t.Errorf("activity body %v, want the request's time", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no activity report shortly after the first request")
	}
}

// TestActivityCounts checks what moves last_activity: an authenticated
// request does; the UI's background poll (?no_track_activity) and
// {prefix}api/status do not.
func TestActivityCounts(t *testing.T) {
	f := newFakeHub(t)
	m := hubVars()
	m["JUPYTERHUB_API_URL"] = f.srv.URL + "/hub/api"
	m["JUPYTERHUB_ACTIVITY_URL"] = f.srv.URL + "/hub/api/users/alice/activity"
	m["JUPYTERHUB_API_TOKEN"] = "server-secret"
	e, err := hub.LoadEnv(lookupOf(m))
	if err != nil {
		t.Fatal(err)
	}
	e.ActivityInterval = 20 * time.Millisecond
	var clock atomic.Int64
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock.Store(t0.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	h := hub.New(hub.Options{Env: e, Client: hub.NewClient(e.APIURL, e.APIToken, nil), Now: now}, "3.0.0")
	a, err := auth.New(auth.Options{BaseURL: e.Prefix, Hub: h, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	chain := a.Middleware(h.Routes(http.NotFoundHandler()))
	tok := map[string]string{"Authorization": "token alice-oauth"}

	next := func() string {
		t.Helper()
		select {
		case body := <-f.activity:
			return body["last_activity"].(string)
		case <-time.After(5 * time.Second):
			t.Fatal("no activity report")
			return ""
		}
	}
	clock.Store(t0.Add(time.Minute).UnixNano())
	do(chain, "GET", "/user/alice/api/contents?no_track_activity=1", tok)
	do(chain, "GET", "/user/alice/api/status", tok)
	do(chain, "GET", "/user/alice/api/contents", nil) // anonymous
	go h.RunActivity(t.Context())
	if got := next(); got != "2026-01-02T03:04:05.000000Z" {
		t.Errorf("first report %s, want the start time (background, status and anonymous requests do not count)", got)
	}
	clock.Store(t0.Add(2 * time.Minute).UnixNano())
	do(chain, "GET", "/user/alice/api/contents", tok)
	for {
		if got := next(); got == "2026-01-02T03:06:05.000000Z" {
			break
		} else if got != "2026-01-02T03:04:05.000000Z" {
			t.Fatalf("report %s, want the request's time 03:06:05", got)
		}
	}
}

func TestTokenInURL(t *testing.T) {
	f := newFakeHub(t)
	for _, allow := range []bool{false, true} {
		h, _ := f.server(t, func(e *hub.Env) { e.AllowTokenInURL = allow })
		want := 403
		if allow {
			want = 200
		}
		if res := do(h, "GET", "/user/alice/api/contents?token=alice-oauth", nil); res.code != want {
			t.Errorf("JUPYTERHUB_ALLOW_TOKEN_IN_URL=%v: ?token= on the API: %d, want %d", allow, res.code, want)
		}
		// A URL token never becomes a cookie.
		if res := do(h, "GET", "/user/alice/tree/?token=alice-oauth", nil); len(res.set) != 0 && res.set["jupyterhub-user-alice"] != nil {
			t.Errorf("JUPYTERHUB_ALLOW_TOKEN_IN_URL=%v: the URL token was stored in a cookie", allow)
		}
	}
}

// TestCookieAttributes: JUPYTERHUB_COOKIE_OPTIONS and
// JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED shape the state and login cookies
// through the whole flow, logout included.
func TestCookieAttributes(t *testing.T) {
	f := newFakeHub(t)
	for _, tc := range []struct {
		name       string
		mod        func(*hub.Env)
		cookie     string // login cookie name
		path       string
		secure     bool
		sameSite   http.SameSite
		domain     string
		loginAge   int // Max-Age of the login cookie
		stateMaxAg int
	}{
		{"defaults", nil, "jupyterhub-user-alice", "/user/alice/", false, http.SameSiteLaxMode, "", 1209600, 600},
		{"options", func(e *hub.Env) {
			e.Cookie = hub.CookieOptions{SameSite: http.SameSiteStrictMode, Domain: "alice.hub.example.org", MaxAge: time.Hour}
		}, "jupyterhub-user-alice", "/user/alice/", false, http.SameSiteStrictMode, "alice.hub.example.org", 3600, 600},
		{"samesite none is secure", func(e *hub.Env) { e.Cookie = hub.CookieOptions{SameSite: http.SameSiteNoneMode} },
			"jupyterhub-user-alice", "/user/alice/", true, http.SameSiteNoneMode, "", 1209600, 600},
		{"session cookie", func(e *hub.Env) { e.Cookie = hub.CookieOptions{Session: true, Secure: true} },
			"jupyterhub-user-alice", "/user/alice/", true, http.SameSiteLaxMode, "", 0, 600},
		{"host prefix", func(e *hub.Env) {
			e.HostPrefix = true
			e.Cookie = hub.CookieOptions{Domain: "hub.example.org"} // not allowed on __Host- cookies
		}, "__Host-jupyterhub-user-alice", "/", true, http.SameSiteLaxMode, "", 1209600, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := f.server(t, tc.mod)
			check := func(what string, c *http.Cookie, maxAge int) {
				t.Helper()
				if c == nil {
					t.Fatalf("no %s cookie", what)
				}
				if c.Path != tc.path || c.Secure != tc.secure || c.SameSite != tc.sameSite || c.Domain != tc.domain || !c.HttpOnly || c.MaxAge != maxAge {
					t.Errorf("%s cookie %+v; want path %s secure %v samesite %v domain %q max-age %d", what, c, tc.path, tc.secure, tc.sameSite, tc.domain, maxAge)
				}
			}
			res := do(h, "GET", "/user/alice/tree/", nil)
			st := res.set[tc.cookie+"-oauth-state"]
			check("state", st, tc.stateMaxAg)
			loc, _ := url.Parse(res.h.Get("Location"))
			f.mu.Lock()
			f.challenge = loc.Query().Get("code_challenge")
			f.mu.Unlock()
			res = do(h, "GET", "/user/alice/oauth_callback?code=code-1&state="+st.Value, nil, st)
			if res.code != 302 {
				t.Fatalf("callback: %d %s", res.code, res.body)
			}
			login := res.set[tc.cookie]
			check("login", login, tc.loginAge)
			if res := do(h, "GET", "/user/alice/api/contents", nil, login); res.code != 200 {
				t.Errorf("with the login cookie: %d", res.code)
			}
			res = do(h, "GET", "/user/alice/logout", nil, login)
			if c := res.set[tc.cookie]; c == nil || c.MaxAge >= 0 || c.Path != tc.path {
				t.Errorf("logout does not clear the login cookie: %+v", c)
			}
		})
	}
}

// TestHubUnreachable: with the Hub's API not answering at all (connection
// refused), a look-up is 503 (retry), never anonymous: no redirect loop,
// no logout.
func TestHubUnreachable(t *testing.T) {
	e, err := hub.LoadEnv(lookupOf(hubVars()))
	if err != nil {
		t.Fatal(err)
	}
	e.APIURL = "http://127.0.0.1:1/hub/api" // nothing listens on port 1
	h := hub.New(hub.Options{Env: e, Client: hub.NewClient(e.APIURL, e.APIToken, nil)}, "3.0.0")
	a, err := auth.New(auth.Options{BaseURL: e.Prefix, Hub: h, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	chain := h.Headers(a.Middleware(h.Routes(http.NotFoundHandler())))
	for _, path := range []string{"/user/alice/tree/", "/user/alice/api/contents"} {
		res := do(chain, "GET", path, map[string]string{"Authorization": "token alice-oauth"})
		if res.code != 503 || res.h.Get("Location") != "" || res.h.Get("X-JupyterHub-Version") != "3.0.0" {
			t.Errorf("%s with the Hub unreachable: %d %v, want 503", path, res.code, res.h)
		}
	}
}

// TestEscapedNames: a user whose name JupyterHub escapes in URLs
// (quote(name, safe='@~')) signs in and works, whichever way a request
// spells the prefix; what Quire emits spells it as the Hub does.
func TestEscapedNames(t *testing.T) {
	f := newFakeHub(t)
	const prefix = "/user/zo%C3%AB%2Bw%20x@ex.org/" // zoë+w x@ex.org
	f.clientID, f.callback, f.token = "jupyterhub-user-zo%C3%AB%2Bw%20x%40ex.org", prefix+"oauth_callback", "zoe-oauth"
	f.users["zoe-oauth"] = hub.User{Name: "zoë+w x@ex.org", Kind: "user", Scopes: []string{"access:servers!server=zoë+w x@ex.org/"}}
	f.vars = map[string]string{
		"JUPYTERHUB_SERVICE_PREFIX":      prefix,
		"JUPYTERHUB_CLIENT_ID":           f.clientID,
		"JUPYTERHUB_OAUTH_CALLBACK_URL":  f.callback,
		"JUPYTERHUB_USER":                "zoë+w x@ex.org",
		"JUPYTERHUB_OAUTH_ACCESS_SCOPES": `["access:servers!server=zoë+w x@ex.org/", "access:servers!user=zoë+w x@ex.org"]`,
	}
	h, _ := f.server(t, nil)

	// An anonymous page in another spelling of the prefix (lower-case hex,
	// raw "+" and UTF-8): OAuth starts, returning to the page in the
	// Hub's spelling; the state cookie is scoped to the Hub's spelling.
	res := do(h, "GET", "/user/zo%c3%ab+w%20x@ex.org/tree/a%20b?x=1", nil)
	loc, _ := url.Parse(res.h.Get("Location"))
	q := loc.Query()
	if res.code != 302 || loc.Path != "/hub/api/oauth2/authorize" || q.Get("redirect_uri") != f.callback || q.Get("client_id") != f.clientID {
		t.Fatalf("anonymous page: %d %s", res.code, loc)
	}
	st := res.set[f.clientID+"-oauth-state"]
	if st == nil || st.Path != prefix {
		t.Fatalf("state cookie %+v, want path %s", st, prefix)
	}
	f.mu.Lock()
	f.challenge = q.Get("code_challenge")
	f.mu.Unlock()
	res = do(h, "GET", prefix+"oauth_callback?code=code-1&state="+q.Get("state"), nil, st)
	if res.code != 302 || res.h.Get("Location") != prefix+"tree/a%20b?x=1" {
		t.Fatalf("callback: %d %s %q", res.code, res.h.Get("Location"), res.body)
	}
	c := res.set[f.clientID]
	if c == nil || c.Path != prefix {
		t.Fatalf("session cookie %+v, want path %s", c, prefix)
	}

	for _, tc := range []struct {
		name, target string
		cookie       bool
		code         int
		location     string // "" = none expected
	}{
		{"api, Hub's spelling", prefix + "api/contents", true, 200, ""},
		{"api, raw UTF-8 and +", "/user/zoë+w%20x@ex.org/api/contents", true, 200, ""},
		{"api, @ escaped", "/user/zo%C3%AB%2Bw%20x%40ex.org/api/contents", true, 200, ""},
		{"health check", prefix + "api", false, 200, ""},
		{"prefix", prefix, true, 302, prefix + "notebooks/x.ipynb"},
		{"prefix without slash", "/user/zo%C3%AB%2Bw%20x@ex.org?y=2", false, 302, prefix + "?y=2"},
		{"prefix without slash, raw", "/user/zoë+w%20x@ex.org", false, 302, prefix},
		{"anonymous api", prefix + "api/contents", false, 403, ""},
		// An encoded slash is no separator: not this server's login or
		// logout, just a page outside the prefix.
		{"encoded slash", "/user/zo%C3%AB%2Bw%20x@ex.org%2Flogout", true, 200, ""},
		{"another name", "/user/zoe+w%20x@ex.org/logout", true, 200, ""},
		{"logout", "/user/zoë+w%20x@ex.org/logout", true, 302, "/hub/logout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cs []*http.Cookie
			if tc.cookie {
				cs = append(cs, c)
			}
			res := do(h, "GET", tc.target, nil, cs...)
			if res.code != tc.code || res.h.Get("Location") != tc.location {
				t.Errorf("%d %s, want %d %s (%q)", res.code, res.h.Get("Location"), tc.code, tc.location, res.body)
			}
			if tc.name == "logout" {
				if s := res.set[f.clientID]; s == nil || s.Path != prefix || s.MaxAge >= 0 {
					t.Errorf("logout cookie %+v", s)
				}
			}
		})
	}
}

// TestStaleCallback: a callback whose state is not the browser's current
// one (replayed, bookmarked, another tab's, expired, forged) never has its
// code exchanged; a signed-in browser goes on to the page, any other is
// sent through the Hub's login once more, and a browser that keeps no
// cookies gets 403 after that one retry instead of a loop.
func TestStaleCallback(t *testing.T) {
	f := newFakeHub(t)
	h, _ := f.server(t, nil)

	// authorize starts a login at page and returns the state, the state
	// cookie and the authorize URL's query.
	authorize := func(res result) (string, *http.Cookie) {
		t.Helper()
		loc, _ := url.Parse(res.h.Get("Location"))
		if res.code != 302 || loc.Path != "/hub/api/oauth2/authorize" {
			t.Fatalf("want a redirect to the Hub's authorize, got %d %s %q", res.code, loc, res.body)
		}
		f.mu.Lock()
		f.challenge = loc.Query().Get("code_challenge")
		f.mu.Unlock()
		return loc.Query().Get("state"), res.set["jupyterhub-user-alice-oauth-state"]
	}
	callback := func(state string, cookies ...*http.Cookie) result {
		return do(h, "GET", "/user/alice/oauth_callback?code=code-1&state="+url.QueryEscape(state), nil, cookies...)
	}

	// A signed-in browser replays its callback URL (reload, back button):
	// on to the prefix (the used state is forgotten), no second exchange.
	s1, st1 := authorize(do(h, "GET", "/user/alice/tree/sub?x=1", nil))
	res := callback(s1, st1)
	login := res.set["jupyterhub-user-alice"]
	if res.code != 302 || login == nil {
		t.Fatalf("first callback: %d %s", res.code, res.body)
	}
	n := f.exchanges.Load()
	if res := callback(s1, login); res.code != 302 || res.h.Get("Location") != "/user/alice/" || f.exchanges.Load() != n {
		t.Errorf("replayed callback, signed in: %d %s (%d exchanges, want %d)", res.code, res.h.Get("Location"), f.exchanges.Load(), n)
	}

	// Two tabs, neither signed in: tab B's login overwrote tab A's state
	// cookie. A's callback starts one new login back to A's page.
	sa, _ := authorize(do(h, "GET", "/user/alice/tree/a", nil))
	_, stb := authorize(do(h, "GET", "/user/alice/tree/b", nil))
	res = callback(sa, stb)
	sa2, sta2 := authorize(res)
	if f.exchanges.Load() != n || res.set["jupyterhub-user-alice"] != nil || sa2 == sa || sta2 == nil || sta2.Value != sa2 {
		t.Fatalf("tab A's callback with B's cookie: exchanged or signed in: %+v", res)
	}
	if res := callback(sa2, sta2); res.code != 302 || res.h.Get("Location") != "/user/alice/tree/a" || res.set["jupyterhub-user-alice"] == nil {
		t.Errorf("tab A's second login: %d %s", res.code, res.h.Get("Location"))
	}

	// A bookmarked callback (state long gone, no cookies): one new login,
	// to the prefix.
	n = f.exchanges.Load()
	s3, st3 := authorize(callback("bookmarked-state"))
	if f.exchanges.Load() != n {
		t.Error("a bookmarked callback's code was exchanged")
	}
	if res := callback(s3, st3); res.code != 302 || res.h.Get("Location") != "/user/alice/" || res.set["jupyterhub-user-alice"] == nil {
		t.Errorf("login after a bookmarked callback: %d %s", res.code, res.h.Get("Location"))
	}

	// A forged state, with a state cookie to match it (another server on
	// the Hub's shared origin can set one for this path): not issued by
	// this server, so not accepted; the browser is sent to log in itself.
	n = f.exchanges.Load()
	forged := &http.Cookie{Name: "jupyterhub-user-alice-oauth-state", Value: "forged"}
	res = callback("forged", forged)
	if s, _ := authorize(res); s == "forged" || f.exchanges.Load() != n || res.set["jupyterhub-user-alice"] != nil {
		t.Errorf("forged state accepted: %+v", res)
	}

	// A browser that keeps no cookies: one retry, then 403, no loop.
	s4, _ := authorize(do(h, "GET", "/user/alice/tree/", nil))
	s5, _ := authorize(callback(s4))
	if res := callback(s5); res.code != 403 || !strings.Contains(res.body, "cookies") {
		t.Errorf("second cookieless callback: %d %s, want 403 naming cookies", res.code, res.body)
	}
	if f.exchanges.Load() != n {
		t.Error("a cookieless callback's code was exchanged")
	}
}
