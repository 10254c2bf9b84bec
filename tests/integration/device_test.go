//go:build integration

package integration

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoginFloodSparesKnownDevice: a flood of wrong passwords from many
// addresses drives the server into its global throttle, so a browser it
// has never seen gets 429 even with the right password; the owner's
// browser, which logged in before and holds the device cookie, still logs
// in (with a fresh session) while the flood goes on.
func TestLoginFloodSparesKnownDevice(t *testing.T) {
	// 20 failures a minute start the global throttle. Its first wait is
	// --login-failure-delay, 5 s here: the steps below take well under
	// that, so the throttle does not lapse between them (when it does, a
	// few attempts get through before the flood's next failures close it
	// again, and the old code might let the owner in by luck).
	in := startQuire(t, opts{args: []string{"--password-hash", sha1Vector, "--token", "tok-abcdefabcdefabcdefabcdef",
		"--login-global-failures", "20", "--login-failure-delay", "5s", "--login-global-max-delay", "10s"}})
	in.Token = "tok-abcdefabcdefabcdefabcdef"
	loginURL, _ := url.Parse(in.URL + "login")

	// 1. The owner logs in once and so gets a device cookie, then logs
	// out: the browser keeps its cookies, the session is gone.
	owner := in.client()
	if !loginWithPassword(t, in, owner, "mypassword") {
		t.Fatal("the owner's first login failed")
	}
	var device *http.Cookie
	for _, c := range owner.Jar.Cookies(loginURL) {
		if strings.HasPrefix(c.Name, "quire-device-") {
			device = c
		}
	}
	if device == nil {
		t.Error("no device cookie after a successful login") // go on: show the lock-out too
	}
	if status, _, _ := send(t, owner, in.req("GET", "logout", nil)); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	if status, _, _ := send(t, owner, in.req("GET", "api/status", nil)); status != 403 {
		t.Fatalf("after logout: %d, want 403", status)
	}

	// 2. The flood: wrong passwords from 127.0.0.2 … 127.0.0.200, each
	// address with its own connections, bounded in time and count.
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	var sent, refused, throttled atomic.Int64
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	const workers, addrs, maxRequests = 32, 199, 100000
	for w := range workers {
		wg.Go(func() {
			var clients []*http.Client
			for a := w; a < addrs; a += workers {
				clients = append(clients, floodClient(net.IPv4(127, 0, 0, byte(a+2))))
			}
			defer func() {
				for _, c := range clients {
					c.CloseIdleConnections()
				}
			}()
			for i := 0; ctx.Err() == nil && sent.Add(1) <= maxRequests; i++ {
				r, _ := http.NewRequestWithContext(ctx, "POST", in.URL+"login", strings.NewReader("_xsrf=x&password=wrong"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Cookie", "_xsrf=x")
				resp, err := clients[i%len(clients)].Do(r)
				if err != nil {
					continue
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusUnauthorized:
					refused.Add(1)
				case http.StatusTooManyRequests:
					throttled.Add(1)
				}
			}
		})
	}

	// 3. The server is in the global throttle: a browser it does not know
	// waits, whatever its password.
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, retry := strangerLogin(t, in)
		if status == http.StatusTooManyRequests {
			if n, err := strconv.Atoi(retry); err != nil || n < 1 {
				t.Fatalf("429 with Retry-After %q", retry)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the flood (%d wrong passwords refused, %d throttled) never throttled a new browser: last status %d",
				refused.Load(), throttled.Load(), status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := sent.Load()

	// 4. The owner's browser logs in again, with its device cookie. The
	// check itself takes microseconds (sha1) and has a slot of its own; 2 s
	// leaves room for a shared, loaded machine serving the flood at the
	// same time. The old code answers 429 at once, so the bound tells
	// status apart, not speed.
	t0 := time.Now()
	ok := loginWithPassword(t, in, owner, "mypassword")
	took := time.Since(t0)
	if !ok {
		status, _ := strangerLogin(t, in)
		t.Fatalf("the owner's browser could not log in during the flood (a new browser gets %d)", status)
	}
	if took > 2*time.Second {
		t.Errorf("the owner's login took %s during the flood, want under 2s", took.Round(time.Millisecond))
	}
	if status, _, _ := send(t, owner, in.req("GET", "api/status", nil)); status != 200 {
		t.Errorf("the owner's new session: %d", status)
	}

	// 5. The flood was on all along, and still throttled after.
	after := throttled.Load()
	for deadline := time.Now().Add(10 * time.Second); sent.Load() <= before || throttled.Load() <= after; time.Sleep(20 * time.Millisecond) {
		if !time.Now().Before(deadline) {
			break
		}
	}
	if sent.Load() <= before || throttled.Load() <= after {
		t.Errorf("the flood was not running through the owner's login: %d requests before it, %d throttled then, %d now",
			before, after, throttled.Load())
	}
	stop()
	wg.Wait()
	t.Logf("flood: %d requests, %d refused (401), %d throttled (429); the owner's login took %s",
		min(sent.Load(), maxRequests), refused.Load(), throttled.Load(), took.Round(time.Millisecond))
}

// floodClient sends from the loopback address ip.
func floodClient(ip net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// strangerLogin logs in with the right password from a browser the server
// has not seen and returns the status and Retry-After.
func strangerLogin(t *testing.T, in *instance) (int, string) {
	t.Helper()
	c := in.client()
	send(t, c, in.req("GET", "login", nil))
	form := url.Values{"password": {"mypassword"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
	r := in.req("POST", "login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, h := send(t, c, r)
	return status, h.Get("Retry-After")
}
