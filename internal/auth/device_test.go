package auth_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"quire/internal/auth"
)

// The device tests run in a synctest bubble: Options.Now is the bubble's
// clock, which time.Sleep moves on at once.

const (
	ownerIP    = "192.0.2.10"
	strangerIP = "198.51.100.1"
)

func newDeviceFixture(t *testing.T, o auth.Options) *fixture {
	t.Helper()
	o.Now = time.Now
	return newFixture(t, o)
}

// post sends a login with pw from remote, with the _xsrf cookie and the
// given cookies (nil ones skipped).
func (f *fixture) post(t *testing.T, remote, pw string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	cs := []*http.Cookie{{Name: "_xsrf", Value: "x"}}
	for _, c := range cookies {
		if c != nil {
			cs = append(cs, c)
		}
	}
	return f.do(t, req{method: "POST", target: base + "login", remote: remote, cookies: cs,
		form: url.Values{"_xsrf": {"x"}, "password": {pw}}})
}

// deviceOf returns the device cookie resp sets, or nil.
func deviceOf(f *fixture, resp *http.Response) *http.Cookie {
	return cookieNamed(resp, auth.DeviceCookieName(f.a))
}

// ownerLogin logs in with the password (and dev, if any) and returns the
// device cookie it gets.
func (f *fixture) ownerLogin(t *testing.T, dev *http.Cookie) *http.Cookie {
	t.Helper()
	resp := f.post(t, ownerIP, "mypassword", dev)
	next := deviceOf(f, resp)
	if resp.StatusCode != http.StatusFound || next == nil {
		t.Fatalf("owner login: %d, device cookie %v", resp.StatusCode, next)
	}
	return next
}

// flood sends wrong passwords from n addresses until the global throttle
// holds: a stranger with the right password then gets 429.
func (f *fixture) flood(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		f.post(t, fmt.Sprintf("203.0.113.%d", i+1), "wrong")
	}
	if got := f.post(t, strangerIP, "mypassword").StatusCode; got != http.StatusTooManyRequests {
		t.Fatalf("after a flood a stranger with the right password gets %d, want 429", got)
	}
}

func TestDeviceCookieAttributes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		f := newDeviceFixture(t, auth.Options{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if resp := f.post(t, ownerIP, "wrong"); deviceOf(f, resp) != nil {
			t.Error("a failed login set a device cookie")
		}
		resp := f.post(t, ownerIP, "mypassword")
		if cs := resp.Cookies(); len(cs) < 2 || cs[0].Name != loginName {
			t.Fatalf("cookies %v: the login cookie must come first", cs)
		}
		dev := deviceOf(f, resp)
		switch {
		case dev == nil:
			t.Fatal("no device cookie after a successful login")
		case !strings.HasPrefix(dev.Name, "quire-device-"):
			t.Errorf("name %q", dev.Name)
		case !dev.HttpOnly || dev.SameSite != http.SameSiteStrictMode || dev.Secure:
			t.Errorf("HttpOnly %v SameSite %v Secure %v; want true, Strict, false", dev.HttpOnly, dev.SameSite, dev.Secure)
		case dev.Path != base+"login":
			t.Errorf("Path %q, want %q", dev.Path, base+"login")
		case dev.MaxAge != 365*24*3600:
			t.Errorf("Max-Age %d, want a year", dev.MaxAge)
		}
		// The token logs in through the form too, and gets one.
		if deviceOf(f, f.post(t, ownerIP, testToken)) == nil {
			t.Error("no device cookie after a login with the token")
		}
		// Attempts with it, failed and successful, never log it.
		f.post(t, ownerIP, "wrong", dev)
		f.post(t, ownerIP, "mypassword", dev)
		if strings.Contains(logs.String(), dev.Value) || strings.Contains(logs.String(), strings.Split(dev.Value, ".")[0]) {
			t.Errorf("the device cookie reached the log:\n%s", logs.String())
		}

		secure := newDeviceFixture(t, auth.Options{IsSecure: func(*http.Request) bool { return true }})
		if dev := deviceOf(secure, secure.post(t, ownerIP, "mypassword")); dev == nil || !dev.Secure {
			t.Errorf("under TLS: %v, want a Secure cookie", dev)
		}
		off := newDeviceFixture(t, auth.Options{DeviceMaxAge: -1})
		if resp := off.post(t, ownerIP, "mypassword"); resp.StatusCode != 302 || deviceOf(off, resp) != nil {
			t.Errorf("device cookies off: %d, %v", resp.StatusCode, deviceOf(off, resp))
		}
		// Servers with other data dirs name theirs differently.
		if auth.DeviceCookieName(f.a) == auth.DeviceCookieName(secure.a) {
			t.Error("two data dirs, one device cookie name")
		}
	})
}

// TestDeviceCookieTrust: with the server in the global throttle, a login
// with the right password and a valid device cookie goes through; any other
// cookie counts for nothing.
func TestDeviceCookieTrust(t *testing.T) {
	const year = 365 * 24 * time.Hour
	nonce := bytes.Repeat([]byte{7}, 16)
	for _, tc := range []struct {
		name string
		// cookie returns the cookie to try, given the owner's.
		cookie  func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie
		trusted bool
	}{
		{"valid", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie { return dev }, true},
		{"none", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie { return nil }, false},
		{"almost a year old", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			time.Sleep(year - time.Hour)
			return dev
		}, true},
		{"expired", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			time.Sleep(year)
			return dev
		}, false},
		{"tampered signature", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return edit(dev, 3, func(s string) string { return flip(s, len(s)-2) })
		}, false},
		{"tampered nonce", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return edit(dev, 0, func(s string) string { return flip(s, 0) })
		}, false},
		{"tampered issue time", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return edit(dev, 1, func(s string) string { n, _ := strconv.ParseInt(s, 10, 64); return strconv.FormatInt(n+3600, 10) })
		}, false},
		{"wrong key", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			other := newDeviceFixture(t, auth.Options{})
			return &http.Cookie{Name: dev.Name, Value: auth.MintDevice(other.a, nonce, time.Now().Unix(), auth.DeviceUser)}
		}, false},
		{"other account", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return &http.Cookie{Name: dev.Name, Value: auth.MintDevice(f.a, nonce, time.Now().Unix(), "mallory")}
		}, false},
		{"minted by this server", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return &http.Cookie{Name: dev.Name, Value: auth.MintDevice(f.a, nonce, time.Now().Unix(), auth.DeviceUser)}
		}, true},
		{"issued far in the future", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return &http.Cookie{Name: dev.Name, Value: auth.MintDevice(f.a, nonce, time.Now().Add(2*year).Unix(), auth.DeviceUser)}
		}, false},
		{"under another name", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return &http.Cookie{Name: "quire-device-00000000", Value: dev.Value}
		}, false},
		{"garbage", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return &http.Cookie{Name: dev.Name, Value: "a.b.c.d"}
		}, false},
		{"retired by a later login", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			f.ownerLogin(t, dev)
			return dev
		}, false},
		{"refreshed by a later login", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			return f.ownerLogin(t, dev)
		}, true},
		{"kept across a restart", func(t *testing.T, f *fixture, dev *http.Cookie) *http.Cookie {
			f.a.Close()
			g := newDeviceFixture(t, auth.Options{DataDir: f.dir, GlobalFailures: 10})
			*f = *g
			return dev
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newDeviceFixture(t, auth.Options{GlobalFailures: 10})
				dev := f.ownerLogin(t, nil)
				c := tc.cookie(t, f, dev)
				f.flood(t, 10)
				want := http.StatusTooManyRequests
				if tc.trusted {
					want = http.StatusFound
				}
				resp := f.post(t, strangerIP, "mypassword", c)
				if resp.StatusCode != want {
					t.Fatalf("right password with the cookie during a flood: %d, want %d", resp.StatusCode, want)
				}
				if tc.trusted && deviceOf(f, resp) == nil {
					t.Error("no new device cookie")
				}
			})
		})
	}
}

// edit returns a copy of c with the i-th dot-separated field of its value
// changed by fn.
func edit(c *http.Cookie, i int, fn func(string) string) *http.Cookie {
	parts := strings.Split(c.Value, ".")
	parts[i] = fn(parts[i])
	return &http.Cookie{Name: c.Name, Value: strings.Join(parts, ".")}
}

// flip changes the base64url character at i.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// A trusted device is not slowed by its address's throttle either, and its
// failures count neither there nor globally.
func TestDeviceBypassesAddressThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newDeviceFixture(t, auth.Options{FreeFailures: 1, GlobalFailures: 4, DeviceFailures: 5})
		dev := f.ownerLogin(t, nil)
		for i := range 4 {
			if got := f.post(t, ownerIP, "wrong", dev).StatusCode; got != http.StatusUnauthorized {
				t.Fatalf("wrong password %d with the device cookie: %d, want 401", i+1, got)
			}
		}
		// Four failures: the device's don't count for the address (one
		// free failure) nor globally (four a minute).
		if got := f.post(t, ownerIP, "wrong").StatusCode; got != http.StatusUnauthorized {
			t.Errorf("the owner's address without the cookie: %d, want 401 (unthrottled)", got)
		}
		if got := f.post(t, ownerIP, "wrong").StatusCode; got != http.StatusTooManyRequests {
			t.Fatalf("the owner's address after its own failure: %d, want 429", got)
		}
		// The address is throttled now; the device is not.
		f.ownerLogin(t, dev)
		if got := f.post(t, ownerIP, "mypassword").StatusCode; got != http.StatusTooManyRequests {
			t.Errorf("the throttled address without the cookie: %d, want 429", got)
		}
	})
}

func TestDeviceLockout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const lockout = 10 * time.Minute
		f := newDeviceFixture(t, auth.Options{GlobalFailures: 10, DeviceFailures: 3, DeviceLockout: lockout})
		dev := f.ownerLogin(t, nil)

		// Failures spread over more than the window never lock it out.
		for range 3 {
			for range 2 {
				if got := f.post(t, ownerIP, "wrong", dev).StatusCode; got != http.StatusUnauthorized {
					t.Fatalf("wrong password with the device cookie: %d, want 401", got)
				}
			}
			time.Sleep(lockout)
		}
		f.flood(t, 10)
		if got := f.post(t, ownerIP, "mypassword", dev).StatusCode; got != http.StatusFound {
			t.Fatalf("2 failures per window: %d, want 302", got)
		}

		// Three in a window do (the stolen-cookie case): the cookie then
		// counts for nothing, and the flood holds it off like a stranger.
		time.Sleep(lockout)
		dev = f.ownerLogin(t, nil)
		for range 3 {
			f.post(t, ownerIP, "wrong", dev)
		}
		f.flood(t, 10)
		if got := f.post(t, ownerIP, "mypassword", dev).StatusCode; got != http.StatusTooManyRequests {
			t.Fatalf("locked-out cookie during a flood: %d, want 429", got)
		}
		// Without a flood a locked-out cookie meets the address throttle
		// only, and a success replaces it.
		time.Sleep(2 * time.Minute)
		resp := f.post(t, ownerIP, "mypassword", dev)
		if resp.StatusCode != http.StatusFound || deviceOf(f, resp) == nil {
			t.Fatalf("locked-out cookie, no flood: %d", resp.StatusCode)
		}
		fresh := deviceOf(f, resp)
		f.flood(t, 10)
		if got := f.post(t, ownerIP, "mypassword", dev).StatusCode; got != http.StatusTooManyRequests {
			t.Errorf("the old, replaced cookie: %d, want 429", got)
		}
		if got := f.post(t, ownerIP, "mypassword", fresh).StatusCode; got != http.StatusFound {
			t.Errorf("its replacement: %d, want 302", got)
		}

		// The lockout ends after its period.
		time.Sleep(lockout)
		dev = f.ownerLogin(t, nil)
		for range 3 {
			f.post(t, ownerIP, "wrong", dev)
		}
		time.Sleep(lockout)
		f.flood(t, 10)
		if got := f.post(t, ownerIP, "mypassword", dev).StatusCode; got != http.StatusFound {
			t.Errorf("after the lockout period: %d, want 302", got)
		}
	})
}

// TestDeviceCheckSlot: a flood that holds every password check slot and
// fills the queue does not hold up a trusted device, which has a slot of
// its own; one device runs one check at a time.
func TestDeviceCheckSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newDeviceFixture(t, auth.Options{MaxConcurrentChecks: 1, MaxQueuedChecks: 2, GlobalFailures: 1000, FreeFailures: 1000})
		gate := make(chan struct{})
		auth.SetVerify(f.a, func(hash, pw string) (bool, error) {
			if pw == "wrong" {
				<-gate
			}
			return auth.CheckPassword(hash, pw)
		})
		dev := f.ownerLogin(t, nil)
		var wg sync.WaitGroup
		for i := range 3 { // one running, two queued
			wg.Go(func() { f.post(t, fmt.Sprintf("203.0.113.%d", i+1), "wrong") })
		}
		synctest.Wait()
		resp := f.post(t, strangerIP, "mypassword")
		if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "busy checking passwords") {
			t.Fatalf("a stranger while the checks are full: %d, want 429 busy", resp.StatusCode)
		}
		dev = f.ownerLogin(t, dev) // would block (and synctest report a deadlock) without its own slot

		wg.Go(func() { f.post(t, ownerIP, "wrong", dev) })
		synctest.Wait()
		resp = f.post(t, ownerIP, "mypassword", dev)
		if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "A login from this browser is being checked") {
			t.Errorf("a second check for one device: %d %s, want 429", resp.StatusCode, body)
		}
		close(gate)
		wg.Wait()
		if got := f.post(t, ownerIP, "mypassword", dev).StatusCode; got != http.StatusFound {
			t.Errorf("after the checks: %d, want 302", got)
		}
	})
}

func TestDeviceBoundedMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newDeviceFixture(t, auth.Options{MaxDevices: 10})
		var dev *http.Cookie
		for range 40 { // each login retires the cookie before
			dev = f.ownerLogin(t, dev)
			f.post(t, ownerIP, "wrong", dev)
		}
		if n := auth.DevicesTracked(f.a); n > 10 {
			t.Errorf("%d device cookies tracked, bound 10", n)
		}
	})
}
