package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// concurrentScenario runs a tight execute loop on several kernels at once,
// each over its own WebSocket, then the same loop on the same kernels from
// direct ZeroMQ clients: the floor, which shows how much of the latency
// (and its tail) is the kernels' and the machine's rather than the server's.
func concurrentScenario(cfg config) scenario {
	what := fmt.Sprintf("%d kernels executing `x=1` concurrently", cfg.concKernels)
	mRate := metric{name: what + ": executions/s (all kernels)", unit: perSec, goal: 1.5, higher: true}
	mP50 := metric{name: what + ": latency p50", unit: millis, q: 0.5}
	mP99 := metric{name: what + ": latency p99", unit: millis, q: 0.99, goal: 0.5}
	fRate := metric{name: what + ": executions/s, direct ZeroMQ floor (same kernels)", unit: perSec, higher: true}
	fP50 := metric{name: what + ": latency p50, direct ZeroMQ floor (same kernels)", unit: millis, q: 0.5}
	fP99 := metric{name: what + ": latency p99, direct ZeroMQ floor (same kernels)", unit: millis, q: 0.99}
	p99Floor := metric{name: what + ": latency p99 ÷ floor p99 (same kernels)", unit: factor}
	return scenario{
		name: "kernel-concurrent",
		about: fmt.Sprintf("%d round(s); %d kernels, each with its own WebSocket (v1 offered) and one untimed execute first; "+
			"then every client loops execute_request `x=1` → execute_reply (timed) → idle for %v; "+
			"executions/s = all completed ÷ elapsed; latency percentiles over every request; "+
			"then the WebSockets are closed and the same loop runs for as long on the same kernels from Go clients "+
			"dialling each kernel's shell and iopub directly (the floor: kernels, machine and the server's idle iopub reading, "+
			"no server in between); ÷ floor is per round",
			cfg.concRounds, cfg.concKernels, cfg.concFor),
		metrics: []metric{mRate, mP50, mP99, fRate, fP50, fP99, p99Floor},
		rounds:  cfg.concRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			k, err := startKernels(ctx, e, sp, e.cfg.concKernels)
			if err != nil {
				return nil, err
			}
			defer k.abort(ctx)
			srv, ids, wss := k.srv, k.ids, k.wss
			conns := make([]kernelConn, len(wss))
			for i, ws := range wss {
				conns[i] = ws
			}
			s := make(samples)
			lat, rate, err := executeLoops(ctx, conns, e.cfg.concFor)
			if err != nil {
				return s, err
			}
			s.add(mRate.name, rate)
			s[mP50.name], s[mP99.name] = lat, lat

			for _, ws := range wss {
				ws.close()
			}
			zs := make([]*zmqKernel, 0, len(ids))
			closeZ := func() {
				for _, z := range zs {
					z.close()
				}
			}
			for _, id := range ids {
				z, err := dialFloor(ctx, srv, id)
				if err != nil {
					closeZ()
					return s, fmt.Errorf("floor: %w", err)
				}
				zs = append(zs, z)
			}
			conns = conns[:0]
			for _, z := range zs {
				conns = append(conns, z)
			}
			flat, frate, err := executeLoops(ctx, conns, e.cfg.concFor)
			closeZ()
			if err != nil {
				return s, fmt.Errorf("floor: %w", err)
			}
			s.add(fRate.name, frate)
			s[fP50.name], s[fP99.name] = flat, flat
			s.add(p99Floor.name, quantile(lat, 0.99)/quantile(flat, 0.99))

			return s, k.finish(ctx)
		},
	}
}

// executeLoops sends one untimed execute on every connection, then has
// each loop execute_request `x=1` → execute_reply (timed) → idle for d,
// all at once. It returns every latency (ms) and the executions per second
// over all connections.
func executeLoops(ctx context.Context, conns []kernelConn, d time.Duration) ([]float64, float64, error) {
	for i, k := range conns {
		if _, err := execute(ctx, k, "x=1", execTimeout, nil); err != nil {
			return nil, 0, fmt.Errorf("warm-up on kernel %d: %w", i+1, err)
		}
	}
	lat := make([][]float64, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	t0 := time.Now()
	until := t0.Add(d)
	for i, k := range conns {
		wg.Go(func() {
			for time.Now().Before(until) {
				d, err := execute(ctx, k, "x=1", execTimeout, nil)
				if err != nil {
					errs[i] = fmt.Errorf("kernel %d: %w", i+1, err)
					return
				}
				lat[i] = append(lat[i], ms(d))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	all := slices.Concat(lat...)
	return all, float64(len(all)) / elapsed.Seconds(), nil
}

// fanoutScenario connects many clients to one kernel and times how long an
// execution's output takes to reach all of them.
func fanoutScenario(cfg config) scenario {
	mAll := metric{name: fmt.Sprintf("%d clients on one kernel: `print(1)` → idle seen by all", cfg.fanClients), unit: millis, p90: true}
	mConnect := metric{name: fmt.Sprintf("%d clients on one kernel: connect all, kernel_info answered (10 at a time)", cfg.fanClients), unit: millis}
	return scenario{
		name: "kernel-fanout",
		about: fmt.Sprintf("one kernel, %d WebSockets (v1 offered, distinct session_ids) opened 10 at a time, each used once kernel_info_reply arrived; "+
			"one client executes `print(1)`; time from its send until every client has seen iopub status idle for it; "+
			"%d timed executions after one untimed", cfg.fanClients, cfg.fanRuns),
		metrics: []metric{mAll, mConnect},
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			k, err := startKernels(ctx, e, sp, 1)
			if err != nil {
				return nil, err
			}
			defer k.abort(ctx)
			srv, ids := k.srv, k.ids
			clients := make([]*kernelWS, e.cfg.fanClients)
			clients[0] = k.wss[0]
			errs := make([]error, len(clients))
			sem := make(chan struct{}, 10)
			var wg sync.WaitGroup
			t0 := time.Now()
			for i := 1; i < len(clients); i++ {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					clients[i], errs[i] = connectKernel(ctx, srv, ids[0])
				})
			}
			wg.Wait()
			connect := time.Since(t0)
			k.wss = slices.DeleteFunc(slices.Clone(clients), func(k *kernelWS) bool { return k == nil })
			for _, err := range errs {
				if err != nil {
					return nil, err
				}
			}
			s := samples{mConnect.name: {ms(connect)}}
			for run := range e.cfg.fanRuns + 1 {
				d, err := fanout(ctx, clients)
				if err != nil {
					return s, fmt.Errorf("execution %d: %w", run+1, err)
				}
				if run > 0 {
					s.add(mAll.name, ms(d))
				}
			}
			return s, k.finish(ctx)
		},
	}
}

// fanout has clients[0] execute print(1) and returns the time until the
// last client has seen the idle status for it.
func fanout(ctx context.Context, clients []*kernelWS) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	t0 := time.Now()
	id, err := clients[0].send(ctx, "shell", "execute_request", executeContent("print(1)"))
	if err != nil {
		return 0, err
	}
	seen := make([]time.Duration, len(clients))
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, k := range clients {
		wg.Go(func() {
			for {
				ev, err := k.next(ctx)
				if err != nil {
					errs[i] = fmt.Errorf("client %d: %w", i+1, err)
					return
				}
				if ev.parent == id && ev.msgType == "status" && ev.state == "idle" {
					seen[i] = time.Since(t0)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return slices.Max(seen), nil
}
