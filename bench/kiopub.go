package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

const iopubTimeout = 180 * time.Second // one output-heavy execution

// iopubWorkload is one output-heavy cell and what it should deliver.
type iopubWorkload struct {
	code  string
	bytes int // stdout bytes the cell writes
	lines int // stdout lines the cell writes
}

func bigWrites(n int) iopubWorkload {
	return iopubWorkload{
		code:  fmt.Sprintf("import sys\nfor i in range(%d): sys.stdout.write('x'*(1<<20)+'\\n'); sys.stdout.flush()", n),
		bytes: n * (1<<20 + 1),
		lines: n,
	}
}

func shortLines(n int) iopubWorkload {
	w := iopubWorkload{code: fmt.Sprintf("for i in range(%d): print(i)", n), lines: n}
	for i := range n {
		w.bytes += len(fmt.Sprint(i)) + 1
	}
	return w
}

// iopubResult is what one client received of a workload's stdout.
type iopubResult struct {
	took         time.Duration // execute_request sent → execute_reply and idle
	bytes, lines int
}

// runIOPub executes w and counts the stdout stream text delivered for it
// until both its execute_reply and its idle status have arrived.
func runIOPub(ctx context.Context, k kernelConn, w iopubWorkload) (iopubResult, error) {
	var r iopubResult
	t0 := time.Now()
	_, err := execute(ctx, k, w.code, iopubTimeout, func(ev event) {
		if ev.msgType == "stream" && ev.stream == "stdout" {
			r.bytes += ev.bytes
			r.lines += ev.lines
		}
	})
	r.took = time.Since(t0)
	return r, err
}

// iopubScenario measures output throughput over the WebSocket and how much
// of it arrives: each server on its defaults (jupyter_server rate-limits
// iopub), and jupyter_server with its limits raised.
func iopubScenario(cfg config) scenario {
	big, lines := bigWrites(cfg.iopubMB), shortLines(cfg.iopubLines)
	bigName := fmt.Sprintf("iopub %d × 1 MiB writes", cfg.iopubMB)
	linesName := fmt.Sprintf("iopub %d print() lines", cfg.iopubLines)
	mk := func(name, what string, u unit, goal float64, own bool) metric {
		return metric{name: name + ": " + what, unit: u, goal: goal, higher: true, own: own}
	}
	bigMBs := mk(bigName, "MB/s, defaults", mbps, 0, false)
	bigPct := mk(bigName, "% bytes delivered, defaults", percent, 100, true)
	bigMBsRaised := mk(bigName, "MB/s, jupyter_server limits raised", mbps, 0, false)
	bigPctRaised := mk(bigName, "% bytes delivered, jupyter_server limits raised", percent, 0, false)
	lnRate := mk(linesName, "lines/s, defaults", perSec, 0, false)
	lnPct := mk(linesName, "% lines delivered, defaults", percent, 100, true)
	lnRateRaised := mk(linesName, "lines/s, jupyter_server limits raised", perSec, 0, false)
	lnPctRaised := mk(linesName, "% lines delivered, jupyter_server limits raised", percent, 0, false)
	bigFloor := mk(bigName, "MB/s, direct ZeroMQ floor (same kernel)", mbps, 0, false)
	lnFloor := mk(linesName, "lines/s, direct ZeroMQ floor (same kernel)", perSec, 0, false)
	// Issue #15's decision: with raised limits, at least 0.95× the floor.
	bigX := mk(bigName, "MB/s, limits raised ÷ floor (per round)", factor, 0.95, true)
	lnX := mk(linesName, "lines/s, limits raised ÷ floor (per round)", factor, 0.95, true)
	return scenario{
		name: "kernel-iopub",
		about: fmt.Sprintf("%d rounds; one kernel per server start, one WebSocket offering v1; cells `%s` (%d bytes of stdout) and "+
			"`for i in range(%d): print(i)`, each waited for until execute_reply and idle (timeout %v), stdout stream text counted "+
			"(jupyter_server's own \"rate exceeded\" notices are stderr, not counted); MB/s = delivered bytes ÷ send→idle time; "+
			"\"limits raised\" rows: jupyter_server restarted with %v, Quire (which has no iopub limit) on its defaults; "+
			"floor rows: the same cells on the defaults run's kernel from a Go ZeroMQ client (shell DEALER + iopub SUB), run first, "+
			"while the WebSocket is drained",
			cfg.iopubRounds, strings.ReplaceAll(big.code, "\n", "⏎"), big.bytes, cfg.iopubLines, iopubTimeout, jupyterUnlimited),
		metrics: []metric{bigMBs, bigPct, bigMBsRaised, bigPctRaised, bigFloor, bigX, lnRate, lnPct, lnRateRaised, lnPctRaised, lnFloor, lnX},
		rounds:  cfg.iopubRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			s := make(samples)
			var floorMBs, floorLines float64 // this round's
			once := func(args []string, floor bool) (b, l iopubResult, err error) {
				k, err := startKernels(ctx, e, sp, 1, args...)
				if err != nil {
					return b, l, err
				}
				defer k.abort(ctx)
				srv, ids, wss := k.srv, k.ids, k.wss
				if floor {
					fb, fl, err := iopubFloor(ctx, srv, ids[0], wss[0], big, lines)
					if err != nil {
						return b, l, fmt.Errorf("floor: %w", err)
					}
					floorMBs, floorLines = float64(fb.bytes)/1e6/fb.took.Seconds(), float64(fl.lines)/fl.took.Seconds()
					s.add(bigFloor.name, floorMBs)
					s.add(lnFloor.name, floorLines)
				}
				if b, err = runIOPub(ctx, wss[0], big); err != nil {
					return b, l, fmt.Errorf("%s: %w", bigName, err)
				}
				if l, err = runIOPub(ctx, wss[0], lines); err != nil {
					return b, l, fmt.Errorf("%s: %w", linesName, err)
				}
				return b, l, k.finish(ctx)
			}
			record := func(b, l iopubResult, mbs, pct, lrate, lpct metric) {
				s.add(mbs.name, float64(b.bytes)/1e6/b.took.Seconds())
				s.add(pct.name, 100*float64(b.bytes)/float64(big.bytes))
				s.add(lrate.name, float64(l.lines)/l.took.Seconds())
				s.add(lpct.name, 100*float64(l.lines)/float64(lines.lines))
			}
			b, l, err := once(nil, true)
			if err != nil {
				return s, err
			}
			record(b, l, bigMBs, bigPct, lnRate, lnPct)
			if sp.unlimited != nil {
				if b, l, err = once(sp.unlimited, false); err != nil {
					return s, fmt.Errorf("limits raised: %w", err)
				}
			}
			record(b, l, bigMBsRaised, bigPctRaised, lnRateRaised, lnPctRaised)
			if floorMBs > 0 && floorLines > 0 {
				s.add(bigX.name, float64(b.bytes)/1e6/b.took.Seconds()/floorMBs)
				s.add(lnX.name, float64(l.lines)/l.took.Seconds()/floorLines)
			}
			return s, nil
		},
	}
}

// iopubFloor runs both cells over ZeroMQ directly on kernel id while ws,
// which the server also feeds with their output, is drained.
func iopubFloor(ctx context.Context, srv *server, id string, ws *kernelWS, big, lines iopubWorkload) (b, l iopubResult, err error) {
	z, err := dialFloor(ctx, srv, id)
	if err != nil {
		return b, l, err
	}
	defer z.close()
	dctx, stop := context.WithCancel(ctx)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for dctx.Err() == nil {
			if _, err := ws.next(dctx); err != nil {
				return
			}
		}
	}()
	defer func() { stop(); <-drained }()
	if b, err = runIOPub(ctx, z, big); err != nil {
		return b, l, err
	}
	l, err = runIOPub(ctx, z, lines)
	return b, l, err
}
