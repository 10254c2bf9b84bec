package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const (
	slowConns   = 3000             // attack connections held at once (at most)
	slowFDs     = 2048             // the server's open-file limit, set after its start
	slowFor     = 20 * time.Second // measured part of the attack
	slowRampUp  = 2 * time.Second  // attack running before the measurement
	slowPollNew = 40 * time.Millisecond
)

// slowBodyScenario reproduces issue #14's hole 2: thousands of connections
// without credentials send the headers of POST /login announcing a large
// body, then trickle it, while token clients poll /api/status.
func slowBodyScenario(cfg config) scenario {
	what := fmt.Sprintf("slow-body attack (%d connections)", slowConns)
	mKeep50 := metric{name: what + ": keep-alive token client's /api/status p50", unit: millis, q: 0.5}
	mKeep99 := metric{name: what + ": keep-alive token client's /api/status p99", unit: millis, q: 0.99, goal: 100, own: true}
	mNew50 := metric{name: what + ": new-connection token client's /api/status p50", unit: millis, q: 0.5}
	mNew99 := metric{name: what + ": new-connection token client's /api/status p99", unit: millis, q: 0.99}
	mFailed := metric{name: what + ": token client polls failed", unit: count}
	mCut := metric{name: what + ": attack connections cut or refused", unit: count}
	mFDs := metric{name: what + ": server peak open files", unit: count}
	return scenario{
		name: "slow-body",
		about: fmt.Sprintf("one server start, its open-file limit then set to %d (prlimit); Quire with `--max-conns 1200` (to fit that limit) "+
			"and its other defaults (`--http-body-timeout 10s`, `--max-unauth-body 4KiB`, `--max-conns-per-client 128`), jupyter_server "+
			"with its defaults; %d attack connections from 127.0.0.2–250, each sending the headers of POST /login announcing 60000 "+
			"(half) or 3000 (half) bytes, then a byte every 5 s, reconnecting 2–5 s after being cut; after %v of attack, for %v, one "+
			"token client polls GET /api/status on a keep-alive connection opened before the attack (every %v) and one on a new "+
			"connection each time (every %v, 5 s timeout); failed polls are those that errored or were not 200; cut = attack "+
			"connections answered or closed by the server; peak open files sampled every 100 ms from /proc",
			slowFDs, slowConns, slowRampUp, slowFor, pollEvery, slowPollNew),
		metrics: []metric{mKeep50, mKeep99, mNew50, mNew99, mFailed, mCut, mFDs},
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			if sp.name == "Quire" {
				sp = withArgs(sp, "--max-conns", "1200")
			}
			root, err := os.MkdirTemp(e.tmp, "slowbody-root-")
			if err != nil {
				return nil, err
			}
			srv, err := startServer(ctx, e, sp, root)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			rl := syscall.Rlimit{Cur: slowFDs, Max: slowFDs}
			if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(srv.pid), uintptr(syscall.RLIMIT_NOFILE),
				uintptr(unsafe.Pointer(&rl)), 0, 0, 0); errno != 0 {
				return nil, fmt.Errorf("prlimit: %w", errno)
			}
			addr := strings.TrimPrefix(srv.url, "http://")

			keep := newClient(srv.url, srv.token)
			defer keep.close()
			if r, err := keep.do(ctx, http.MethodGet, "/api/status", nil, pollTimeout); err != nil || r.status != 200 {
				return nil, fmt.Errorf("first poll: %v", err)
			}
			attackCtx, stopAttack := context.WithCancel(ctx)
			var st slowStats
			var attackers sync.WaitGroup
			defer func() { stopAttack(); attackers.Wait() }()
			for i := range slowConns {
				src := net.IPv4(127, 0, 0, byte(2+i%249))
				length := 60000
				if i%2 == 1 {
					length = 3000
				}
				attackers.Go(func() { slowAttack(attackCtx, addr, src, length, &st) })
				if i%100 == 99 {
					time.Sleep(50 * time.Millisecond)
				}
			}
			time.Sleep(slowRampUp)

			pollCtx, stopPoll := context.WithTimeout(ctx, slowFor)
			defer stopPoll()
			var wg sync.WaitGroup
			var keepLat, newLat []float64
			var keepFails, newFails int
			var peakFDs atomic.Int64
			wg.Go(func() {
				for pollCtx.Err() == nil {
					if d, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.pid)); err == nil && int64(len(d)) > peakFDs.Load() {
						peakFDs.Store(int64(len(d)))
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
			wg.Go(func() {
				keepLat, keepFails, _ = pollEach(pollCtx, pollEvery, func() (time.Duration, error) {
					r, err := keep.do(pollCtx, http.MethodGet, "/api/status", nil, pollTimeout)
					if err == nil && r.status != 200 {
						err = fmt.Errorf("status %d", r.status)
					}
					if err != nil {
						return 0, err
					}
					return r.took, nil
				})
			})
			wg.Go(func() {
				fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
				var lastErr error
				newLat, newFails, lastErr = pollEach(pollCtx, slowPollNew, func() (time.Duration, error) {
					req, _ := http.NewRequestWithContext(pollCtx, http.MethodGet, srv.url+"/api/status", nil)
					req.Header.Set("Authorization", "token "+srv.token)
					t0 := time.Now()
					resp, err := fresh.Do(req)
					if err != nil {
						return 0, err
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						return 0, fmt.Errorf("status %d", resp.StatusCode)
					}
					return time.Since(t0), nil
				})
				if newFails > 0 {
					e.observe(fmt.Sprintf("%s, slow-body: %d new-connection poll(s) failed (last: %v)", srv.name, newFails, lastErr))
				}
			})
			wg.Wait()
			stopAttack()
			attackers.Wait()

			s := samples{mKeep50.name: keepLat, mKeep99.name: keepLat, mNew50.name: newLat, mNew99.name: newLat}
			if len(keepLat) == 0 {
				delete(s, mKeep50.name)
				delete(s, mKeep99.name)
			}
			if len(newLat) == 0 {
				delete(s, mNew50.name)
				delete(s, mNew99.name)
			}
			s.add(mFailed.name, float64(keepFails+newFails))
			s.add(mCut.name, float64(st.cut.Load()))
			s.add(mFDs.name, float64(peakFDs.Load()))
			return s, srv.stop()
		},
	}
}

// pollEach calls f every period until ctx ends; it returns the latencies
// of the calls that succeeded (ms), the failures and the last error.
func pollEach(ctx context.Context, period time.Duration, f func() (time.Duration, error)) (lat []float64, fails int, last error) {
	for ctx.Err() == nil {
		t0 := time.Now()
		d, err := f()
		switch {
		case ctx.Err() != nil:
			return lat, fails, last
		case err != nil:
			fails, last = fails+1, err
		default:
			lat = append(lat, ms(d))
		}
		select {
		case <-ctx.Done():
		case <-time.After(period - time.Since(t0)):
		}
	}
	return lat, fails, last
}

type slowStats struct{ cut atomic.Int64 }

// slowAttack holds one connection at a time from src: the headers of POST
// /login announcing length bytes, then a byte every 5 s; once the server
// answers or closes, it waits 2–5 s and starts again, until ctx ends.
func slowAttack(ctx context.Context, addr string, src net.IP, length int, st *slowStats) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}
	head := fmt.Sprintf("POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\np", addr, length)
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp4", addr)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { c.Close() })
			_, err = io.WriteString(c, head)
			for sent := 1; err == nil && sent < length; sent++ {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				var n int
				if n, err = c.Read(buf); n > 0 {
					break
				}
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					_, err = c.Write([]byte("p"))
				}
			}
			stop()
			c.Close()
		}
		if ctx.Err() == nil {
			st.cut.Add(1)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(2000+rand.N(3000)) * time.Millisecond):
		}
	}
}
