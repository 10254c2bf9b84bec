package guard_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"quire/internal/baseurl"
	"quire/internal/guard"
)

func TestIsPublicAsset(t *testing.T) {
	for _, tc := range []struct {
		method, base, target string
		want                 bool
	}{
		{"GET", "/", "/static/app/index-abc.js", true},
		{"HEAD", "/", "/static/app/sandbox.html", true},
		{"GET", "/", "/static/login/login.css", false},
		{"GET", "/", "/static/app.js", false},
		{"GET", "/", "/static/app/", false},
		{"GET", "/x/", "/x/static/app/a.css", true},
		{"POST", "/", "/static/app/a.js", false},
		{"PUT", "/", "/static/app/a.js", false},
		{"GET", "/", "/static/", false},
		{"GET", "/", "/static", false},
		{"GET", "/", "/static/app/../../api/contents", false},
		{"GET", "/", "/static/app//a.js", false},
		{"GET", "/", "/static/app/./a.js", false},
		{"GET", "/", "/static/app/a.js/", false},
		{"GET", "/x/", "/static/app/a.js", false},
		{"GET", "/", "/api/contents/static/app/a.js", false},
		{"GET", "/", "/staticx/a.js", false},
		{"GET", "/", "/favicon.ico", true},
		{"HEAD", "/x/", "/x/favicon.ico", true},
		{"GET", "/x/", "/favicon.ico", false},
		{"POST", "/", "/favicon.ico", false},
		{"GET", "/", "/favicon.ico/", false},
		{"GET", "/", "/api/favicon.ico", false},
		{"GET", "/", "/favicon.svg", false},
		// A JupyterHub prefix, however the request spells it.
		{"GET", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/static/app/a.js", true},
		{"GET", "/user/zo%C3%AB@ex.org/", "/user/zo%c3%ab@ex.org/favicon.ico", true},
		{"GET", "/user/zo%C3%AB@ex.org/", "/user/zoë@ex.org/static/app/a.js", true},
		{"GET", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/static/app/%2E%2E/x", false},
		{"GET", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org%2Fstatic/app/a.js", false},
		{"GET", "/user/alice%2Bwork@x/", "/user/alice+work@x/static/app/a.js", true},
	} {
		r := httptest.NewRequest(tc.method, "http://localhost"+tc.target, nil)
		if !strings.Contains(tc.target, "%") {
			r.URL.Path = tc.target // keep dot segments as sent
		}
		if got := guard.IsPublicAsset(r, baseurl.MustParse(tc.base)); got != tc.want {
			t.Errorf("IsPublicAsset(%s %s, base %s) = %v, want %v", tc.method, tc.target, tc.base, got, tc.want)
		}
	}
}
