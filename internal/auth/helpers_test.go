package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"quire/internal/auth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	base      = "/q/"
	testToken = "0123456789abcdef0123456789abcdef0123456789abcdef"
	loginName = "username-example-com" // httptest's Host is example.com
)

// clock is an injected time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is an Auth wrapped around a mux that echoes the identity.
type fixture struct {
	a     *auth.Auth
	h     http.Handler
	clock *clock
	dir   string
}

// newFixture makes an Auth with token and the sha1 test password unless o
// says otherwise ("-" as Token or PasswordHash means empty).
func newFixture(t testing.TB, o auth.Options) *fixture {
	t.Helper()
	c := newClock()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	switch o.Token {
	case "":
		o.Token = testToken
	case "-":
		o.Token = ""
	}
	switch o.PasswordHash {
	case "":
		o.PasswordHash = sha1Vector
	case "-":
		o.PasswordHash = ""
	}
	o.BaseURL = base
	if o.Now == nil {
		o.Now = c.Now
	}
	a, err := auth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &fixture{a: a, h: handlerFor(a), clock: c, dir: o.DataDir}
}

func handlerFor(a *auth.Auth) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(base+"login", a.Login())
	mux.Handle(base+"logout", a.Logout())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id, ok := auth.FromContext(r.Context())
		if !ok {
			id.Method = "public"
		}
		w.Header().Set("X-Method", string(id.Method))
		w.Header().Set("X-User", id.Username)
		w.WriteHeader(http.StatusOK)
	})
	return a.Middleware(mux)
}

// req describes a request.
type req struct {
	method, target string
	header         map[string]string
	cookies        []*http.Cookie
	form           url.Values
	remote         string
}

func (f *fixture) do(t *testing.T, q req) *http.Response {
	t.Helper()
	if q.method == "" {
		q.method = http.MethodGet
	}
	var r *http.Request
	if q.form != nil {
		r = httptest.NewRequest(q.method, q.target, strings.NewReader(q.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(q.method, q.target, nil)
	}
	if q.remote != "" {
		r.RemoteAddr = q.remote + ":1234"
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	for _, c := range q.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w.Result()
}

// login runs the VS Code handshake and returns the login and _xsrf cookies.
func (f *fixture) login(t *testing.T, remote string) (session, xsrf *http.Cookie) {
	t.Helper()
	resp := f.do(t, req{target: base + "login", remote: remote})
	xsrf = cookieNamed(resp, "_xsrf")
	if resp.StatusCode != http.StatusOK || xsrf == nil {
		t.Fatalf("GET login: %d, _xsrf cookie %v", resp.StatusCode, xsrf)
	}
	resp = f.do(t, req{method: "POST", target: base + "login", remote: remote,
		form:    url.Values{"_xsrf": {xsrf.Value}, "password": {"mypassword"}},
		cookies: []*http.Cookie{xsrf}})
	cs := resp.Cookies()
	if resp.StatusCode != http.StatusFound || len(cs) == 0 || cs[0].Name != loginName {
		t.Fatalf("POST login: %d, cookies %v", resp.StatusCode, cs)
	}
	return cs[0], xsrf
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// jsonMessage returns the "message" of a JSON error body.
func jsonMessage(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct {
		Message string `json:"message"`
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Errorf("decode error body: %v", err)
	}
	return body.Message
}
