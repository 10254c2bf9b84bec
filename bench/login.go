package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	loginTimeout = 120 * time.Second     // one GET or POST /login during the flood
	pollEvery    = 10 * time.Millisecond // the token client's /api/status period
	pollTimeout  = 30 * time.Second      // one poll
)

// loginFloodScenario floods /login with wrong passwords while a token
// client polls /api/status, to see whether password checks (argon2, memory-
// and CPU-hard) starve everything else.
func loginFloodScenario(cfg config) scenario {
	what := fmt.Sprintf("login flood (%d wrong passwords, %d clients)", cfg.floodAttempts, cfg.floodClients)
	mP50 := metric{name: what + ": token client's /api/status p50", unit: millis, q: 0.5}
	mP99 := metric{name: what + ": token client's /api/status p99", unit: millis, q: 0.99, goal: 100, own: true}
	mDur := metric{name: what + ": duration", unit: seconds}
	mChecked := metric{name: what + ": refused after a check (401)", unit: count}
	mThrottled := metric{name: what + ": throttled (429)", unit: count}
	mOther := metric{name: what + ": other status or error", unit: count}
	mHWM := metric{name: what + ": server peak RSS (VmHWM)", unit: mebis}
	mCPU := metric{name: what + ": server CPU time during it", unit: seconds}
	return scenario{
		name: "login-flood",
		about: fmt.Sprintf("one server start with its token and a password (one argon2 hash from `quire password`, Jupyter's default "+
			"algorithm and passwd() parameters, given to both: Quire `--password-hash`, jupyter_server `--ServerApp.password`); "+
			"%d clients (own cookie jars) share %d attempts, each GET /login (for the _xsrf cookie) then POST /login "+
			"`password=wrong&_xsrf=…`, redirects not followed; 401 = checked and refused, 429 = throttled, anything else = other; "+
			"meanwhile one token client polls GET /api/status every %v (sequentially), latency percentiles over the flood; "+
			"CPU = utime+stime of the server process over the flood; VmHWM at its end",
			cfg.floodClients, cfg.floodAttempts, pollEvery),
		metrics: []metric{mP50, mP99, mDur, mChecked, mThrottled, mOther, mHWM, mCPU},
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			hash, err := passwordHash(ctx, e)
			if err != nil {
				return nil, err
			}
			root, err := os.MkdirTemp(e.tmp, "login-root-")
			if err != nil {
				return nil, err
			}
			srv, err := startServer(ctx, e, withArgs(sp, sp.password(hash)...), root)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			if err := checkLoginForm(ctx, srv); err != nil {
				return nil, err
			}
			cpu0, err := srv.cpuSeconds()
			if err != nil {
				return nil, err
			}

			pollCtx, stopPoll := context.WithCancel(ctx)
			var lat []float64
			var pollErrs int
			var lastPollErr error
			polled := make(chan struct{})
			go func() {
				defer close(polled)
				lat, pollErrs, lastPollErr = poll(pollCtx, srv)
			}()
			t0 := time.Now()
			tally, err := flood(ctx, srv.url, e.cfg.floodAttempts, e.cfg.floodClients)
			took := time.Since(t0)
			stopPoll()
			<-polled
			if err != nil {
				return nil, err
			}
			cpu1, err := srv.cpuSeconds()
			if err != nil {
				return nil, err
			}
			hwm, err := srv.hwmMiB()
			if err != nil {
				return nil, err
			}
			if pollErrs > 0 {
				e.observe(fmt.Sprintf("%s, login-flood: %d /api/status poll(s) failed during the flood (last: %v)", srv.name, pollErrs, lastPollErr))
			}
			if tally.other > 0 {
				e.observe(fmt.Sprintf("%s, login-flood: %d attempt(s) neither 401 nor 429 (last: %s)", srv.name, tally.other, tally.lastOther))
			}
			if len(lat) == 0 {
				return nil, errors.New("no /api/status poll succeeded during the flood")
			}
			if tally.other == e.cfg.floodAttempts {
				return nil, fmt.Errorf("every login attempt failed (last: %s)", tally.lastOther)
			}
			s := samples{mP50.name: lat, mP99.name: lat}
			s.add(mDur.name, took.Seconds())
			s.add(mChecked.name, float64(tally.refused))
			s.add(mThrottled.name, float64(tally.throttled))
			s.add(mOther.name, float64(tally.other))
			s.add(mHWM.name, hwm)
			s.add(mCPU.name, cpu1-cpu0)
			return s, srv.stop()
		},
	}
}

// passwordHash returns the run's argon2 hash, made once with `quire
// password` (the password typed twice on stdin). The password is random,
// so "wrong" is always wrong.
func passwordHash(ctx context.Context, e *env) (string, error) {
	if e.pwHash != "" {
		return e.pwHash, nil
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	pw := hex.EncodeToString(b)
	cmd := exec.CommandContext(ctx, e.cfg.quire, "password")
	cmd.Env = append(baseEnv(), privateDirs(e.tmp)...)
	cmd.Stdin = strings.NewReader(pw + "\n" + pw + "\n")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("quire password: %w", err)
	}
	hash := strings.TrimSpace(string(out))
	if !strings.HasPrefix(hash, "argon2:") || strings.ContainsAny(hash, " \n") {
		return "", fmt.Errorf("quire password printed %.200q, not one argon2: hash", out)
	}
	e.pwHash = hash
	if f := strings.Split(hash, "$"); len(f) > 3 {
		e.observe("login-flood's argon2 hash from `quire password`: " + f[1] + ", " + f[3])
	}
	return hash, nil
}

// loginTally counts the flood's outcomes.
type loginTally struct {
	refused, throttled, other int
	lastOther                 string
}

// flood makes attempts wrong-password logins from clients concurrent
// clients, each with its own connection and cookie jar.
func flood(ctx context.Context, base string, attempts, clients int) (loginTally, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var t loginTally
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			hc, err := formClient()
			if err != nil {
				mu.Lock()
				t.other, t.lastOther = t.other+1, err.Error()
				mu.Unlock()
				return
			}
			defer hc.CloseIdleConnections()
			for next.Add(1) <= int64(attempts) && ctx.Err() == nil {
				status, err := wrongLogin(ctx, hc, base)
				mu.Lock()
				switch {
				case err != nil:
					t.other, t.lastOther = t.other+1, err.Error()
				case status == http.StatusUnauthorized:
					t.refused++
				case status == http.StatusTooManyRequests:
					t.throttled++
				default:
					t.other, t.lastOther = t.other+1, fmt.Sprintf("status %d", status)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return t, ctx.Err()
}

// formClient is a browser-like client: cookies kept, redirects not
// followed (a successful login would show as 302), no compression.
func formClient() (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1},
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// wrongLogin fetches the login form for its _xsrf cookie, then posts a
// wrong password with it, and returns the POST's status.
func wrongLogin(ctx context.Context, hc *http.Client, base string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	status, err := send(ctx, hc, http.MethodGet, base+"/login", "")
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("GET /login: status %d", status)
	}
	u, _ := url.Parse(base + "/login")
	xsrf := ""
	for _, c := range hc.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			xsrf = c.Value
		}
	}
	if xsrf == "" {
		return 0, errors.New("GET /login set no _xsrf cookie")
	}
	form := url.Values{"password": {"wrong"}, "_xsrf": {xsrf}}.Encode()
	return send(ctx, hc, http.MethodPost, base+"/login", form)
}

// send makes one request (a form POST when form is not empty), reads the
// body and returns the status.
func send(ctx context.Context, hc *http.Client, method, u, form string) (int, error) {
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, err
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: reading body: %w", method, u, err)
	}
	return resp.StatusCode, nil
}

// checkLoginForm makes sure, before the clock starts, that the server
// asks for a password and refuses a wrong one with 401.
func checkLoginForm(ctx context.Context, srv *server) error {
	hc, err := formClient()
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	status, err := wrongLogin(ctx, hc, srv.url)
	if err != nil {
		return fmt.Errorf("trial login: %w", err)
	}
	if status != http.StatusUnauthorized {
		return fmt.Errorf("trial login with a wrong password: status %d, want 401; log:\n%s", status, srv.logTail(10))
	}
	return nil
}

// poll GETs /api/status with the token every pollEvery (one request at a
// time; a slow answer delays the next) until ctx ends, and returns the
// latencies in milliseconds and the failures.
func poll(ctx context.Context, srv *server) (lat []float64, fails int, last error) {
	c := newClient(srv.url, srv.token)
	defer c.close()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		r, err := c.do(ctx, http.MethodGet, "/api/status", nil, pollTimeout)
		if ctx.Err() != nil {
			return lat, fails, last
		}
		switch {
		case err != nil:
			fails, last = fails+1, err
		case r.status != http.StatusOK:
			fails, last = fails+1, fmt.Errorf("status %d", r.status)
		default:
			lat = append(lat, ms(r.took))
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return lat, fails, last
		}
	}
}
