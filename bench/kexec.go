package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// kernelStartScenario measures a kernel's start as a notebook sees it:
// POST /api/kernels, open the channels WebSocket, kernel_info_request,
// until the kernel_info_reply arrives; then DELETE.
func kernelStartScenario(cfg config) scenario {
	mReady := metric{name: "kernel start → kernel_info_reply (POST + WebSocket + request)", unit: millis, p90: true}
	mPost := metric{name: "kernel start: POST /api/kernels alone", unit: millis, p90: true}
	mDelete := metric{name: "kernel DELETE", unit: millis, p90: true}
	return scenario{
		name: "kernel-start",
		about: fmt.Sprintf("%d rounds per server after one uncounted warm-up, each on a fresh server: POST /api/kernels {name: python3}, "+
			"open the channels WebSocket offering v1, send kernel_info_request, stop the clock at its kernel_info_reply "+
			"(the first message both servers are sure to deliver; iopub status may be consumed by a server's own nudge); "+
			"close the WebSocket, time DELETE", cfg.kernelRuns),
		metrics: []metric{mReady, mPost, mDelete},
		rounds:  cfg.kernelRuns,
		warmup:  true, // page cache, Python bytecode of ipykernel
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			srv, err := startKernelServer(ctx, e, sp)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			s := make(samples)
			t0 := time.Now()
			id, post, err := startKernel(ctx, srv)
			if err != nil {
				return s, err
			}
			ws, err := dialKernel(ctx, srv, id, true)
			if err != nil {
				return s, err
			}
			err = kernelInfo(ctx, ws, kernelTimeout)
			ready := time.Since(t0)
			ws.close()
			if err != nil {
				return s, err
			}
			del, err := deleteKernel(ctx, srv, id)
			if err != nil {
				return s, err
			}
			s.add(mReady.name, ms(ready))
			s.add(mPost.name, ms(post))
			s.add(mDelete.name, ms(del))
			if err := waitKernelsGone(ctx, srv.home, 15*time.Second); err != nil {
				return s, err
			}
			return s, srv.stop()
		},
	}
}

// startKernelServer starts sp on an empty root for a kernel scenario.
func startKernelServer(ctx context.Context, e *env, sp spec, args ...string) (*server, error) {
	root, err := os.MkdirTemp(e.tmp, "kernel-root-")
	if err != nil {
		return nil, err
	}
	return startServer(ctx, e, withArgs(sp, args...), root)
}

// kernelRun is how the kernel scenarios begin: a server on an empty root
// and the kernels opened on it, each with its WebSocket (v1 offered,
// kernel_info answered).
type kernelRun struct {
	srv *server
	ids []string
	wss []*kernelWS
}

// startKernels starts sp (with args) on an empty root and opens n kernels
// on it, four at a time. On error nothing is left running. The caller
// defers abort and ends with finish.
func startKernels(ctx context.Context, e *env, sp spec, n int, args ...string) (*kernelRun, error) {
	srv, err := startKernelServer(ctx, e, sp, args...)
	if err != nil {
		return nil, err
	}
	k := &kernelRun{srv: srv}
	if err := k.open(ctx, n); err != nil {
		k.abort(ctx)
		return nil, err
	}
	return k, nil
}

// open opens n more kernels, four at a time; those that opened before an
// error are kept, for abort to delete.
func (k *kernelRun) open(ctx context.Context, n int) error {
	ids, wss, err := openKernels(ctx, k.srv, n, 4)
	k.ids, k.wss = append(k.ids, ids...), append(k.wss, wss...)
	return err
}

// finish closes the WebSockets, deletes the kernels, checks that none is
// left running and stops the server.
func (k *kernelRun) finish(ctx context.Context) error {
	err := closeKernels(ctx, k.srv, k.ids, k.wss)
	k.ids, k.wss = nil, nil
	if err != nil {
		return err
	}
	return k.srv.stop()
}

// abort cleans up after a failure, best effort: the kernels finish has not
// deleted (even if ctx was cancelled), then the server.
func (k *kernelRun) abort(ctx context.Context) {
	if len(k.ids) > 0 || len(k.wss) > 0 {
		closeKernels(context.WithoutCancel(ctx), k.srv, k.ids, k.wss)
		k.ids, k.wss = nil, nil
	}
	k.srv.stop()
}

// execScenario measures the execute round trip of `pass` over the
// WebSocket in both protocols, and over ZeroMQ directly on the same kernel.
func execScenario(cfg config) scenario {
	row := func(what string, q float64, goal float64) metric {
		return metric{name: fmt.Sprintf("execute `pass` round trip p%d, %s", int(q*100), what), unit: millis, q: q, goal: goal}
	}
	v1p50, v1p99 := row("WebSocket, v1 offered", 0.5, 1.0/3), row("WebSocket, v1 offered", 0.99, 0)
	lgp50, lgp99 := row("WebSocket, legacy JSON", 0.5, 0), row("WebSocket, legacy JSON", 0.99, 0)
	flp50, flp99 := row("direct ZeroMQ floor (no server in between)", 0.5, 0), row("direct ZeroMQ floor (no server in between)", 0.99, 0)
	v1Floor := metric{name: "execute p50 ÷ floor p50, v1 (same kernel)", unit: factor, goal: 1.15, own: true}
	lgFloor := metric{name: "execute p50 ÷ floor p50, legacy JSON (same kernel)", unit: factor}
	return scenario{
		name: "kernel-exec",
		about: fmt.Sprintf("%d rounds, each on a fresh server and kernel; per client %d execute_request `pass` (silent false, store_history false) "+
			"after %d warm-ups, each timed from send to execute_reply and followed (untimed) by the kernel's idle status; "+
			"clients one after another: WebSocket offering v1 (what was negotiated is listed below), WebSocket offering nothing (legacy JSON), "+
			"and the floor: a Go client dialling the kernel's shell (DEALER) and iopub (SUB) from its connection file, signing with its key; "+
			"p50/p99 over all timed requests; ÷ floor rows are per-round ratios of the medians, Quire's own goal",
			cfg.execRounds, cfg.execIters, cfg.execWarm),
		metrics: []metric{v1p50, v1p99, lgp50, lgp99, flp50, flp99, v1Floor, lgFloor},
		rounds:  cfg.execRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			k, err := startKernels(ctx, e, sp, 1)
			if err != nil {
				return nil, err
			}
			defer k.abort(ctx)
			srv, id := k.srv, k.ids[0]
			k.wss[0].close()
			s := make(samples)

			timeLoop := func(k kernelConn) ([]float64, error) {
				var out []float64
				for i := range e.cfg.execWarm + e.cfg.execIters {
					d, err := execute(ctx, k, "pass", execTimeout, nil)
					if err != nil {
						return nil, fmt.Errorf("execute %d: %w", i+1, err)
					}
					if i >= e.cfg.execWarm {
						out = append(out, ms(d))
					}
				}
				return out, nil
			}
			overWS := func(v1 bool) ([]float64, string, error) {
				ws, err := dialKernel(ctx, srv, id, v1)
				if err != nil {
					return nil, "", err
				}
				defer ws.close()
				lat, err := timeLoop(ws)
				return lat, ws.protocol(), err
			}

			v1, proto, err := overWS(true)
			if err != nil {
				return s, fmt.Errorf("v1 offered: %w", err)
			}
			e.observe(fmt.Sprintf("%s negotiated %q when offered v1", srv.name, proto))
			legacy, proto, err := overWS(false)
			if err != nil {
				return s, fmt.Errorf("legacy: %w", err)
			}
			if proto != "legacy" {
				return s, fmt.Errorf("offered no subprotocol, %s selected %q", srv.name, proto)
			}
			z, err := dialFloor(ctx, srv, id)
			if err != nil {
				return s, fmt.Errorf("floor: %w", err)
			}
			floor, err := timeLoop(z)
			z.close()
			if err != nil {
				return s, fmt.Errorf("floor: %w", err)
			}

			s[v1p50.name], s[v1p99.name] = v1, v1
			s[lgp50.name], s[lgp99.name] = legacy, legacy
			s[flp50.name], s[flp99.name] = floor, floor
			s.add(v1Floor.name, median(v1)/median(floor))
			s.add(lgFloor.name, median(legacy)/median(floor))
			return s, k.finish(ctx)
		},
	}
}
