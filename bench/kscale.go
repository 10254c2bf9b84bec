package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	scaleEvery = 100 * time.Millisecond // each kernel's execute_request period
	scaleReply = 5 * time.Second        // a reply later than this counts as none
	scaleLate  = 15 * time.Second       // …but is still waited for this long, to tell late from lost
)

// scaleTailGoal is the p99 goal at n kernels (issue #15's decision): at 8
// kernels, at most half of jupyter_server's at the same offered load.
func scaleTailGoal(n int) float64 {
	if n == 8 {
		return 0.5
	}
	return 0
}

// kernelScaleScenario grows the number of busy kernels on one server and
// measures the server's throughput, memory and CPU at each count.
func kernelScaleScenario(cfg config) scenario {
	counts := slices.Clone(cfg.scaleKernels)
	slices.Sort(counts)
	type rows struct{ sent, rate, p50, p99, rss, cpu, missed, late metric }
	per := make([]rows, len(counts))
	var all []metric
	var names []string
	for i, n := range counts {
		what := fmt.Sprintf("%d kernel(s), each `x=1` every %v", n, scaleEvery)
		per[i] = rows{
			sent:   metric{name: what + ": requests sent/s (all kernels; a blocked send delays the next)", unit: perSec},
			rate:   metric{name: what + ": executions completed/s (all kernels)", unit: perSec, higher: true},
			p50:    metric{name: what + ": latency p50 (send → execute_reply)", unit: millis, q: 0.5},
			p99:    metric{name: what + ": latency p99 (send → execute_reply)", unit: millis, q: 0.99, goal: scaleTailGoal(n)},
			rss:    metric{name: what + ": server RSS at the end", unit: mebis},
			cpu:    metric{name: what + ": server CPU", unit: percent},
			missed: metric{name: what + fmt.Sprintf(": requests without a reply within %v", scaleReply), unit: count},
			late:   metric{name: what + fmt.Sprintf(": … of which answered later, within %v", scaleLate), unit: count},
		}
		all = append(all, per[i].sent, per[i].rate, per[i].p50, per[i].p99, per[i].rss, per[i].cpu, per[i].missed, per[i].late)
		names = append(names, fmt.Sprint(n))
	}
	return scenario{
		name: "kernel-scale",
		about: fmt.Sprintf("one server start; kernels opened 4 at a time (POST, WebSocket offering v1, kernel_info answered) until %s are open; "+
			"at each count every kernel's own WebSocket gets execute_request `x=1` every %v for %v, not waiting for replies; "+
			"completed/s = execute_replies arriving within %v of their request ÷ %v; latency percentiles over those replies (an open loop: the same offered load for both servers); the rest count as without a reply (replies are still awaited up to %v, to tell late from lost); "+
			"CPU = utime+stime of the server process alone (kernels are separate processes) over the %v ÷ wall time; VmRSS at its end; "+
			"a count a server cannot open or drive (errors, closed sockets) shows failed and the reason is listed below; "+
			"then every kernel is deleted and checked gone",
			strings.Join(names, ", then "), scaleEvery, cfg.scaleFor, scaleReply, cfg.scaleFor, scaleLate, cfg.scaleFor),
		metrics: all,
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			k, err := startKernels(ctx, e, sp, 0)
			if err != nil {
				return nil, err
			}
			defer k.abort(ctx)
			srv := k.srv
			s := make(samples)
			for i, n := range counts {
				t0 := time.Now()
				if err := k.open(ctx, n-len(k.ids)); err != nil {
					e.observe(fmt.Sprintf("%s, kernel-scale: could not open %d kernels (%d open): %v", srv.name, n, len(k.wss), firstLine(err)))
					fmt.Fprintf(e.log, "bench: kernel-scale %s: %v; server log:\n%s\n", srv.name, err, srv.logTail(15))
					break
				}
				fmt.Fprintf(e.log, "bench: kernel-scale %-15s %d kernels open in %.1fs\n", srv.name, n, time.Since(t0).Seconds())
				r, err := scaleWindow(ctx, srv, k.wss, e.cfg.scaleFor)
				if err != nil {
					e.observe(fmt.Sprintf("%s, kernel-scale: failed with %d kernels: %v", srv.name, n, firstLine(err)))
					fmt.Fprintf(e.log, "bench: kernel-scale %s: %v; server log:\n%s\n", srv.name, err, srv.logTail(15))
					break
				}
				s.add(per[i].sent.name, (r.replied+r.missed)/e.cfg.scaleFor.Seconds())
				s.add(per[i].rate.name, r.replied/e.cfg.scaleFor.Seconds())
				s[per[i].p50.name], s[per[i].p99.name] = r.lat, r.lat
				s.add(per[i].rss.name, r.rss)
				s.add(per[i].cpu.name, 100*r.cpu/r.window.Seconds())
				s.add(per[i].missed.name, r.missed)
				s.add(per[i].late.name, r.late)
			}
			if err := ctx.Err(); err != nil {
				return s, err
			}
			opened := len(k.ids)
			if err := k.finish(ctx); err != nil {
				return s, fmt.Errorf("cleanup after %d kernels: %w", opened, err)
			}
			return s, nil
		},
	}
}

// scaleResult is one count's window.
type scaleResult struct {
	replied, missed float64
	late            float64   // of missed: answered after scaleReply, within scaleLate
	lat             []float64 // ms from send to execute_reply, of the replied
	rss, cpu        float64   // MiB at the end; CPU seconds over the window
	window          time.Duration
}

// scaleWindow drives every kernel for d and waits up to scaleLate more
// for the last replies.
func scaleWindow(ctx context.Context, srv *server, wss []*kernelWS, d time.Duration) (scaleResult, error) {
	var r scaleResult
	cpu0, err := srv.cpuSeconds()
	if err != nil {
		return r, err
	}
	replied := make([]int, len(wss))
	lats := make([][]float64, len(wss))
	late := make([]int, len(wss))
	sent := make([]int, len(wss))
	errs := make([]error, len(wss))
	var cpu1, rss float64
	var measureErr error
	t0 := time.Now()
	until := t0.Add(d)
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = sleep(ctx, time.Until(until))
		r.window = time.Since(t0)
		if cpu1, measureErr = srv.cpuSeconds(); measureErr == nil {
			rss, measureErr = srv.rssMiB()
		}
	})
	for i, ws := range wss {
		wg.Go(func() { sent[i], replied[i], late[i], lats[i], errs[i] = driveKernel(ctx, ws, until) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return r, fmt.Errorf("kernel %d: %w", i+1, err)
		}
	}
	if measureErr != nil {
		return r, measureErr
	}
	for i := range wss {
		r.replied += float64(replied[i])
		r.missed += float64(sent[i] - replied[i])
		r.late += float64(late[i])
	}
	r.lat = slices.Concat(lats...)
	r.rss, r.cpu = rss, cpu1-cpu0
	return r, nil
}

// driveKernel sends execute_request `x=1` on ws every scaleEvery until
// until, without waiting for replies, and counts the execute_replies that
// arrive within scaleReply of their request, and those that arrive later
// but within scaleLate, and returns the latencies (ms) of the former.
func driveKernel(ctx context.Context, ws *kernelWS, until time.Time) (sent, replied, late int, lat []float64, err error) {
	ctx, cancel := context.WithDeadline(ctx, until.Add(scaleLate))
	defer cancel()
	var mu sync.Mutex
	pending := make(map[string]time.Time)
	early := make(map[string]time.Time) // replies read before their request was recorded
	sends := 0
	senderDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(scaleEvery)
		defer tick.Stop()
		for time.Now().Before(until) {
			t := time.Now()
			id, err := ws.send(ctx, "shell", "execute_request", executeContent("x=1"))
			if err != nil {
				senderDone <- err
				return
			}
			mu.Lock()
			// The reply may have been read before this goroutine got
			// here (Quire answers in ~4 ms; on a saturated machine the
			// sender can wait longer than that for the CPU). Without
			// this, such replies were thrown away and counted as lost.
			if at, ok := early[id]; ok {
				delete(early, id)
				if d := at.Sub(t); d <= scaleReply {
					replied++
					lat = append(lat, ms(d))
				} else if d <= scaleLate {
					late++
				}
			} else {
				pending[id] = t
			}
			sends++
			mu.Unlock()
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		senderDone <- nil
	}()
	sending := true
	var loopErr error
	for loopErr == nil {
		if sending {
			select {
			case loopErr = <-senderDone:
				sending = false
				continue
			default:
			}
		}
		mu.Lock()
		left := len(pending)
		mu.Unlock()
		if !sending && left == 0 {
			break
		}
		// Short waits, so the loop notices the sender finishing.
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Millisecond)
		ev, err := ws.next(wctx)
		wcancel()
		if ctx.Err() != nil {
			break // the rest stay unanswered
		}
		if err != nil {
			if wctx.Err() != nil {
				continue
			}
			loopErr = err
			break
		}
		if ev.msgType != "execute_reply" {
			continue
		}
		mu.Lock()
		if _, ok := pending[ev.parent]; !ok {
			early[ev.parent] = time.Now() // its request is not recorded yet
		}
		if t, ok := pending[ev.parent]; ok {
			delete(pending, ev.parent)
			if d := time.Since(t); d <= scaleReply {
				replied++
				lat = append(lat, ms(d))
			} else if d <= scaleLate {
				late++
			}
		}
		mu.Unlock()
	}
	cancel()
	if sending {
		if err := <-senderDone; loopErr == nil {
			loopErr = err
		}
	}
	if errors.Is(loopErr, context.Canceled) || errors.Is(loopErr, context.DeadlineExceeded) {
		loopErr = nil // the sender stopped at the window's deadline; the caller checks its own ctx
	}
	mu.Lock()
	defer mu.Unlock()
	return sends, replied, late, lat, loopErr
}

// firstLine is err's message up to its first newline (server log tails
// follow it).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
