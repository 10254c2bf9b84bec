package auth_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"quire/internal/auth"
)

// attempt posts a login from remote and returns the response.
func (f *fixture) attempt(t *testing.T, remote, pw string) *http.Response {
	t.Helper()
	xsrf := &http.Cookie{Name: "_xsrf", Value: "x"}
	return f.do(t, req{method: "POST", target: base + "login", remote: remote, cookies: []*http.Cookie{xsrf},
		form: url.Values{"_xsrf": {"x"}, "password": {pw}}})
}

func TestThrottlePerAddress(t *testing.T) {
	f := newFixture(t, auth.Options{GlobalFailures: 1000})
	const ip = "198.51.100.7"
	for i := range 5 {
		if got := f.attempt(t, ip, "wrong").StatusCode; got != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, got)
		}
	}
	runs := auth.HashRuns(f.a)
	resp := f.attempt(t, ip, "mypassword") // right, but throttled
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" ||
		!strings.Contains(string(body), "Too many failed attempts; try again in 1 second") {
		t.Fatalf("6th attempt: %d, Retry-After %q, body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if auth.HashRuns(f.a) != runs {
		t.Error("a throttled attempt ran the hash")
	}
	// Other addresses and token requests are unaffected.
	if got := f.attempt(t, "198.51.100.8", "wrong").StatusCode; got != 401 {
		t.Errorf("other address: %d, want 401", got)
	}
	if got := f.do(t, req{target: base + "api/status", remote: ip, header: map[string]string{"Authorization": "token " + testToken}}).StatusCode; got != 200 {
		t.Errorf("token request from a throttled address: %d", got)
	}
	// Delays double: 1 s, 2 s, 4 s …
	for _, want := range []int{2, 4, 8} {
		f.clock.Advance(time.Duration(want/2) * time.Second)
		if got := f.attempt(t, ip, "wrong").StatusCode; got != 401 {
			t.Fatalf("after the delay: %d, want 401", got)
		}
		resp := f.attempt(t, ip, "wrong")
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != strconv.Itoa(want) {
			t.Fatalf("next attempt: %d Retry-After %q, want 429 %d", resp.StatusCode, resp.Header.Get("Retry-After"), want)
		}
	}
	// … up to 15 minutes.
	for range 20 {
		f.clock.Advance(15 * time.Minute)
		f.attempt(t, ip, "wrong")
	}
	if ra, _ := strconv.Atoi(f.attempt(t, ip, "wrong").Header.Get("Retry-After")); ra != 900 {
		t.Errorf("Retry-After after many failures = %d, want 900", ra)
	}
	// A success resets the address.
	f.clock.Advance(15 * time.Minute)
	if got := f.attempt(t, ip, "mypassword").StatusCode; got != 302 {
		t.Fatalf("right password after the delay: %d", got)
	}
	for i := range 5 {
		if got := f.attempt(t, ip, "wrong").StatusCode; got != 401 {
			t.Fatalf("failure %d after a success: %d, want 401", i+1, got)
		}
	}
}

func TestThrottleIPv6Prefix(t *testing.T) {
	f := newFixture(t, auth.Options{GlobalFailures: 1000})
	for i := range 5 {
		f.attempt(t, fmt.Sprintf("[2001:db8::%x]", i+1), "wrong")
	}
	if got := f.attempt(t, "[2001:db8::ffff]", "wrong").StatusCode; got != 429 {
		t.Errorf("same /64: %d, want 429", got)
	}
	if got := f.attempt(t, "[2001:db8:0:1::1]", "wrong").StatusCode; got != 401 {
		t.Errorf("other /64: %d, want 401", got)
	}
}

func TestThrottleGlobal(t *testing.T) {
	f := newFixture(t, auth.Options{GlobalFailures: 10})
	for i := range 10 {
		if got := f.attempt(t, fmt.Sprintf("203.0.113.%d", i), "wrong").StatusCode; got != 401 {
			t.Fatalf("failure %d: %d", i, got)
		}
	}
	runs := auth.HashRuns(f.a)
	resp := f.attempt(t, "192.0.2.99", "mypassword")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("fresh address during a global flood: %d, want 429", resp.StatusCode)
	}
	if auth.HashRuns(f.a) != runs {
		t.Error("hash ran while globally throttled")
	}
	if got := f.do(t, req{target: base + "api/status", header: map[string]string{"Authorization": "token " + testToken}}).StatusCode; got != 200 {
		t.Errorf("token request during a global flood: %d", got)
	}
	// A quiet minute ends it.
	f.clock.Advance(time.Minute + time.Second)
	if got := f.attempt(t, "192.0.2.99", "mypassword").StatusCode; got != 302 {
		t.Errorf("after a quiet minute: %d, want 302", got)
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	f := newFixture(t, auth.Options{MaxThrottled: 50, GlobalFailures: 1 << 30})
	for i := range 1000 {
		f.attempt(t, fmt.Sprintf("10.0.%d.%d", i/256, i%256), "wrong")
	}
	if n := auth.ThrottleSize(f.a); n > 50 {
		t.Errorf("throttle tracks %d addresses, bound 50", n)
	}
}

// TestLoginFlood: 1000 wrong passwords from several clients while the
// password checks are stuck; token requests keep being answered, checks
// never exceed MaxConcurrentChecks and most attempts never reach the hash.
func TestLoginFlood(t *testing.T) {
	f := newFixture(t, auth.Options{MaxConcurrentChecks: 2, MaxQueuedChecks: 4})
	gate := make(chan struct{})
	started := make(chan struct{}, 1000)
	var running, peak atomic.Int32
	auth.SetVerify(f.a, func(hash, pw string) (bool, error) {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		started <- struct{}{}
		<-gate
		running.Add(-1)
		return auth.CheckPassword(hash, pw)
	})

	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 1000 {
		wg.Go(func() {
			resp := f.attempt(t, fmt.Sprintf("192.0.2.%d", i%8), "wrong")
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	<-started
	<-started // both check slots are now held
	for range 50 {
		resp := f.do(t, req{target: base + "api/status", header: map[string]string{"Authorization": "token " + testToken}})
		if resp.StatusCode != 200 {
			t.Fatalf("token request during the flood: %d", resp.StatusCode)
		}
	}
	close(gate)
	wg.Wait()

	if p := peak.Load(); p > 2 {
		t.Errorf("%d password checks ran at once, limit 2", p)
	}
	if runs := auth.HashRuns(f.a); runs > 8*5 {
		t.Errorf("%d hashes ran for 1000 attempts from 8 addresses (5 free failures each)", runs)
	}
	if statuses[401]+statuses[429] != 1000 {
		t.Errorf("statuses = %v, want only 401 and 429", statuses)
	}
}
