//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Issue #14, hole 2: thousands of connections without credentials that send
// the headers of POST /login with a large Content-Length and then trickle
// the body held every file descriptor, and a token client got no answer.
//
// The server runs with 2048 file descriptors (set on its process, so the
// machine's limit does not matter) and --max-conns 1200. The attack opens
// 3000 connections, most from 127.0.0.2–250 (so the per-client cap alone
// cannot stop them) and some from 127.0.0.1; each sends the headers and a
// byte every 5 s, and reconnects 2–5 s after being cut, for the whole
// measurement. Meanwhile two token clients poll /api/status: one on a
// keep-alive connection from 127.0.0.1, one opening a new connection for
// every request. Every poll must succeed; the keep-alive client's p99 over
// the measurement must stay under 100 ms, the new-connection client's
// under a second (no starvation: its polls go through the accept queue and
// the headroom, so SYN retransmits on an overloaded machine show in its
// tail); the server must hold fewer descriptors than --max-conns plus a
// margin, and the attack must have been cut. Per-window p99s are logged.
//
// The machine this runs on may be shared and overloaded: with a load of
// 20 on 2 cores, a quiet server's p99 alone exceeds 100 ms now and then,
// and the attacked server's garbage collector, which runs more often under
// the churn, waits up to 130 ms for a descheduled thread to stop the world
// (GODEBUG=gctrace=1 showed it), which puts single 100–200 ms polls into
// some windows. Two measures keep the neighbours out of the figure. Where
// permitted (root or CAP_SYS_NICE), the test, both servers and the pollers
// run at nice -10 and the attacker at 19, as if it were on other machines.
// And the same pollers poll a second, unattacked server (the control) at
// the same time: each bound becomes twice the control's p99 when that is
// higher. Per-window figures are logged beside the control's.
//
// Old code: the server runs out of descriptors; the second poller's
// connections are never accepted and its polls time out.
func TestSlowBodyAttack(t *testing.T) {
	const (
		serverFDs   = 2048
		maxConns    = 1200
		attackConns = 3000
		fromLocal   = 100 // of attackConns, from 127.0.0.1
		measure     = 20 * time.Second
		window      = 5 * time.Second
		p99Limit    = 100 * time.Millisecond
	)
	raiseNoFile(t, attackConns+1000)
	if err := reniceSelf(-10); err != nil {
		t.Logf("running at the usual priority: %v", err)
	}
	args := []string{
		"--log-level", "warn",
		"--max-conns", strconv.Itoa(maxConns), "--max-conns-per-client", "32",
		"--http-body-timeout", "2s", "--max-unauth-body", "4KiB",
	}
	in := startQuire(t, opts{args: args})
	setNoFile(t, in.cmd.Process.Pid, serverFDs)
	control := startQuire(t, opts{args: args})
	setNoFile(t, control.cmd.Process.Pid, serverFDs)
	addr := hostPort(in.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// The keep-alive token clients connect before the attack, as a
	// browser tab or an API client already at work would.
	var polls []*poller
	for _, srv := range []*instance{in, control} {
		keep := tokenClient(srv.Token, hostPort(srv.URL), "127.0.0.1", true)
		defer keep.CloseIdleConnections()
		if _, err := keep.poll(ctx); err != nil {
			t.Fatalf("first poll: %v", err)
		}
		polls = append(polls, keep, tokenClient(srv.Token, hostPort(srv.URL), "127.0.0.251", false))
	}

	// The attack runs in a process of its own (this test binary again),
	// as it would from another machine: its thousands of goroutines do not
	// queue in front of the pollers' in one Go scheduler.
	attackFor := 2*time.Second + measure + 3*time.Second // ends after the measurement
	atk := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSlowBodyAttacker$", "-test.v")
	atk.Env = append(os.Environ(), "QUIRE_ATTACK_ADDR="+addr, "QUIRE_ATTACK_CONNS="+strconv.Itoa(attackConns),
		"QUIRE_ATTACK_LOCAL="+strconv.Itoa(fromLocal), "QUIRE_ATTACK_FOR="+attackFor.String())
	var atkOut syncBuffer
	atk.Stdout, atk.Stderr = &atkOut, &atkOut
	atk.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := atk.Start(); err != nil {
		t.Fatal(err)
	}
	attackDone := make(chan error, 1)
	go func() { attackDone <- atk.Wait() }()
	time.Sleep(2 * time.Second) // let the attack reach its full size

	start := time.Now()
	end := start.Add(measure)
	var maxFDs atomic.Int64
	var pollers sync.WaitGroup
	pollers.Go(func() {
		for ctx.Err() == nil && time.Now().Before(end) {
			if n, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", in.cmd.Process.Pid)); err == nil && int64(len(n)) > maxFDs.Load() {
				maxFDs.Store(int64(len(n)))
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	lat := make([]latencies, len(polls))
	for i, p := range polls {
		every := 20 * time.Millisecond // keep-alive pollers; new connections every 40 ms
		if i%2 == 1 {
			every = 40 * time.Millisecond
		}
		pollers.Go(func() { lat[i] = pollUntil(ctx, p, end, every) })
	}
	pollers.Wait()
	if err := <-attackDone; err != nil {
		t.Fatalf("attacker: %v\n%s", err, atkOut.String())
	}
	var st attackStats
	if i := strings.Index(atkOut.String(), "ATTACK-STATS "); i < 0 {
		t.Fatalf("attacker printed no stats:\n%s", atkOut.String())
	} else if err := json.Unmarshal([]byte(strings.SplitN(atkOut.String()[i+len("ATTACK-STATS "):], "\n", 2)[0]), &st); err != nil {
		t.Fatalf("attacker stats: %v", err)
	}

	t.Logf("attack: %d connections opened, %d refused at connect or before an answer, answers: 413×%d 408×%d 503×%d other×%d; peak open attack connections %d; server peak fds %d",
		st.Opened, st.Refused, st.S413, st.S408, st.S503, st.Other, st.Peak, maxFDs.Load())
	for i, name := range []string{"keep-alive token client (127.0.0.1)", "new-connection token client"} {
		l, c := lat[i], lat[i+2]
		lw, cw := l.windows(start, window), c.windows(start, window)
		t.Logf("%s: %d polls, %d failed, p50 %s, p99 %s; p99 per %s window %v (control server: %v)",
			name, len(l.d), len(l.errs), l.pct(50, 0, len(l.d)), l.pct(99, 0, len(l.d)), window, lw, cw)
		if len(l.errs) > 0 {
			t.Errorf("%s: %d of %d polls failed, first: %v", name, len(l.errs), len(l.d)+len(l.errs), l.errs[0])
		}
		if len(l.d) < 100 {
			t.Errorf("%s: only %d polls succeeded", name, len(l.d))
		}
		bound := p99Limit
		if i == 1 {
			bound = time.Second
		}
		if p99, limit := l.pct(99, 0, len(l.d)), max(bound, 2*c.pct(99, 0, len(c.d))); p99 > limit {
			t.Errorf("%s: p99 %s, want under %s (control: %s)", name, p99, limit, c.pct(99, 0, len(c.d)))
		}
	}
	if n := maxFDs.Load(); n > maxConns+200 {
		t.Errorf("server held %d file descriptors, want under --max-conns %d plus 200", n, maxConns)
	}
	if st.S413 == 0 || st.S408 == 0 || st.Refused+st.S503 == 0 {
		t.Errorf("the attack was not cut by the body limit, the body timeout and the caps (413×%d 408×%d 503×%d refused×%d)",
			st.S413, st.S408, st.S503, st.Refused)
	}
}

func hostPort(url string) string {
	return strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
}

// attackStats is what the attacker process reports.
type attackStats struct {
	Opened, Refused, S413, S408, S503, Other, Peak int64
}

type attackCounters struct {
	opened, refused, s413, s408, s503, other, open, peak atomic.Int64
}

// TestSlowBodyAttacker is the attacker process of TestSlowBodyAttack; it
// runs only when that test starts it.
func TestSlowBodyAttacker(t *testing.T) {
	addr := os.Getenv("QUIRE_ATTACK_ADDR")
	if addr == "" {
		t.Skip("started by TestSlowBodyAttack only")
	}
	conns, _ := strconv.Atoi(os.Getenv("QUIRE_ATTACK_CONNS"))
	local, _ := strconv.Atoi(os.Getenv("QUIRE_ATTACK_LOCAL"))
	d, err := time.ParseDuration(os.Getenv("QUIRE_ATTACK_FOR"))
	if err != nil {
		t.Fatal(err)
	}
	raiseNoFile(t, uint64(conns)+1000)
	// At the lowest CPU priority: the attack stands in for other
	// machines, whose work would not compete with the server's.
	if err := reniceSelf(19); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var st attackCounters
	var attackers sync.WaitGroup
	for i := range conns {
		src := net.IPv4(127, 0, 0, byte(2+i%249))
		if i < local {
			src = net.IPv4(127, 0, 0, 1)
		}
		length := 60000 // over --max-unauth-body: refused at once
		if i%2 == 1 {
			length = 3000 // under it: cut by --http-body-timeout
		}
		attackers.Go(func() { attack(ctx, addr, src, length, &st) })
		if i%100 == 99 {
			time.Sleep(50 * time.Millisecond) // ramp up over 1.5 s
		}
	}
	attackers.Wait()
	b, _ := json.Marshal(attackStats{st.opened.Load(), st.refused.Load(), st.s413.Load(), st.s408.Load(), st.s503.Load(), st.other.Load(), st.peak.Load()})
	fmt.Printf("ATTACK-STATS %s\n", b)
}

// attack holds one connection at a time from src: the headers of POST
// /login announcing length bytes, then a byte every 5 s; once cut it waits
// 2–5 s and starts again, until ctx ends.
func attack(ctx context.Context, addr string, src net.IP, length int, st *attackCounters) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}
	head := fmt.Sprintf("POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", addr, length)
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp4", addr)
		if err != nil {
			if ctx.Err() == nil {
				st.refused.Add(1)
			}
			sleepCtx(ctx, 2000+rand.N(3000))
			continue
		}
		st.opened.Add(1)
		if n := st.open.Add(1); n > st.peak.Load() {
			st.peak.Store(n) // racy max, good enough for a log line
		}
		stop := context.AfterFunc(ctx, func() { c.Close() })
		_, err = io.WriteString(c, head+"p")
		for sent := 1; err == nil && sent < length; sent++ {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			var n int
			n, err = c.Read(buf)
			if n > 0 {
				switch {
				case strings.HasPrefix(string(buf[:n]), "HTTP/1.1 413"):
					st.s413.Add(1)
				case strings.HasPrefix(string(buf[:n]), "HTTP/1.1 408"):
					st.s408.Add(1)
				case strings.HasPrefix(string(buf[:n]), "HTTP/1.1 503"):
					st.s503.Add(1)
				default:
					st.other.Add(1)
				}
				break
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				_, err = c.Write([]byte("p"))
				continue
			}
			if err != nil && ctx.Err() == nil {
				st.refused.Add(1) // closed before any answer
			}
		}
		stop()
		c.Close()
		st.open.Add(-1)
		sleepCtx(ctx, 2000+rand.N(3000))
	}
}

func sleepCtx(ctx context.Context, ms int) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Duration(ms) * time.Millisecond):
	}
}

type poller struct {
	*http.Client
	url, token string
}

// tokenClient polls /api/status from src, on one keep-alive connection or
// a new connection each time.
func tokenClient(token, addr, src string, keepAlive bool) *poller {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &poller{
		Client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DialContext:       d.DialContext,
			DisableKeepAlives: !keepAlive,
			MaxIdleConns:      1,
		}},
		url: "http://" + addr + "/api/status", token: token,
	}
}

func (p *poller) poll(ctx context.Context) (time.Duration, error) {
	r, _ := http.NewRequestWithContext(ctx, "GET", p.url, nil)
	r.Header.Set("Authorization", "token "+p.token)
	start := time.Now()
	resp, err := p.Do(r)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, bufio.NewReader(resp.Body))
	resp.Body.Close()
	d := time.Since(start)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return d, err
}

type latencies struct {
	at   []time.Time
	d    []time.Duration
	errs []error
}

func pollUntil(ctx context.Context, p *poller, end time.Time, every time.Duration) latencies {
	var l latencies
	for time.Now().Before(end) && ctx.Err() == nil {
		start := time.Now()
		d, err := p.poll(ctx)
		if err != nil {
			l.errs = append(l.errs, err)
		} else {
			l.at = append(l.at, start)
			l.d = append(l.d, d)
		}
		time.Sleep(every - time.Since(start))
	}
	return l
}

// pct is the p-th percentile of the latencies d[i:j].
func (l latencies) pct(p, i, j int) time.Duration {
	if j <= i {
		return 0
	}
	s := slices.Clone(l.d[i:j])
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)].Round(100 * time.Microsecond)
}

// windows is the p99 of each window of length w from start on.
func (l latencies) windows(start time.Time, w time.Duration) []time.Duration {
	var out []time.Duration
	for i := 0; i < len(l.at); {
		k := l.at[i].Sub(start) / w
		j := i
		for j < len(l.at) && l.at[j].Sub(start)/w == k {
			j++
		}
		for time.Duration(len(out)) < k {
			out = append(out, 0) // a window without a poll
		}
		out = append(out, l.pct(99, i, j))
		i = j
	}
	return out
}

// reniceSelf sets the nice value of every thread of this process (Linux
// applies it per thread); threads and processes started later inherit it.
func reniceSelf(n int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil {
			return fmt.Errorf("setpriority(%d, %d): %w", tid, n, err)
		}
	}
	return nil
}

// raiseNoFile raises this process's open-file limit to at least n.
func raiseNoFile(t *testing.T, n uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur >= n {
		return
	}
	if rl.Max < n {
		t.Skipf("open-file hard limit %d is below the %d this test needs", rl.Max, n)
	}
	rl.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
}

// setNoFile sets the open-file limit of process pid (soft and hard).
func setNoFile(t *testing.T, pid int, n uint64) {
	rl := syscall.Rlimit{Cur: n, Max: n}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_NOFILE),
		uintptr(unsafe.Pointer(&rl)), 0, 0, 0); errno != 0 {
		t.Fatalf("prlimit(%d, NOFILE, %d): %v", pid, n, errno)
	}
}
