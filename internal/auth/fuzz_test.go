package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"quire/internal/auth"
)

// FuzzUnauthenticated: no login cookie value or query string authenticates
// without the token, and a token parameter never reaches a redirect target.
func FuzzUnauthenticated(f *testing.F) {
	f.Add("AAAA.BBBB", "x=1", "y")
	f.Add("", "", "")
	f.Add("a.b.c", "next=%2F%2Fevil", "token")
	f.Add(strings.Repeat("A", 43)+"."+strings.Repeat("B", 43), "token=1&token=2", "%74oken=3")
	fx := newFixture(f, auth.Options{})
	const wrong = "zzWRONGzz"
	f.Fuzz(func(t *testing.T, cookie, pre, post string) {
		target := base + "tree?" + pre + "&token=" + wrong + "&" + post
		r, err := http.NewRequest("GET", "http://example.com"+target, nil)
		if err != nil {
			return
		}
		r.Header.Set("Cookie", loginName+"="+cookie)
		r.Header.Set("Sec-Fetch-Mode", "navigate")
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			t.Fatalf("cookie %q query %q: authenticated", cookie, r.URL.RawQuery)
		}
		if loc := w.Header().Get("Location"); strings.Contains(loc, wrong) && !strings.Contains(pre+post, "zzWRONG") && !strings.Contains(pre+post, "WRONGzz") {
			t.Fatalf("query %q: redirect %q carries the token", r.URL.RawQuery, loc)
		}
	})
}
