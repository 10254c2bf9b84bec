package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// startScenario measures process start → first 200 from /api/status, and
// the resident memory of the idle server shortly after.
func startScenario(cfg config) scenario {
	mStart := metric{name: "start (process → first 200 from /api/status)", unit: millis, p90: true, goal: 0.05}
	mIdle := metric{name: fmt.Sprintf("idle RSS (%v after ready)", cfg.idleWait), unit: mebis, goal: 0.2}
	return scenario{
		name: "start",
		about: fmt.Sprintf("%d starts per server after one uncounted warm-up start; /api/status polled every %v; "+
			"VmRSS of the server process %v after ready; each start serves an empty directory",
			cfg.startRuns, readyPoll, cfg.idleWait),
		metrics: []metric{mStart, mIdle},
		rounds:  cfg.startRuns,
		warmup:  true, // page cache, Python bytecode
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			root, err := os.MkdirTemp(e.tmp, "start-root-")
			if err != nil {
				return nil, err
			}
			srv, err := startServer(ctx, e, sp, root)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			s := samples{mStart.name: {ms(srv.ready)}}
			if err := sleep(ctx, e.cfg.idleWait); err != nil {
				return s, err
			}
			rss, err := srv.rssMiB()
			if err != nil {
				return s, fmt.Errorf("idle RSS: %w", err)
			}
			s.add(mIdle.name, rss)
			return s, srv.stop()
		},
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
