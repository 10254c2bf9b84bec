package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"quire/internal/auth"
	"quire/internal/guard"
)

func TestMiddleware(t *testing.T) {
	f := newFixture(t, auth.Options{})
	session, xsrf := f.login(t, "192.0.2.1")
	stale := &http.Cookie{Name: loginName, Value: "AAAA.BBBB"}
	cookie := []*http.Cookie{session, xsrf}
	other := &http.Cookie{Name: "_xsrf", Value: "someone-elses"}
	ws := map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}
	nav := map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}

	for _, tc := range []struct {
		name       string
		q          req
		status     int
		method     string // X-Method of a passed request
		location   string // of a redirect
		message    string // substring of a JSON error
		setsCookie string // a cookie the response must set
	}{
		// Credentials.
		{name: "token header", q: req{target: base + "api/status", header: map[string]string{"Authorization": "token " + testToken}}, status: 200, method: "token"},
		{name: "bearer header", q: req{target: base + "api/status", header: map[string]string{"Authorization": "Bearer " + testToken}}, status: 200, method: "token"},
		{name: "scheme case", q: req{target: base + "api/status", header: map[string]string{"Authorization": "TOKEN " + testToken}}, status: 200, method: "token"},
		{name: "query token api", q: req{target: base + "api/status?token=" + testToken}, status: 200, method: "token"},
		{name: "wrong token header", q: req{target: base + "api/status", header: map[string]string{"Authorization": "token nope"}}, status: 403, message: "Forbidden"},
		{name: "other scheme", q: req{target: base + "api/status", header: map[string]string{"Authorization": "Basic " + testToken}}, status: 403},
		{name: "wrong query token", q: req{target: base + "api/status?token=nope"}, status: 403},
		{name: "missing", q: req{target: base + "api/status"}, status: 403, message: "Forbidden"},
		{name: "cookie", q: req{target: base + "api/status", cookies: cookie}, status: 200, method: "cookie"},
		{name: "stale cookie api", q: req{target: base + "api/status", cookies: []*http.Cookie{stale}}, status: 403, setsCookie: loginName},

		// Unauthenticated pages.
		{name: "page redirect", q: req{target: base + "tree/a%20b.ipynb?x=1&y"}, status: 302,
			location: base + "login?next=" + url.QueryEscape(base+"tree/a%20b.ipynb?x=1&y")},
		{name: "page redirect drops wrong token", q: req{target: base + "tree?token=nope&x=1"}, status: 302,
			location: base + "login?next=" + url.QueryEscape(base+"tree?x=1")},
		{name: "page redirect drops hidden token", q: req{target: base + "tree?x=1;token=" + testToken + "&%74oken=2&y=3"}, status: 302,
			location: base + "login?next=" + url.QueryEscape(base+"tree?y=3")},
		{name: "page HEAD redirect", q: req{method: "HEAD", target: base + "tree"}, status: 302, location: base + "login?next=" + url.QueryEscape(base+"tree")},
		{name: "page POST", q: req{method: "POST", target: base + "tree"}, status: 403},
		{name: "stale cookie page", q: req{target: base + "tree", cookies: []*http.Cookie{stale}}, status: 302, setsCookie: loginName},

		// Public routes.
		{name: "public api", q: req{target: base + "api"}, status: 200, method: "public"},
		{name: "public health", q: req{target: "/health"}, status: 200, method: "public"},
		{name: "public login", q: req{target: base + "login"}, status: 200, setsCookie: "_xsrf"},
		{name: "public logout", q: req{target: base + "logout"}, status: 200},
		{name: "public css", q: req{target: base + "static/login/login.css"}, status: 200},
		{name: "api POST not public", q: req{method: "POST", target: base + "api"}, status: 403},
		{name: "api/ not public", q: req{target: base + "api/"}, status: 403},
		{name: "api under base only", q: req{target: "/api"}, status: 302},
		{name: "health under base not public", q: req{target: base + "health"}, status: 302},
		{name: "static elsewhere not public", q: req{target: base + "static/app.js"}, status: 302},
		{name: "public ui asset", q: req{target: base + "static/app/assets/index-x.js"}, status: 200, method: "public"},
		{name: "public ui asset HEAD", q: req{method: "HEAD", target: base + "static/app/sandbox.html"}, status: 200, method: "public"},
		{name: "ui asset POST not public", q: req{method: "POST", target: base + "static/app/sandbox.html"}, status: 403},
		{name: "ui asset unclean path not public", q: req{target: base + "static/app/../../api/contents"}, status: 302},
		{name: "ui asset dot segment not public", q: req{target: base + "static/app/./x"}, status: 302},
		{name: "ui page not public", q: req{target: base + "notebooks/a.ipynb"}, status: 302},

		// WebSockets are API requests: 403, never a redirect.
		{name: "ws query token", q: req{target: base + "api/kernels/k/channels?session_id=s&token=" + testToken, header: ws}, status: 200, method: "token"},
		{name: "ws no credentials", q: req{target: base + "api/kernels/k/channels", header: ws}, status: 403},
		{name: "ws page path", q: req{target: base + "terminals/websocket/1", header: ws}, status: 403},
		{name: "ws cookie", q: req{target: base + "terminals/websocket/1", header: ws, cookies: cookie}, status: 200, method: "cookie"},

		// XSRF.
		{name: "cookie POST no xsrf", q: req{method: "POST", target: base + "api/contents", cookies: cookie}, status: 403, message: "'_xsrf' argument missing from POST"},
		{name: "cookie POST mismatch", q: req{method: "POST", target: base + "api/contents", cookies: cookie, header: map[string]string{"X-XSRFToken": "wrong"}}, status: 403, message: "XSRF cookie does not match"},
		{name: "cookie POST no xsrf cookie", q: req{method: "POST", target: base + "api/contents", cookies: []*http.Cookie{session}, header: map[string]string{"X-XSRFToken": xsrf.Value}}, status: 403, message: "XSRF cookie does not match"},
		{name: "cookie POST other cookie", q: req{method: "PUT", target: base + "api/contents/a", cookies: []*http.Cookie{session, other}, header: map[string]string{"X-XSRFToken": xsrf.Value}}, status: 403},
		{name: "cookie POST header", q: req{method: "POST", target: base + "api/contents", cookies: cookie, header: map[string]string{"X-XSRFToken": xsrf.Value}}, status: 200, method: "cookie"},
		{name: "cookie DELETE csrf header", q: req{method: "DELETE", target: base + "api/contents/a", cookies: cookie, header: map[string]string{"X-CSRFToken": xsrf.Value}}, status: 200},
		{name: "cookie POST query", q: req{method: "POST", target: base + "api/contents?_xsrf=" + xsrf.Value, cookies: cookie}, status: 200},
		{name: "cookie POST form", q: req{method: "POST", target: base + "nbconvert/html/a", cookies: cookie, form: url.Values{"_xsrf": {xsrf.Value}}}, status: 200},
		{name: "cookie OPTIONS", q: req{method: "OPTIONS", target: base + "api/contents", cookies: cookie}, status: 200},
		{name: "token POST exempt", q: req{method: "POST", target: base + "api/contents", cookies: cookie, header: map[string]string{"Authorization": "token " + testToken}}, status: 200, method: "token"},
		{name: "query token POST exempt", q: req{method: "POST", target: base + "api/contents?token=" + testToken}, status: 200, method: "token"},
		{name: "cookie POST logout needs xsrf", q: req{method: "POST", target: base + "logout", cookies: cookie}, status: 403},

		// User files must not be embedded by other sites.
		{name: "files cross-site", q: req{target: base + "files/a.png", cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, status: 403},
		{name: "files same-site", q: req{target: base + "files/a.png", cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "same-site"}}, status: 403},
		{name: "files HEAD cross-site", q: req{method: "HEAD", target: base + "files/a.png", cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, status: 403},
		{name: "nbconvert cross-site", q: req{target: base + "nbconvert/html/a.ipynb", cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, status: 403},
		{name: "files same-origin", q: req{target: base + "files/a.png", cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "same-origin"}}, status: 200},
		{name: "files typed", q: req{target: base + "files/a.png", cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "none"}}, status: 200},
		{name: "files no header", q: req{target: base + "files/a.png", cookies: cookie}, status: 200},
		{name: "files cross-site with xsrf", q: req{target: base + "files/a.png?_xsrf=" + xsrf.Value, cookies: cookie, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, status: 200},
		{name: "files cross-site token", q: req{target: base + "files/a.png", header: map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "token " + testToken}}, status: 200},

		// ?token= in a browser turns into a cookie.
		{name: "query token navigation", q: req{target: base + "tree/x?a=1&token=" + testToken + "&b", header: nav}, status: 302,
			location: guard.SafeNext(base+"tree/x?a=1&b", base), setsCookie: loginName},
		{name: "query token accept html", q: req{target: base + "tree?token=" + testToken, header: map[string]string{"Accept": "text/html,*/*"}}, status: 302,
			location: guard.SafeNext(base+"tree", base), setsCookie: loginName},
		{name: "query token curl", q: req{target: base + "files/data.csv?token=" + testToken, header: map[string]string{"Accept": "*/*"}}, status: 200, method: "token"},
		{name: "query token HEAD", q: req{method: "HEAD", target: base + "tree?token=" + testToken, header: nav}, status: 200, method: "token"},
		{name: "cookie page sets xsrf", q: req{target: base + "tree", cookies: []*http.Cookie{session}}, status: 200, setsCookie: "_xsrf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.do(t, tc.q)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.method != "" {
				if got := resp.Header.Get("X-Method"); got != tc.method {
					t.Errorf("method = %q, want %q", got, tc.method)
				}
			}
			if tc.status == 302 {
				loc := resp.Header.Get("Location")
				if tc.location != "" && loc != tc.location {
					t.Errorf("Location = %q, want %q", loc, tc.location)
				}
				if strings.Contains(loc, "token") {
					t.Errorf("Location %q carries a token", loc)
				}
			}
			if tc.status == 403 && tc.q.header["Accept"] == "" {
				if msg := jsonMessage(t, resp); !strings.Contains(msg, tc.message) {
					t.Errorf("message = %q, want it to contain %q", msg, tc.message)
				}
			}
			if tc.setsCookie != "" && cookieNamed(resp, tc.setsCookie) == nil {
				t.Errorf("no %s cookie set; Set-Cookie: %q", tc.setsCookie, resp.Header.Values("Set-Cookie"))
			}
		})
	}
}

// TestTokenRedirectCookie: the cookie set for ?token= logs the browser in,
// and the xsrf cookie is not HttpOnly while the login cookie is.
func TestTokenRedirectCookie(t *testing.T) {
	f := newFixture(t, auth.Options{IsSecure: func(*http.Request) bool { return true }})
	resp := f.do(t, req{target: base + "tree?token=" + testToken, header: map[string]string{"Sec-Fetch-Mode": "navigate"}})
	login, xsrf := cookieNamed(resp, loginName), cookieNamed(resp, "_xsrf")
	if login == nil || xsrf == nil {
		t.Fatalf("cookies = %q", resp.Header.Values("Set-Cookie"))
	}
	if resp.Cookies()[0].Name != loginName {
		t.Errorf("first cookie is %q, want the login cookie", resp.Cookies()[0].Name)
	}
	if !login.HttpOnly || !login.Secure || login.SameSite != http.SameSiteLaxMode || login.Path != base {
		t.Errorf("login cookie attributes: %+v", login)
	}
	if xsrf.HttpOnly || !xsrf.Secure || xsrf.SameSite != http.SameSiteLaxMode || xsrf.Path != base {
		t.Errorf("_xsrf cookie attributes: %+v", xsrf)
	}
	if strings.Contains(login.Value, testToken) {
		t.Error("login cookie carries the token")
	}
	resp = f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{login}})
	if resp.StatusCode != 200 || resp.Header.Get("X-Method") != "cookie" {
		t.Errorf("cookie from ?token=: %d %q", resp.StatusCode, resp.Header.Get("X-Method"))
	}
	// A browser's token requests keep its own anonymous user.
	user := resp.Header.Get("X-User")
	resp = f.do(t, req{target: base + "api/me", cookies: []*http.Cookie{login}, header: map[string]string{"Authorization": "token " + testToken}})
	if got := resp.Header.Get("X-User"); got != user || user == "" {
		t.Errorf("token + cookie user = %q, want the session's %q", got, user)
	}
}

// TestIdentity: anonymous users look like jupyter_server's.
func TestIdentity(t *testing.T) {
	f := newFixture(t, auth.Options{})
	var got auth.Identity
	h := f.a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = auth.FromContext(r.Context())
	}))
	r, _ := http.NewRequest("GET", base+"api/me", nil)
	r.Header.Set("Authorization", "token "+testToken)
	h.ServeHTTP(discard{}, r)
	if len(got.Username) != 32 || !strings.HasPrefix(got.Name, "Anonymous ") || got.DisplayName != got.Name ||
		got.Initials != "A"+got.Name[len("Anonymous "):][:1] || got.Method != auth.MethodToken {
		t.Errorf("identity = %+v", got)
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// TestAuthDisabled: with neither token nor password every request is
// anonymous; browser requests that change state still need the XSRF token.
func TestAuthDisabled(t *testing.T) {
	f := newFixture(t, auth.Options{Token: "-", PasswordHash: "-"})
	xsrf := &http.Cookie{Name: "_xsrf", Value: "x1"}
	for _, tc := range []struct {
		name   string
		q      req
		status int
	}{
		{"GET", req{target: base + "api/status"}, 200},
		{"page", req{target: base + "tree"}, 200},
		{"script POST", req{method: "POST", target: base + "api/contents"}, 200},
		{"cross-site form POST", req{method: "POST", target: base + "api/contents", header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}}, 403},
		{"browser POST no xsrf", req{method: "POST", target: base + "api/contents", cookies: []*http.Cookie{xsrf}}, 403},
		{"browser POST xsrf", req{method: "POST", target: base + "api/contents", cookies: []*http.Cookie{xsrf}, header: map[string]string{"X-XSRFToken": "x1", "Origin": "http://example.com"}}, 200},
		{"files cross-site", req{target: base + "files/a.png", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403},
		{"files same-origin", req{target: base + "files/a.png", header: map[string]string{"Sec-Fetch-Site": "same-origin"}}, 200},
		{"login redirects", req{target: base + "login?next=" + url.QueryEscape(base+"tree")}, 302},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.do(t, tc.q)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 200 && resp.Header.Get("X-Method") != "none" {
				t.Errorf("method = %q, want none", resp.Header.Get("X-Method"))
			}
		})
	}
	resp := f.do(t, req{target: base + "tree"})
	if c := cookieNamed(resp, "_xsrf"); c == nil || c.HttpOnly {
		t.Errorf("page GET with auth disabled: _xsrf cookie %+v", c)
	}
}

// stubHub is a Hub that knows nobody.
type stubHub struct{}

func (stubHub) Identify(*http.Request) (auth.Identity, bool, error) {
	return auth.Identity{}, false, nil
}
func (stubHub) Login(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }

// TestHubIsTheOnlySignIn: with a Hub, Quire's own credentials cannot be
// configured, and requests without Hub credentials follow the Hub's rules
// (pages start its login, API requests get 403), oauth_callback is public.
func TestHubIsTheOnlySignIn(t *testing.T) {
	for _, o := range []auth.Options{
		{Token: "t"}, {PasswordHash: "sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a"}, {UserHeader: "X-Remote-User"},
	} {
		o.BaseURL, o.DataDir, o.Hub = "/user/a/", t.TempDir(), stubHub{}
		if a, err := auth.New(o); err == nil {
			a.Close()
			t.Errorf("auth.New accepted a Hub beside %+v", o)
		}
	}
	a, err := auth.New(auth.Options{BaseURL: "/user/a/", DataDir: t.TempDir(), Hub: stubHub{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/user/a/tree/", http.StatusTeapot},
		{"GET", "/user/a/api/contents", http.StatusForbidden},
		{"POST", "/user/a/tree/", http.StatusForbidden},
		{"GET", "/user/a/api", http.StatusNoContent},
		{"GET", "/user/a/oauth_callback", http.StatusNoContent},
		{"GET", "/user/a/logout", http.StatusNoContent},
		{"GET", "/user/a/tree/?token=t", http.StatusTeapot},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.want)
		}
	}
}
