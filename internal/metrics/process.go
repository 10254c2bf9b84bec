package metrics

import (
	"runtime"
	"runtime/metrics"
)

// goMetrics are the Go runtime's figures exported, by runtime/metrics name.
var goMetrics = []struct{ name, src, help, typ string }{
	{"go_goroutines", "/sched/goroutines:goroutines", "Goroutines that currently exist.", Gauge},
	{"go_gc_cycles_total", "/gc/cycles/total:gc-cycles", "Completed GC cycles.", Counter},
	{"go_gc_cpu_seconds_total", "/cpu/classes/gc/total:cpu-seconds", "Estimated CPU time spent in the garbage collector.", Counter},
	{"go_gc_heap_goal_bytes", "/gc/heap/goal:bytes", "Heap size the garbage collector aims to stay under in this cycle.", Gauge},
	{"go_memory_heap_objects_bytes", "/memory/classes/heap/objects:bytes", "Memory held by live and not yet swept heap objects.", Gauge},
	{"go_memory_total_bytes", "/memory/classes/total:bytes", "All memory the Go runtime mapped (heap, stacks, runtime structures).", Gauge},
	{"go_memlimit_bytes", "/gc/gomemlimit:bytes", "The Go runtime's soft memory limit (--memory-limit, GOMEMLIMIT).", Gauge},
}

// registerProcess registers the Go runtime's figures and, where the
// platform has them, the process's (process_*, as Prometheus' client
// libraries name them).
func registerProcess(r *Registry) {
	have := map[string]bool{}
	for _, d := range metrics.All() {
		have[d.Name] = true
	}
	for _, m := range goMetrics {
		if !have[m.src] {
			continue
		}
		src := m.src
		r.NewCollected(m.name, m.help, m.typ, func() []Sample {
			s := []metrics.Sample{{Name: src}}
			metrics.Read(s)
			var v float64
			switch s[0].Value.Kind() {
			case metrics.KindUint64:
				v = float64(s[0].Value.Uint64())
			case metrics.KindFloat64:
				v = s[0].Value.Float64()
			}
			return []Sample{{Value: v}}
		})
	}
	r.NewCollected("go_info", "The Go version Quire was built with.", Gauge, func() []Sample {
		return []Sample{{Labels: []string{"version", runtime.Version()}, Value: 1}}
	})
	registerOS(r)
}
