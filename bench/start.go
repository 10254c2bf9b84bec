package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Goals over the floor Go itself sets (issue #15's decision): a start and
// an idle RSS each at most this many times a net/http hello-world's.
const floorGoal = 2.5

// startScenario measures process start → first 200 from /api/status, and
// the resident memory of the idle server shortly after; each round also
// measures a net/http hello-world server the same way (the floor).
func startScenario(cfg config) scenario {
	// Their goals are over the floor (the ÷ rows), not over jupyter_server.
	mStart := metric{name: "start (process → first 200 from /api/status)", unit: millis, p90: true, spread: true}
	mIdle := metric{name: fmt.Sprintf("idle RSS (%v after ready)", cfg.idleWait), unit: mebis, spread: true}
	mAnon := metric{name: fmt.Sprintf("idle RSS, anonymous (%v after ready; smaps_rollup)", cfg.idleWait), unit: mebis, spread: true}
	mFile := metric{name: fmt.Sprintf("idle RSS, file-backed (%v after ready; smaps_rollup)", cfg.idleWait), unit: mebis, spread: true}
	mFloorStart := metric{name: "start, Go net/http hello-world floor (same round)", unit: millis}
	mStartX := metric{name: "start ÷ hello-world floor", unit: factor, goal: floorGoal, own: true}
	mFloorIdle := metric{name: fmt.Sprintf("idle RSS (%v after ready), Go net/http hello-world floor", cfg.idleWait), unit: mebis}
	mIdleX := metric{name: "idle RSS ÷ hello-world floor", unit: factor, goal: floorGoal, own: true}
	return scenario{
		name: "start",
		about: fmt.Sprintf("%d starts per server after one uncounted warm-up start; /api/status polled every %v; "+
			"VmRSS of the server process %v after ready, and from /proc/PID/smaps_rollup its anonymous and file-backed parts (Rss − Anonymous); each start serves an empty directory; after each start, the floor: "+
			"a net/http hello-world server built by the same Go toolchain (answers every request with a small JSON body) started "+
			"and measured the same way; ÷ floor rows are per-round ratios (medians shown), Quire's own goal ≤ %.1f",
			cfg.startRuns, readyPoll, cfg.idleWait, floorGoal),
		metrics: []metric{mStart, mIdle, mAnon, mFile, mFloorStart, mStartX, mFloorIdle, mIdleX},
		rounds:  cfg.startRuns,
		warmup:  true, // page cache, Python bytecode
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			root, err := os.MkdirTemp(e.tmp, "start-root-")
			if err != nil {
				return nil, err
			}
			got, err := measureStart(ctx, e, sp, root)
			if err != nil {
				return nil, err
			}
			s := samples{mStart.name: {ms(got.ready)}, mIdle.name: {got.rss}, mAnon.name: {got.anon}, mFile.name: {got.file}}
			fsp, err := e.hello.spec(ctx, e)
			if err != nil {
				return s, err
			}
			floor, err := measureStart(ctx, e, fsp, root)
			if err != nil {
				return s, fmt.Errorf("hello-world floor: %w", err)
			}
			s.add(mFloorStart.name, ms(floor.ready))
			s.add(mStartX.name, float64(got.ready)/float64(floor.ready))
			s.add(mFloorIdle.name, floor.rss)
			s.add(mIdleX.name, got.rss/floor.rss)
			return s, nil
		},
	}
}

// startFigures are one start's time to ready and idle RSS (MiB): all of
// it, its anonymous pages and the rest (pages of files: the binary, the
// interpreter and its libraries).
type startFigures struct {
	ready           time.Duration
	rss, anon, file float64
}

// measureStart starts sp once on root and reads its time to ready and its
// RSS after the idle wait.
func measureStart(ctx context.Context, e *env, sp spec, root string) (startFigures, error) {
	srv, err := startServer(ctx, e, sp, root)
	if err != nil {
		return startFigures{}, err
	}
	defer srv.stop()
	if err := sleep(ctx, e.cfg.idleWait); err != nil {
		return startFigures{}, err
	}
	rss, err := srv.rssMiB()
	if err != nil {
		return startFigures{}, fmt.Errorf("idle RSS: %w", err)
	}
	roll, err := srv.smapsRollup()
	if err != nil {
		return startFigures{}, fmt.Errorf("idle RSS: %w", err)
	}
	return startFigures{ready: srv.ready, rss: rss, anon: roll["Anonymous"] / (1 << 20),
		file: (roll["Rss"] - roll["Anonymous"]) / (1 << 20)}, srv.stop()
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
