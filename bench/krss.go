package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// kernelRSSScenario measures the server process's memory (not its
// kernels') as the number of open kernels grows.
func kernelRSSScenario(cfg config) scenario {
	counts := slices.Clone(cfg.rssKernels)
	slices.Sort(counts)
	var rows []metric
	var names []string
	for _, n := range counts {
		rows = append(rows, metric{name: fmt.Sprintf("server RSS with %d kernel(s) open", n), unit: mebis})
		names = append(names, fmt.Sprint(n))
	}
	last := counts[len(counts)-1]
	// Issue #15's decision: what each open kernel costs the server, goal at
	// most half of jupyter_server's.
	mZero := metric{name: "server RSS with 0 kernels (before the first)", unit: mebis}
	mPer := metric{name: fmt.Sprintf("server memory per open kernel ((RSS at %d − RSS at 0) ÷ %d)", last, last), unit: mebis, goal: 0.5}
	rows = append(rows, mZero, mPer)
	return scenario{
		name: "kernel-rss",
		about: fmt.Sprintf("one server start; kernels opened (POST, WebSocket offering v1, kernel_info answered; the WebSocket stays open) "+
			"4 at a time until %s are open; VmRSS of the server process alone (kernels are separate processes) %v after each count is reached "+
			"(and once before the first, the 0 row; per open kernel = the difference to the last count ÷ that count); "+
			"then every kernel is deleted and checked gone",
			strings.Join(names, ", then "), cfg.idleWait),
		metrics: rows,
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			k, err := startKernels(ctx, e, sp, 0)
			if err != nil {
				return nil, err
			}
			defer k.abort(ctx)
			s := make(samples)
			if err := sleep(ctx, e.cfg.idleWait); err != nil {
				return s, err
			}
			zero, err := k.srv.rssMiB()
			if err != nil {
				return s, err
			}
			s.add(mZero.name, zero)
			var rss float64
			for i, n := range counts {
				if err := k.open(ctx, n-len(k.ids)); err != nil {
					return s, err
				}
				if err := sleep(ctx, e.cfg.idleWait); err != nil {
					return s, err
				}
				if rss, err = k.srv.rssMiB(); err != nil {
					return s, err
				}
				s.add(rows[i].name, rss)
			}
			s.add(mPer.name, (rss-zero)/float64(last))
			return s, k.finish(ctx)
		},
	}
}
