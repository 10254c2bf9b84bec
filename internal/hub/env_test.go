package hub_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"quire/internal/hub"
)

func lookupOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func hubVars() map[string]string {
	return map[string]string{
		"JUPYTERHUB_API_TOKEN":           "secret",
		"JUPYTERHUB_API_URL":             "http://127.0.0.1:8081/hub/api/",
		"JUPYTERHUB_ACTIVITY_URL":        "http://127.0.0.1:8081/hub/api/users/alice/activity",
		"JUPYTERHUB_BASE_URL":            "/",
		"JUPYTERHUB_SERVICE_PREFIX":      "/user/alice/",
		"JUPYTERHUB_SERVICE_URL":         "http://127.0.0.1:52939/user/alice/",
		"JUPYTERHUB_CLIENT_ID":           "jupyterhub-user-alice",
		"JUPYTERHUB_OAUTH_CALLBACK_URL":  "/user/alice/oauth_callback",
		"JUPYTERHUB_OAUTH_ACCESS_SCOPES": `["access:servers!server=alice/", "access:servers!user=alice"]`,
		"JUPYTERHUB_USER":                "alice",
		"JUPYTERHUB_SERVER_NAME":         "",
		"JUPYTERHUB_HOST":                "",
	}
}

func TestLoadEnv(t *testing.T) {
	e, err := hub.LoadEnv(lookupOf(hubVars()))
	if err != nil {
		t.Fatal(err)
	}
	if e.APIURL != "http://127.0.0.1:8081/hub/api" || e.ListenIP() != "127.0.0.1" || e.ListenPort != 52939 ||
		e.Prefix != "/user/alice/" || e.HubPrefix() != "/hub/" || e.ActivityInterval != 300*time.Second || !e.WebSocketCookie {
		t.Errorf("LoadEnv = %+v", e)
	}
	if diff := cmp.Diff([]string{"access:servers!server=alice/", "access:servers!user=alice"}, e.AccessScopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name    string
		set     map[string]string
		wantErr string // "" = loads
		check   func(hub.Env) bool
	}{
		{"old token name", map[string]string{"JUPYTERHUB_API_TOKEN": "", "JPY_API_TOKEN": "x"}, "", func(e hub.Env) bool { return e.APIToken == "x" }},
		{"no token", map[string]string{"JUPYTERHUB_API_TOKEN": ""}, "JUPYTERHUB_API_TOKEN", nil},
		{"no client id", map[string]string{"JUPYTERHUB_CLIENT_ID": ""}, "JUPYTERHUB_CLIENT_ID", nil},
		{"no service url", map[string]string{"JUPYTERHUB_SERVICE_URL": ""}, "JUPYTERHUB_SERVICE_URL", nil},
		{"old scope name", map[string]string{"JUPYTERHUB_OAUTH_ACCESS_SCOPES": "", "JUPYTERHUB_OAUTH_SCOPES": `["access:servers!server=alice/"]`}, "", func(e hub.Env) bool { return len(e.AccessScopes) == 1 }},
		{"no scopes", map[string]string{"JUPYTERHUB_OAUTH_ACCESS_SCOPES": "[]"}, "JUPYTERHUB_OAUTH_ACCESS_SCOPES", nil},
		{"bad scopes", map[string]string{"JUPYTERHUB_OAUTH_ACCESS_SCOPES": "access:servers"}, "JSON list", nil},
		{"all interfaces", map[string]string{"JUPYTERHUB_SERVICE_URL": "http://:8888"}, "", func(e hub.Env) bool { return e.ListenIP() == "0.0.0.0" && e.ListenPort == 8888 }},
		{"ipv6", map[string]string{"JUPYTERHUB_SERVICE_URL": "http://[::1]:9"}, "", func(e hub.Env) bool { return e.ListenAddr() == "[::1]:9" }},
		{"no port", map[string]string{"JUPYTERHUB_SERVICE_URL": "http://0.0.0.0/"}, "", func(e hub.Env) bool { return e.ListenPort == 80 }},
		{"internal ssl without files", map[string]string{"JUPYTERHUB_SERVICE_URL": "https://127.0.0.1:1/"}, "JUPYTERHUB_SSL_KEYFILE", nil},
		{"internal ssl without CA", map[string]string{"JUPYTERHUB_SERVICE_URL": "https://127.0.0.1:1/", "JUPYTERHUB_SSL_KEYFILE": "k", "JUPYTERHUB_SSL_CERTFILE": "c"}, "JUPYTERHUB_SSL_CLIENT_CA", nil},
		{"ssl files on http", map[string]string{"JUPYTERHUB_SSL_KEYFILE": "k", "JUPYTERHUB_SSL_CERTFILE": "c", "JUPYTERHUB_SSL_CLIENT_CA": "ca"}, "not https", nil},
		{"internal ssl", map[string]string{"JUPYTERHUB_SERVICE_URL": "https://127.0.0.1:1/", "JUPYTERHUB_SSL_KEYFILE": "k", "JUPYTERHUB_SSL_CERTFILE": "c", "JUPYTERHUB_SSL_CLIENT_CA": "ca"}, "",
			func(e hub.Env) bool { return e.InternalSSL() && e.ListenPort == 1 && e.SSLClientCA == "ca" }},
		{"host prefix", map[string]string{"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "1"}, "", func(e hub.Env) bool { return e.HostPrefix }},
		{"host prefix off", map[string]string{"JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "0"}, "", func(e hub.Env) bool { return !e.HostPrefix }},
		{"user config off", map[string]string{"JUPYTERHUB_DISABLE_USER_CONFIG": "1"}, "", func(e hub.Env) bool { return e.DisableUserConfig }},
		{"token in url", map[string]string{"JUPYTERHUB_ALLOW_TOKEN_IN_URL": "1"}, "", func(e hub.Env) bool { return e.AllowTokenInURL }},
		{"cookie options", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"SameSite": "None", "secure": true, "domain": "hub.example.org", "max_age": 3600, "path": "/x"}`}, "",
			func(e hub.Env) bool {
				return e.Cookie == hub.CookieOptions{Secure: true, SameSite: http.SameSiteNoneMode, Domain: "hub.example.org", MaxAge: time.Hour} &&
					len(e.Notes) == 1 && strings.Contains(e.Notes[0], "path")
			}},
		{"cookie session", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"expires_days": null}`}, "", func(e hub.Env) bool { return e.Cookie.Session }},
		{"cookie days", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"expires_days": 2}`}, "", func(e hub.Env) bool { return e.Cookie.MaxAge == 48*time.Hour }},
		{"cookie options not json", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `samesite=lax`}, "JUPYTERHUB_COOKIE_OPTIONS", nil},
		{"cookie samesite bad", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"samesite": "sometimes"}`}, "samesite", nil},
		{"cookie secure bad", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"secure": "yes"}`}, "secure", nil},
		{"cookie domain bad", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"domain": "a; b"}`}, "domain", nil},
		{"cookie max age bad", map[string]string{"JUPYTERHUB_COOKIE_OPTIONS": `{"max_age": -1}`}, "max_age", nil},
		{"prefix normalised", map[string]string{"JUPYTERHUB_SERVICE_PREFIX": "user/bob/nb2"}, "", func(e hub.Env) bool { return e.Prefix == "/user/bob/nb2/" }},
		{"escaped prefix", map[string]string{"JUPYTERHUB_SERVICE_PREFIX": "/user/zo%C3%AB%2Bx@ex.org/"}, "", func(e hub.Env) bool { return e.Prefix == "/user/zo%C3%AB%2Bx@ex.org/" }},
		{"malformed prefix", map[string]string{"JUPYTERHUB_SERVICE_PREFIX": "/user/zo%zz/"}, `JUPYTERHUB_SERVICE_PREFIX "/user/zo%zz/" has a malformed percent-escape`, nil},
		{"dot-dot prefix", map[string]string{"JUPYTERHUB_SERVICE_PREFIX": "/user/../"}, "JUPYTERHUB_SERVICE_PREFIX", nil},
		{"subdomains", map[string]string{"JUPYTERHUB_HOST": "https://hub.example.org/", "JUPYTERHUB_BASE_URL": "/jhub"}, "", func(e hub.Env) bool { return e.HubPrefix() == "https://hub.example.org/jhub/hub/" }},
		{"interval off", map[string]string{"JUPYTERHUB_ACTIVITY_INTERVAL": "0"}, "", func(e hub.Env) bool { return e.ActivityInterval == 0 }},
		{"bad interval", map[string]string{"JUPYTERHUB_ACTIVITY_INTERVAL": "5m"}, "JUPYTERHUB_ACTIVITY_INTERVAL", nil},
		{"missing root", map[string]string{"JUPYTERHUB_ROOT_DIR": "/does/not/exist"}, "JUPYTERHUB_ROOT_DIR", nil},
		{"websocket cookie off", map[string]string{"JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH": "0"}, "", func(e hub.Env) bool { return !e.WebSocketCookie }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := hubVars()
			for k, v := range tc.set {
				m[k] = v
			}
			e, err := hub.LoadEnv(lookupOf(m))
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.check != nil && !tc.check(e):
				t.Errorf("LoadEnv = %+v", e)
			}
		})
	}
}

func TestDetected(t *testing.T) {
	if !hub.Detected(lookupOf(hubVars())) {
		t.Error("Detected = false with the Hub's variables")
	}
	m := hubVars()
	delete(m, "JUPYTERHUB_SERVICE_URL")
	if hub.Detected(lookupOf(m)) {
		t.Error("Detected = true without JUPYTERHUB_SERVICE_URL")
	}
	if hub.Detected(lookupOf(nil)) {
		t.Error("Detected = true in an empty environment")
	}
}

func TestPage(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "tree/", true},
		{"/lab", "tree/", true},
		{"/lab/", "tree/", true},
		{"/lab/tree/x.ipynb", "notebooks/x.ipynb", true},
		{"/lab/tree/dir/", "tree/dir/", true},
		{"/lab/tree/a/b.py", "edit/a/b.py", true},
		{"/lab/workspaces/w/tree/x.ipynb", "notebooks/x.ipynb", true},
		{"/doc/tree/x.ipynb", "notebooks/x.ipynb", true},
		{"/tree", "tree/", true},
		{"/tree/", "tree/", true},
		{"/tree/sub", "tree/sub", true},
		{"/notebooks/x.ipynb", "notebooks/x.ipynb", true},
		{"/terminals/1", "terminals/1", true},
		{"/voila/render/x.ipynb", "tree/", false},
		{"/lab/treehouse", "tree/", true},
	} {
		if got, ok := hub.Page(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("Page(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAllowed(t *testing.T) {
	req := []string{"access:servers!server=alice/", "access:servers!user=alice"}
	for _, tc := range []struct {
		held []string
		want bool
	}{
		{[]string{"access:servers!server=alice/"}, true},
		{[]string{"access:servers!user=alice"}, true},
		{[]string{"access:servers"}, true},
		{[]string{"read:users:name!user=alice", "access:servers!server=bob/"}, false},
		{[]string{"access:servers!user=bob"}, false},
		{[]string{"access:servers!group=staff"}, false},
		{[]string{"access:servers:extra"}, false},
		{nil, false},
	} {
		if got := hub.Allowed(tc.held, req); got != tc.want {
			t.Errorf("Allowed(%q) = %v, want %v", tc.held, got, tc.want)
		}
	}
	// user=U covers a named server of U.
	if !hub.Allowed([]string{"access:servers!user=bob"}, []string{"access:servers!server=bob/nb2"}) {
		t.Error("user=bob does not cover server=bob/nb2")
	}
	if hub.Allowed([]string{"access:servers!user=bo"}, []string{"access:servers!server=bob/nb2"}) {
		t.Error("user=bo covers server=bob/nb2")
	}
}
