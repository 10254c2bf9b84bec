package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
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

// FuzzDeviceCookie: no device cookie value but the one the server issued
// lets a login past the global throttle.
func FuzzDeviceCookie(f *testing.F) {
	fx := newFixture(f, auth.Options{GlobalFailures: 3, DeviceFailures: 1 << 30})
	// The issued cookie, without logging in (which would retire it).
	issued := auth.MintDevice(fx.a, []byte("0123456789abcdef"), fx.clock.Now().Unix(), auth.DeviceUser)
	f.Add(issued)
	f.Add(strings.Replace(issued, ".", ".+", 1))
	f.Add("MDEyMzQ1Njc4OWFiY2RlZg.0.b3duZXI.AAAA")
	f.Add("a.b.c.d")
	name := auth.DeviceCookieName(fx.a)
	for i := range 3 { // the global throttle holds while the clock stands still
		r := httptest.NewRequest("POST", base+"login", strings.NewReader("_xsrf=x&password=wrong"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", "_xsrf=x")
		r.RemoteAddr = "203.0.113." + strconv.Itoa(i+1) + ":1"
		fx.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	f.Fuzz(func(t *testing.T, value string) {
		r := httptest.NewRequest("POST", base+"login", strings.NewReader("_xsrf=x&password=wrong"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", "_xsrf=x; "+name+"="+value)
		sent := "" // as the server reads it (quotes dropped, cut at ';')
		if c, err := r.Cookie(name); err == nil {
			sent = c.Value
		}
		// Past net/http's cap on cookies in one header (httpcookiemaxnum)
		// no cookie is read at all, so the XSRF check refuses the form.
		_, xsrfErr := r.Cookie("_xsrf")
		w := httptest.NewRecorder()
		fx.h.ServeHTTP(w, r)
		switch {
		case xsrfErr != nil:
			if w.Code != http.StatusForbidden {
				t.Fatalf("device cookie %q: no cookie readable, status %d, want 403", value, w.Code)
			}
		case w.Code == http.StatusUnauthorized && sent != issued:
			t.Fatalf("device cookie %q passed the global throttle", value)
		case w.Code == http.StatusTooManyRequests && sent == issued:
			t.Fatalf("the issued device cookie was throttled")
		case w.Code != http.StatusUnauthorized && w.Code != http.StatusTooManyRequests:
			t.Fatalf("device cookie %q: status %d", value, w.Code)
		}
	})
}
