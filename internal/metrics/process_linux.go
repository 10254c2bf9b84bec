package metrics

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports (sysconf needs cgo).
const clockTicks = 100

// registerOS registers process_* from /proc/self, as Prometheus' client
// libraries name them, so dashboards made for them work.
func registerOS(r *Registry) {
	pageSize := float64(os.Getpagesize())
	stat := func() []string {
		b, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			return nil
		}
		// The command name may hold spaces and parentheses: fields
		// start after the last ')', with the state (field 3).
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			return nil
		}
		return strings.Fields(string(b[i+1:]))
	}
	// field returns stat field n (1-based as proc(5) numbers them).
	field := func(f []string, n int) float64 {
		if n-3 >= len(f) {
			return 0
		}
		v, _ := strconv.ParseFloat(f[n-3], 64)
		return v
	}
	one := func(v float64) []Sample { return []Sample{{Value: v}} }
	r.NewCollected("process_cpu_seconds_total", "User and system CPU time the process spent, in seconds.", Counter, func() []Sample {
		f := stat()
		return one((field(f, 14) + field(f, 15)) / clockTicks)
	})
	r.NewCollected("process_resident_memory_bytes", "Resident memory size in bytes.", Gauge, func() []Sample {
		return one(field(stat(), 24) * pageSize)
	})
	r.NewCollected("process_virtual_memory_bytes", "Virtual memory size in bytes.", Gauge, func() []Sample {
		return one(field(stat(), 23))
	})
	r.NewCollected("process_open_fds", "Open file descriptors.", Gauge, func() []Sample {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return nil
		}
		return one(float64(len(ents) - 1)) // less the one ReadDir had open
	})
	r.NewCollected("process_max_fds", "The open file descriptor limit.", Gauge, func() []Sample {
		var rl syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
			return nil
		}
		return one(float64(rl.Cur))
	})
	if boot := bootTime(); boot > 0 {
		start := boot + field(stat(), 22)/clockTicks
		r.NewCollected("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", Gauge, func() []Sample {
			return one(start)
		})
	}
}

// bootTime is the system's boot time (btime in /proc/stat), 0 if unknown.
func bootTime() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}
