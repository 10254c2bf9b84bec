package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Soak thresholds: after the load stops and the server has had time to
// settle, each level must be back within soakPct of its level before the
// load, or within the absolute slack when that is larger. The slacks are
// for small numbers, where 10 % is less than one unit of ordinary churn:
// a goroutine or two of the runtime and the HTTP server (a listener's
// accept, a connection being closed), a file descriptor or two (an epoll
// descriptor, a socket in its close), and 2 MiB of RSS (the runtime's
// page-granular heap returning memory in chunks).
const (
	soakPct         = 10
	soakSlackRSS    = 2.0 // MiB
	soakSlackFDs    = 2
	soakSlackGorout = 3
	soakSample      = 10 * time.Second // levels read during the load this often
	soakReadings    = 3                // readings of the levels before and after, the lowest counts
	soakSpacing     = 5 * time.Second  // between those readings
)

// soakLevels are the process-wide levels the soak follows.
type soakLevels struct {
	rawRSS     float64 // MiB, as found
	anon, file float64 // MiB: the anonymous (heap, stacks) and file-backed (the binary's pages) parts of rss
	rss        float64 // MiB, after a garbage collection that returned free memory
	// From the Go runtime's memory classes (the dump's .mem file), MiB:
	// live heap objects, and all the runtime holds (total less released).
	// RSS beyond goHeld is memory the Go runtime does not manage.
	goObjects, goHeld float64
	// free is the runtime's free heap pages still resident after the
	// dump's FreeOSMemory (heap/free, MiB). It should be near zero, but
	// FreeOSMemory leaves 2-4 MiB of them resident now and then (seen in the
	// "before" and in the "after" levels alike, on Go 1.26); the runtime
	// reuses them before asking the system for more. The RSS check counts
	// rss less free, so that this does not decide it either way.
	free       float64
	classes    map[string]float64 // every memory class, MiB
	fds        int
	goroutines int
}

// soakScenario drives a mixed load (contents, kernels, WebSockets, logins)
// for -soak-duration and checks that RSS, open files and goroutines
// return to their level from before the load once it stops. Quire only:
// the goroutine count comes from QUIRE_GOROUTINE_DUMP.
func soakScenario(cfg config) scenario {
	what := fmt.Sprintf("soak (%v)", cfg.soakFor)
	row := func(name string, u unit) metric { return metric{name: what + ": " + name, unit: u} }
	mRaw0, mRawMax, mRaw1 := row("RSS as found before", mebis), row("RSS as found, peak during", mebis), row("RSS as found after", mebis)
	mRSS0, mRSSMax, mRSS1 := row("RSS after GC before", mebis), row("RSS after GC, peak during", mebis), row("RSS after GC after", mebis)
	mFD0, mFDMax, mFD1 := row("open files before", count), row("open files peak during", count), row("open files after", count)
	mG0, mGMax, mG1 := row("goroutines before", count), row("goroutines peak during", count), row("goroutines after", count)
	mOps := row("operations", count)
	return scenario{
		name: "soak",
		about: fmt.Sprintf("Quire alone, one start with a password and `--http-idle-timeout %v`; %v of the mixed load as warm-up, %v to settle, "+
			"then levels \"before\"; the load for %v (four clients at once: contents CRUD in a folder (save, get, list, checkpoint, rename, "+
			"delete) with a chunked upload every fifth round; a kernel started, executed over a WebSocket, reconnected, executed, deleted; "+
			"a long-lived kernel's WebSocket opened, used and closed again and again; a browser login with the right password, an "+
			"XSRF-checked cookie POST and DELETE, one without the XSRF header (403), logout, and a wrong password (401 or 429)); levels "+
			"read every %v (peaks); then %v to settle (idle connections close, the buffer cache drops what is unused for 30 s) and "+
			"levels \"after\" (before and after: the lowest of 3 readings 5 s apart). Levels: VmRSS as found; the goroutine count of a dump Quire writes on SIGUSR1 (`QUIRE_GOROUTINE_DUMP`), "+
			"which first collects garbage and returns free memory to the system; VmRSS after that (what the server holds, not what "+
			"the Go runtime keeps from the last allocations until its next collection: an argon2 check alone allocates 10 MiB); "+
			"entries of /proc/PID/fd. Fails unless each \"after\" (RSS after GC, files, goroutines) is within %d %% of \"before\" "+
			"or within %.0f MiB / %d files / %d goroutines of it",
			cfg.soakIdle, soakWarmup(cfg.soakFor), cfg.soakSettle, cfg.soakFor, soakSample, cfg.soakSettle, soakPct, soakSlackRSS, soakSlackFDs, soakSlackGorout),
		metrics: []metric{mRaw0, mRawMax, mRaw1, mRSS0, mRSSMax, mRSS1, mFD0, mFDMax, mFD1, mG0, mGMax, mG1, mOps},
		rounds:  1,
		solo:    true,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			pw := hex.EncodeToString(b)
			dump := filepath.Join(e.tmp, "soak-goroutines-"+hex.EncodeToString(b[:4])+".txt")
			root, err := os.MkdirTemp(e.tmp, "soak-root-")
			if err != nil {
				return nil, err
			}
			sp = withEnv(withArgs(sp, "--http-idle-timeout", cfg.soakIdle.String()), "QUIRE_PASSWORD="+pw, "QUIRE_GOROUTINE_DUMP="+dump)
			srv, err := startServer(ctx, e, sp, root)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			load := &soakLoad{srv: srv, pw: pw}
			if _, err := load.run(ctx, soakWarmup(cfg.soakFor), nil); err != nil {
				return nil, fmt.Errorf("warm-up: %w", err)
			}
			if err := sleep(ctx, cfg.soakSettle); err != nil {
				return nil, err
			}
			before, err := soakFloor(ctx, srv, dump)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(e.log, "bench: soak     levels before: %s\n", before)
			keepHeap(e, cfg.profile, dump, "before")
			peak := before
			ops, err := load.run(ctx, cfg.soakFor, func() error {
				l, err := soakRead(ctx, srv, dump)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.log, "bench: soak     levels during: %s\n", l)
				peak.rawRSS, peak.rss = max(peak.rawRSS, l.rawRSS), max(peak.rss, l.rss)
				peak.fds, peak.goroutines = max(peak.fds, l.fds), max(peak.goroutines, l.goroutines)
				return nil
			})
			if err != nil {
				return nil, err
			}
			if err := sleep(ctx, cfg.soakSettle); err != nil {
				return nil, err
			}
			after, err := soakFloor(ctx, srv, dump)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(e.log, "bench: soak     levels after:  %s (%d operations)\n", after, ops)
			fmt.Fprintf(e.log, "bench: soak     Go memory classes that moved (MiB): %s\n", classDiff(before.classes, after.classes))
			keepHeap(e, cfg.profile, dump, "after")
			s := make(samples)
			s.add(mRaw0.name, before.rawRSS)
			s.add(mRawMax.name, peak.rawRSS)
			s.add(mRaw1.name, after.rawRSS)
			s.add(mRSS0.name, before.rss)
			s.add(mRSSMax.name, peak.rss)
			s.add(mRSS1.name, after.rss)
			s.add(mFD0.name, float64(before.fds))
			s.add(mFDMax.name, float64(peak.fds))
			s.add(mFD1.name, float64(after.fds))
			s.add(mG0.name, float64(before.goroutines))
			s.add(mGMax.name, float64(peak.goroutines))
			s.add(mG1.name, float64(after.goroutines))
			s.add(mOps.name, float64(ops))
			if err := soakCheck(before, after); err != nil {
				return s, err
			}
			return s, srv.stop()
		},
	}
}

// keepHeap copies the heap profile and the runtime's memory classes of
// the last reading (written beside the goroutine dump) into the -profile
// directory as soak-<when>.heap and soak-<when>.mem, so that a level that
// did not come back can be looked into (`go tool pprof -diff_base
// soak-before.heap soak-after.heap`; RSS beyond the .mem total is memory
// the Go runtime does not manage).
func keepHeap(e *env, dir, dump, when string) {
	if dir == "" {
		return
	}
	for _, ext := range []string{".heap", ".mem"} {
		b, err := os.ReadFile(dump + ext)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "soak-"+when+ext), b, 0o600)
		}
		if err != nil {
			fmt.Fprintf(e.log, "bench: soak     keeping the %s of the levels %q: %v\n", ext, when, err)
		}
	}
}

// soakWarmup is how long the load runs before the levels "before": a
// tenth of the soak, between 10 s and 2 minutes, so that code paths the
// load touches have been paged in and caches filled before the levels
// are taken.
func soakWarmup(d time.Duration) time.Duration {
	return min(max(d/10, 10*time.Second), 2*time.Minute)
}

// held is the RSS the check compares: rss less the free heap pages
// FreeOSMemory left resident (see free).
func (l soakLevels) held() float64 { return l.rss - l.free }

func (l soakLevels) String() string {
	return fmt.Sprintf("RSS %.1f MiB (anonymous %.1f, file %.1f; %.1f MiB as found; Go runtime holds %.1f, live objects %.1f, free pages left %.1f), %d open files, %d goroutines",
		l.rss, l.anon, l.file, l.rawRSS, l.goHeld, l.goObjects, l.free, l.fds, l.goroutines)
}

// soakCheck fails when a level did not come back.
func soakCheck(before, after soakLevels) error {
	var bad []string
	back := func(what string, b, a, slack float64) {
		if a > max(b*(1+soakPct/100.0), b+slack) {
			bad = append(bad, fmt.Sprintf("%s %.1f → %.1f", what, b, a))
		}
	}
	back("RSS less free heap pages, MiB", before.held(), after.held(), soakSlackRSS)
	if len(bad) == 1 { // RSS: say where it went
		bad[0] += fmt.Sprintf(" (Go runtime's memory classes that moved, MiB: %s)", classDiff(before.classes, after.classes))
	}
	back("open files", float64(before.fds), float64(after.fds), soakSlackFDs)
	back("goroutines", float64(before.goroutines), float64(after.goroutines), soakSlackGorout)
	if len(bad) > 0 {
		return fmt.Errorf("levels did not return within %d %% (or the slack) after the load stopped: %s", soakPct, strings.Join(bad, "; "))
	}
	return nil
}

// soakFloor reads the levels soakReadings times, soakSpacing apart, and
// returns the lowest of each: a leak raises the floor, while a single
// reading may catch the runtime mid-way (a collection that has not yet
// shrunk stacks, a descriptor being closed) — on an idle server the same
// reading moved by up to 4 MiB of anonymous memory with a live heap under
// 1 MiB.
func soakFloor(ctx context.Context, srv *server, dump string) (soakLevels, error) {
	var low soakLevels
	for i := range soakReadings {
		if i > 0 {
			if err := sleep(ctx, soakSpacing); err != nil {
				return low, err
			}
		}
		l, err := soakRead(ctx, srv, dump)
		if err != nil {
			return low, err
		}
		if i == 0 || l.held() < low.held() {
			low.rss, low.anon, low.file, low.goObjects, low.goHeld, low.free, low.classes = l.rss, l.anon, l.file, l.goObjects, l.goHeld, l.free, l.classes
		}
		if i == 0 {
			low.rawRSS, low.fds, low.goroutines = l.rawRSS, l.fds, l.goroutines
		}
		low.rawRSS, low.fds, low.goroutines = min(low.rawRSS, l.rawRSS), min(low.fds, l.fds), min(low.goroutines, l.goroutines)
	}
	return low, nil
}

// soakRead reads the server's levels: VmRSS as found, the goroutine count
// from a dump it writes on SIGUSR1, VmRSS again once that dump is there
// (the server collected garbage and returned free memory to the system
// before writing it) and its open descriptors.
func soakRead(ctx context.Context, srv *server, dump string) (soakLevels, error) {
	var l soakLevels
	var err error
	if l.rawRSS, err = srv.rssMiB(); err != nil {
		return l, err
	}
	if err := os.Remove(dump); err != nil && !errors.Is(err, os.ErrNotExist) {
		return l, err
	}
	if err := syscall.Kill(srv.pid, syscall.SIGUSR1); err != nil {
		return l, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.Open(dump)
		if err == nil {
			sc := bufio.NewScanner(f)
			sc.Scan()
			line := sc.Text()
			f.Close()
			n, ok := strings.CutPrefix(line, "goroutine profile: total ")
			if l.goroutines, err = strconv.Atoi(n); !ok || err != nil {
				return l, fmt.Errorf("goroutine dump starts %.80q", line)
			}
			break
		}
		if time.Now().After(deadline) {
			return l, fmt.Errorf("no goroutine dump in %s 10 s after SIGUSR1 (QUIRE_GOROUTINE_DUMP); log:\n%s", dump, srv.logTail(10))
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return l, err
		}
	}
	if l.rss, err = srv.rssMiB(); err != nil {
		return l, err
	}
	if l.anon, err = srv.mib("RssAnon"); err != nil {
		return l, err
	}
	if l.file, err = srv.mib("RssFile"); err != nil {
		return l, err
	}
	if l.classes, err = readMemClasses(dump + ".mem"); err != nil {
		return l, err
	}
	l.goObjects = l.classes["/memory/classes/heap/objects:bytes"]
	l.free = l.classes["/memory/classes/heap/free:bytes"]
	l.goHeld = l.classes["/memory/classes/total:bytes"] - l.classes["/memory/classes/heap/released:bytes"]
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.pid))
	if err != nil {
		return l, err
	}
	l.fds = len(fds)
	return l, nil
}

// readMemClasses reads the runtime's memory classes Quire writes beside
// its goroutine dump ("name bytes" lines), in MiB.
func readMemClasses(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := map[string]float64{}
	for line := range strings.Lines(string(b)) {
		name, n, ok := strings.Cut(strings.TrimSpace(line), " ")
		if f, err := strconv.ParseUint(n, 10, 64); ok && err == nil {
			v[name] = float64(f) / (1 << 20)
		}
	}
	if _, ok := v["/memory/classes/total:bytes"]; !ok {
		return nil, fmt.Errorf("%s: no /memory/classes/total:bytes", path)
	}
	return v, nil
}

// classDiff lists the memory classes that moved by 0.1 MiB or more
// between two readings, for a failure message.
func classDiff(before, after map[string]float64) string {
	var d []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if delta := after[k] - before[k]; math.Abs(delta) >= 0.1 {
			d = append(d, fmt.Sprintf("%s %+.1f", strings.TrimSuffix(strings.TrimPrefix(k, "/memory/classes/"), ":bytes"), delta))
		}
	}
	return strings.Join(d, ", ")
}

// withEnv returns sp with env entries added to its environment.
func withEnv(sp spec, kv ...string) spec {
	cmd := sp.command
	sp.command = func(l launch) ([]string, []string) {
		argv, env := cmd(l)
		return argv, append(env, kv...)
	}
	return sp
}

// soakLoad is the soak's mixed load on one server.
type soakLoad struct {
	srv   *server
	pw    string
	round int // makes names differ between runs of the load
}

// run drives the load for d with its four clients and calls sample every
// soakSample (when not nil). It returns how many operations were made and
// the first failure: a wrong status, a transport error or a failed sample.
func (sl *soakLoad) run(ctx context.Context, d time.Duration, sample func() error) (int, error) {
	sl.round++
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	ops := 0
	var first error
	report := func(n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		ops += n
		if err != nil && first == nil && ctx.Err() == nil {
			first = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	for _, w := range []func(context.Context) (int, error){sl.contents, sl.kernels, sl.reconnects, sl.logins} {
		wg.Go(func() { report(w(ctx)) })
	}
	if sample != nil {
		wg.Go(func() {
			t := time.NewTicker(soakSample)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					report(0, sample())
				}
			}
		})
	}
	wg.Wait()
	return ops, first
}

// busy reports whether err only says the load's time is up.
func busy(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// contents saves, reads, lists, checkpoints, renames and deletes small
// notebooks in a folder, with a chunked upload every fifth round.
func (sl *soakLoad) contents(ctx context.Context) (int, error) {
	c := newClient(sl.srv.url, sl.srv.token)
	defer c.close()
	dir := fmt.Sprintf("/api/contents/soak-%d", sl.round)
	if _, err := c.expect(ctx, http.MethodPut, dir, []byte(`{"type":"directory"}`), smallTimeout, http.StatusCreated, http.StatusOK); err != nil {
		return 0, busy(ctx, err)
	}
	ops := 1
	for i := 0; ctx.Err() == nil; i++ {
		nb, _ := json.Marshal(map[string]any{"type": "notebook", "content": map[string]any{
			"cells": []any{map[string]any{"cell_type": "code", "id": "c", "metadata": map[string]any{}, "execution_count": i,
				"source": fmt.Sprintf("print(%d)", i), "outputs": []any{map[string]any{"output_type": "stream", "name": "stdout",
					"text": strings.Repeat(fmt.Sprintf("line %d\n", i), 200)}}}},
			"metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5}})
		p, q := fmt.Sprintf("%s/n%d.ipynb", dir, i%8), fmt.Sprintf("%s/r%d.ipynb", dir, i%8)
		steps := []struct {
			method, path string
			body         []byte
			want         []int
		}{
			{http.MethodPut, p, nb, []int{http.StatusCreated, http.StatusOK}},
			{http.MethodGet, p, nil, []int{http.StatusOK}},
			{http.MethodGet, dir, nil, []int{http.StatusOK}},
			{http.MethodPost, p + "/checkpoints", nil, []int{http.StatusCreated}},
			{http.MethodPatch, p, []byte(`{"path":"` + strings.TrimPrefix(q, "/api/contents/") + `"}`), []int{http.StatusOK}},
			{http.MethodDelete, q, nil, []int{http.StatusNoContent}},
		}
		if i%5 == 0 {
			up := dir + "/upload.bin"
			part := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(strconv.Itoa(i%10), 64<<10)))
			for _, n := range []int{1, 2, -1} {
				body, _ := json.Marshal(map[string]any{"type": "file", "format": "base64", "chunk": n, "content": part})
				steps = append(steps, struct {
					method, path string
					body         []byte
					want         []int
				}{http.MethodPut, up, body, []int{http.StatusCreated, http.StatusOK}})
			}
			steps = append(steps, struct {
				method, path string
				body         []byte
				want         []int
			}{http.MethodDelete, up, nil, []int{http.StatusNoContent}})
		}
		for _, st := range steps {
			if _, err := c.expect(ctx, st.method, st.path, st.body, smallTimeout, st.want...); err != nil {
				return ops, busy(ctx, err)
			}
			ops++
		}
		if sleep(ctx, 100*time.Millisecond) != nil {
			break
		}
	}
	return ops, nil
}

// kernels starts a kernel, runs a cell over a WebSocket, reconnects with
// a new session, runs another, and deletes the kernel; again and again.
func (sl *soakLoad) kernels(ctx context.Context) (int, error) {
	ops := 0
	for ctx.Err() == nil {
		// A kernel cycle is finished even when time is up, so no kernel
		// is left behind: the levels "after" must not hold one.
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*kernelTimeout)
		n, err := sl.kernelCycle(kctx)
		cancel()
		ops += n
		if err != nil {
			return ops, err
		}
		if sleep(ctx, time.Second) != nil {
			break
		}
	}
	return ops, nil
}

func (sl *soakLoad) kernelCycle(ctx context.Context) (int, error) {
	id, ws, err := openKernel(ctx, sl.srv)
	if err != nil {
		if id != "" {
			_, _ = deleteKernel(ctx, sl.srv, id)
		}
		return 0, err
	}
	ops := 2
	_, err = execute(ctx, ws, "print('soak')", execTimeout, nil)
	ws.close()
	if err == nil {
		ops++
		ws, err = connectKernel(ctx, sl.srv, id)
		if err == nil {
			_, err = execute(ctx, ws, "x = sum(range(1000))", execTimeout, nil)
			ws.close()
			ops += 2
		}
	}
	if _, derr := deleteKernel(ctx, sl.srv, id); err == nil {
		err = derr
	}
	return ops + 1, err
}

// reconnects keeps one kernel and opens, uses and closes WebSockets to it
// (each with a new session id, as page loads do).
func (sl *soakLoad) reconnects(ctx context.Context) (int, error) {
	bg := context.WithoutCancel(ctx)
	id, _, err := startKernel(bg, sl.srv)
	if err != nil {
		return 0, err
	}
	defer deleteKernel(bg, sl.srv, id)
	ops := 1
	for ctx.Err() == nil {
		ws, err := connectKernel(ctx, sl.srv, id)
		if err != nil {
			return ops, busy(ctx, err)
		}
		_, err = execute(ctx, ws, "1 + 1", execTimeout, nil)
		ws.close()
		if err != nil {
			return ops, busy(ctx, err)
		}
		ops += 2
		if sleep(ctx, 200*time.Millisecond) != nil {
			break
		}
	}
	return ops + 1, nil
}

// logins logs a browser in with the password, makes a cookie POST and
// DELETE with the XSRF header and one POST without it, logs out, and
// tries a wrong password; every 3 s, under the global login throttle
// (30 failures a minute), so right passwords are never held up.
func (sl *soakLoad) logins(ctx context.Context) (int, error) {
	ops := 0
	for i := 0; ctx.Err() == nil; i++ {
		n, err := sl.loginCycle(ctx, i)
		ops += n
		if err != nil {
			return ops, busy(ctx, err)
		}
		if sleep(ctx, 3*time.Second) != nil {
			break
		}
	}
	return ops, nil
}

func (sl *soakLoad) loginCycle(ctx context.Context, i int) (int, error) {
	base := sl.srv.url
	hc, err := formClient()
	if err != nil {
		return 0, err
	}
	defer hc.CloseIdleConnections()
	if status, err := send(ctx, hc, http.MethodGet, base+"/login", ""); err != nil || status != http.StatusOK {
		return 0, fmt.Errorf("GET /login: %d %v", status, err)
	}
	u, _ := url.Parse(base + "/login")
	xsrf := ""
	for _, c := range hc.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			xsrf = c.Value
		}
	}
	form := url.Values{"password": {sl.pw}, "_xsrf": {xsrf}}.Encode()
	if status, err := send(ctx, hc, http.MethodPost, base+"/login", form); err != nil || status != http.StatusFound {
		return 1, fmt.Errorf("login with the right password: %d %v", status, err)
	}
	path := fmt.Sprintf("/api/contents/login-%d-%d.txt", sl.round, i)
	api := func(method string, withXSRF bool, body string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		if withXSRF {
			req.Header.Set("X-XSRFToken", xsrf)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	file := `{"type":"file","format":"text","content":"soak"}`
	for _, st := range []struct {
		method string
		xsrf   bool
		body   string
		want   int
	}{
		{http.MethodPut, false, file, http.StatusForbidden},
		{http.MethodPut, true, file, http.StatusCreated},
		{http.MethodDelete, true, "", http.StatusNoContent},
	} {
		if status, err := api(st.method, st.xsrf, st.body); err != nil || status != st.want {
			return 2, fmt.Errorf("cookie %s %s (XSRF header %v): %d %v, want %d", st.method, path, st.xsrf, status, err, st.want)
		}
	}
	if status, err := send(ctx, hc, http.MethodGet, base+"/logout", ""); err != nil || status != http.StatusOK {
		return 5, fmt.Errorf("logout: %d %v", status, err)
	}
	wrong, err := formClient()
	if err != nil {
		return 6, err
	}
	defer wrong.CloseIdleConnections()
	status, err := wrongLogin(ctx, wrong, base)
	if err != nil || (status != http.StatusUnauthorized && status != http.StatusTooManyRequests) {
		return 6, fmt.Errorf("wrong password: %d %v, want 401 or 429", status, err)
	}
	return 7, nil
}
