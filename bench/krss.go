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
	for i, n := range counts {
		m := metric{name: fmt.Sprintf("server RSS with %d kernel(s) open", n), unit: mebis}
		if i == len(counts)-1 {
			m.goal = 0.1
		}
		rows = append(rows, m)
		names = append(names, fmt.Sprint(n))
	}
	return scenario{
		name: "kernel-rss",
		about: fmt.Sprintf("one server start; kernels opened (POST, WebSocket offering v1, kernel_info answered; the WebSocket stays open) "+
			"4 at a time until %s are open; VmRSS of the server process alone (kernels are separate processes) %v after each count is reached; "+
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
			for i, n := range counts {
				if err := k.open(ctx, n-len(k.ids)); err != nil {
					return s, err
				}
				if err := sleep(ctx, e.cfg.idleWait); err != nil {
					return s, err
				}
				rss, err := k.srv.rssMiB()
				if err != nil {
					return s, err
				}
				s.add(rows[i].name, rss)
			}
			return s, k.finish(ctx)
		},
	}
}
