package doctor_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/doctor"
	"quire/internal/testca"
)

const testToken = "t0ps3cret-doctor-token"

// fakeServer answers like Quire at base: GET {base}api is public, the
// rest needs the token, pages redirect to login, {base}login refuses an
// Origin other than the one it believes is its own, and the kernel
// channels WebSocket answers kernel_info_request. The fields break it the
// ways deployments break.
type fakeServer struct {
	base string
	// ownOrigin, when set, is the only Origin accepted (what Quire
	// computes from the scheme and Host it sees); empty accepts any.
	ownOrigin func(r *http.Request) string
	// loginLocation is the Location of the redirect to login; default
	// base+"login?next=…".
	loginLocation func(r *http.Request) string
	hsts          bool
	openAPI       bool
	date          string
	password      string // accepted by POST {base}login
	deleted       atomic.Int32
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := f.base
	if f.hsts && r.TLS != nil {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	if f.date != "" {
		w.Header().Set("Date", f.date)
	}
	if o := r.Header.Get("Origin"); o != "" && f.ownOrigin != nil && o != f.ownOrigin(r) && r.Header.Get("Authorization") == "" {
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{"message": "Origin '" + o + "' is not allowed; start Quire with --allow-origin " + o + " if you expect it"})
		return
	}
	authed := r.Header.Get("Authorization") == "token "+testToken
	if c, err := r.Cookie("session"); err == nil && c.Value == "ok" {
		x, _ := r.Cookie("_xsrf")
		authed = r.Method == "GET" || (x != nil && r.Header.Get("X-XSRFToken") == x.Value)
	}
	p := r.URL.Path
	switch {
	case p == b+"api":
		w.Write([]byte(`{"version": "2.14.0"}`))
		return
	case p == b+"login" && r.Method == "POST":
		x, _ := r.Cookie("_xsrf")
		if f.password == "" || r.PostFormValue("password") != f.password || x == nil || r.PostFormValue("_xsrf") != x.Value {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "ok", Path: b})
		w.Header().Set("Location", b)
		w.WriteHeader(http.StatusFound)
		return
	case p == b+"login":
		http.SetCookie(w, &http.Cookie{Name: "_xsrf", Value: "x1", Path: b})
		w.Write([]byte("<form>login</form>"))
		return
	case !authed && !f.openAPI && strings.HasPrefix(p, b+"api/"):
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message": "Forbidden"}`))
		return
	case !authed && !f.openAPI:
		loc := b + "login?next=" + url.QueryEscape(p)
		if f.loginLocation != nil {
			loc = f.loginLocation(r)
		}
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusFound)
		return
	}
	switch {
	case p == b+"api/contents/quire-doctor-probe.ipynb" && r.Method == "PUT":
		io.Copy(io.Discard, r.Body) // as Quire: the whole body, then no JSON in it
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message": "invalid JSON"}`))
	case p == b+"api/kernelspecs":
		w.Write([]byte(`{"default": "python3", "kernelspecs": {}}`))
	case p == b+"api/kernels" && r.Method == "POST":
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id": "k1", "name": "python3"}`))
	case p == b+"api/kernels/k1" && r.Method == "DELETE":
		f.deleted.Add(1)
		w.WriteHeader(http.StatusNoContent)
	case p == b+"api/kernels/k1/channels":
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return // Accept has answered (426 to a plain GET)
		}
		defer c.CloseNow()
		ctx := r.Context()
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m struct {
			Header map[string]any `json:"header"`
		}
		json.Unmarshal(data, &m)
		reply, _ := json.Marshal(map[string]any{
			"header":        map[string]any{"msg_type": "status", "msg_id": "s"},
			"parent_header": m.Header,
		})
		c.Write(ctx, websocket.MessageText, reply)
		reply, _ = json.Marshal(map[string]any{
			"header":        map[string]any{"msg_type": "kernel_info_reply", "msg_id": "r"},
			"parent_header": m.Header, "content": map[string]any{"status": "ok"},
		})
		c.Write(ctx, websocket.MessageText, reply)
		c.Read(ctx) // until the client closes
	case strings.HasPrefix(p, b+"api/"):
		w.Write([]byte(`[]`))
	default:
		w.Write([]byte("<html>page</html>"))
	}
}

// sameOrigin is what Quire believes its origin is: the request's scheme
// (TLS on the connection only: no proxy header believed) and Host.
func sameOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// proxy is a reverse proxy in front of backend; strip drops the
// WebSocket upgrade as a misconfigured proxy does.
func proxy(t *testing.T, backend string, strip bool) *httptest.Server {
	t.Helper()
	u, _ := url.Parse(backend)
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		if strip {
			pr.Out.Header.Del("Upgrade")
			pr.Out.Header.Del("Connection")
		}
	}}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv
}

// redirector answers plain HTTP with a redirect to target.
func redirector(t *testing.T, target string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRemote(t *testing.T) {
	ca := testca.NewT(t, "Doctor Test CA")
	good := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}}).TLS
	expired := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}, NotBefore: time.Now().Add(-200 * 24 * time.Hour), NotAfter: time.Now().Add(-2 * 24 * time.Hour)}).TLS
	wrongName := ca.IssueT(t, testca.Leaf{Names: []string{"nb.example.org"}}).TLS

	// tlsServer serves f over TLS with cert; the returned target has the
	// CA and a plain-HTTP redirect to it.
	tlsServer := func(t *testing.T, f *fakeServer, cert tls.Certificate) doctor.Target {
		srv := httptest.NewUnstartedServer(f)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes doctor fails on purpose
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return doctor.Target{URL: srv.URL + f.base, Roots: ca.Pool, HTTPURL: redirector(t, srv.URL+f.base).URL + f.base}
	}
	plainServer := func(t *testing.T, f *fakeServer) doctor.Target {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		return doctor.Target{URL: srv.URL + f.base}
	}

	for _, tc := range []struct {
		name   string
		target func(t *testing.T) (doctor.Target, *fakeServer)
		want   []want
		exit   int
	}{
		{"healthy over TLS with a token", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true, ownOrigin: sameOrigin}
			tg := tlsServer(t, f, good)
			tg.Token = testToken
			return tg, f
		}, []want{
			{"tls.chain", doctor.OK, nil}, {"tls.names", doctor.OK, nil}, {"tls.expiry", doctor.OK, nil},
			{"tls.version", doctor.OK, []string{"1.3"}}, {"hsts", doctor.OK, nil}, {"http.redirect", doctor.OK, nil},
			{"auth.api", doctor.OK, nil}, {"auth.page", doctor.OK, nil}, {"proxy.origin", doctor.OK, nil},
			{"clock", doctor.OK, nil}, {"websocket", doctor.OK, []string{"kernel_info"}}, {"proxy.body-size", doctor.OK, nil},
		}, 0},
		{"healthy with a password instead of a token", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/nb/", hsts: true, ownOrigin: sameOrigin, password: "pa55word"}
			tg := tlsServer(t, f, good)
			tg.Password = "pa55word"
			return tg, f
		}, []want{{"websocket", doctor.OK, nil}}, 0},
		{"wrong password", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", password: "pa55word"}
			tg := plainServer(t, f)
			tg.Password = "nope"
			return tg, f
		}, []want{{"auth.password", doctor.Error, []string{"HTTP 401", "QUIRE_PASSWORD=..."}}}, 2},
		{"healthy under a base path without a token", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/jupyter/", ownOrigin: sameOrigin}
			return plainServer(t, f), f
		}, []want{{"auth.page", doctor.OK, nil}, {"websocket", doctor.Skip, []string{"QUIRE_TOKEN=... quire doctor"}}}, 0},
		{"proxy that drops the WebSocket upgrade", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/"}
			back := httptest.NewServer(f)
			t.Cleanup(back.Close)
			return doctor.Target{URL: proxy(t, back.URL, true).URL + "/", Token: testToken}, f
		}, []want{{"websocket", doctor.Error, []string{"HTTP 426 instead of 101", "dropped the Upgrade", `proxy_set_header Upgrade $http_upgrade;`, "upgrade=websocket"}}}, 2},
		{"proxy with nginx's default body limit", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/"}
			back := httptest.NewServer(f)
			t.Cleanup(back.Close)
			rp := proxy(t, back.URL, false)
			limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.ContentLength > 1<<20 {
					io.Copy(io.Discard, r.Body) // nginx reads on while it answers
					w.WriteHeader(http.StatusRequestEntityTooLarge)
					w.Write([]byte("<html><center><h1>413 Request Entity Too Large</h1></center>nginx</html>"))
					return
				}
				rp.Config.Handler.ServeHTTP(w, r)
			}))
			t.Cleanup(limited.Close)
			return doctor.Target{URL: limited.URL + "/", Token: testToken}, f
		}, []want{{"proxy.body-size", doctor.Error, []string{"HTTP 413 before the server", "client_max_body_size 256m;"}}, {"websocket", doctor.OK, nil}}, 2},
		{"proxy that passes the WebSocket upgrade", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/"}
			back := httptest.NewServer(f)
			t.Cleanup(back.Close)
			return doctor.Target{URL: proxy(t, back.URL, false).URL + "/", Token: testToken}, f
		}, []want{{"websocket", doctor.OK, nil}}, 0},
		{"server redirects to http:// behind a TLS proxy", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true, loginLocation: func(r *http.Request) string {
				return "http://" + r.Host + "/login?next=%2Ftree"
			}}
			return tlsServer(t, f, good), f
		}, []want{{"proxy.scheme", doctor.Error, []string{"redirects to http://", "X-Forwarded-Proto", "--trusted-proxy"}}}, 2},
		{"server redirects to another host", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", loginLocation: func(r *http.Request) string { return "http://127.0.0.1:8888/login" }}
			return plainServer(t, f), f
		}, []want{{"proxy.host", doctor.Error, []string{"127.0.0.1:8888", "X-Forwarded-Host"}}}, 2},
		{"proxy strips the base path", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/jupyter/", loginLocation: func(r *http.Request) string { return "/login?next=%2Ftree" }}
			return plainServer(t, f), f
		}, []want{{"proxy.base-url", doctor.Error, []string{"/jupyter/", "--base-url /jupyter/"}}}, 2},
		{"server believes its origin is http:// behind TLS", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true, ownOrigin: func(r *http.Request) string { return "http://" + r.Host }}
			return tlsServer(t, f, good), f
		}, []want{{"proxy.origin", doctor.Error, []string{"refuses requests from its own page's origin", "X-Forwarded-Proto $scheme"}}}, 2},
		{"expired certificate", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true}
			tg := tlsServer(t, f, expired)
			tg.Token = testToken
			return tg, f
		}, []want{{"tls.expiry", doctor.Error, []string{"expired"}}, {"websocket", doctor.Skip, []string{"no credential was sent"}}}, 2},
		{"certificate for the wrong name", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true}
			return tlsServer(t, f, wrongName), f
		}, []want{{"tls.names", doctor.Error, []string{"does not cover 127.0.0.1", "nb.example.org"}}}, 2},
		{"no HSTS", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/"}
			return tlsServer(t, f, good), f
		}, []want{{"hsts", doctor.Warn, []string{"Strict-Transport-Security", "add_header"}}}, 1},
		{"TLS on its own port: no http:// redirect expected", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true}
			tg := tlsServer(t, f, good)
			tg.HTTPURL = ""
			return tg, f
		}, []want{{"http.redirect", doctor.Skip, []string{"has port"}}}, 0},
		{"plain HTTP not redirected", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", hsts: true}
			tg := tlsServer(t, f, good)
			plain := httptest.NewServer(f)
			t.Cleanup(plain.Close)
			tg.HTTPURL = plain.URL + "/"
			return tg, f
		}, []want{{"http.redirect", doctor.Error, []string{"instead of redirecting to HTTPS", "return 301 https://$host$request_uri"}}}, 2},
		{"API open without credentials", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", openAPI: true}
			return plainServer(t, f), f
		}, []want{{"auth.api:api/contents", doctor.Error, []string{"without credentials"}}, {"auth.page", doctor.Error, nil}}, 2},
		{"server clock an hour ahead", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/", date: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}
			return plainServer(t, f), f
		}, []want{{"clock", doctor.Error, []string{"1h0m0s", "timedatectl"}}}, 2},
		{"wrong base URL", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/jupyter/"}
			srv := httptest.NewServer(f)
			t.Cleanup(srv.Close)
			return doctor.Target{URL: srv.URL + "/notebooks/"}, f
		}, []want{{"server.reachable", doctor.Error, []string{"no Jupyter server", "base URL seems to be /jupyter/", "--base-url /notebooks/"}}}, 2},
		{"not an http URL", func(t *testing.T) (doctor.Target, *fakeServer) {
			return doctor.Target{URL: "ftp://nb.example.org/?token=" + testToken}, &fakeServer{}
		}, []want{{"url", doctor.Error, []string{"ftp://nb.example.org/", "quire doctor https://"}}}, 2},
		{"token in the URL, as Quire prints it", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/"}
			tg := plainServer(t, f)
			tg.URL += "?token=" + testToken
			return tg, f
		}, []want{{"websocket", doctor.OK, nil}}, 0},
		{"wrong token", func(t *testing.T) (doctor.Target, *fakeServer) {
			f := &fakeServer{base: "/"}
			tg := plainServer(t, f)
			tg.Token = "wrong"
			return tg, f
		}, []want{{"auth.token", doctor.Error, []string{"refused"}}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, f := tc.target(t)
			tg.Timeout = 5 * time.Second
			r := doctor.Remote(context.Background(), tg)
			for _, w := range tc.want {
				check(t, r, w)
			}
			if got := r.ExitCode(); got != tc.exit {
				for _, f := range r.Findings {
					t.Logf("%s %s: %s", f.Level, f.ID, f.Title)
				}
				t.Errorf("exit code %d, want %d", got, tc.exit)
			}
			if strings.Contains(r.Target, testToken) {
				t.Errorf("the report's target %q shows the token", r.Target)
			}
			for _, f := range r.Findings {
				if strings.Contains(f.Title+f.Detail+f.Fix, testToken) || (tg.Password != "" && strings.Contains(f.Title+f.Detail+f.Fix, tg.Password)) {
					t.Errorf("%s prints the token or password", f.ID)
				}
			}
			if tg.Token == testToken || strings.Contains(tg.URL, testToken) || (tg.Password != "" && tg.Password == f.password) {
				if ws, ok := find(r, "websocket"); ok && ws.Level != doctor.Skip && f.deleted.Load() != 1 {
					t.Errorf("the kernel started for the check was deleted %d times, want 1", f.deleted.Load())
				}
			}
		})
	}
}
