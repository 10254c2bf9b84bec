package app

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles the environment asks for, for
// benchmarking: QUIRE_CPUPROFILE=file records a CPU profile from start to
// exit, QUIRE_MEMPROFILE=file writes a heap profile (in-use and allocated
// since start) at exit, QUIRE_GOROUTINE_DUMP=file writes the goroutines
// there on each SIGUSR1 (with a heap profile that has samples only when
// QUIRE_MEMPROFILE is set: otherwise allocations are not sampled at all). The returned stop writes the profiles; it is a
// no-op when none is set. Files are created 0600.
func startProfiles(env envFunc, stderr io.Writer) (stop func()) {
	cpuPath, _ := env("QUIRE_CPUPROFILE")
	memPath, _ := env("QUIRE_MEMPROFILE")
	stopDumps := func() {}
	if p, _ := env("QUIRE_GOROUTINE_DUMP"); p != "" {
		stopDumps = goroutineDumps(p, stderr)
	}
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.OpenFile(cpuPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err == nil {
			err = pprof.StartCPUProfile(f)
			if err != nil {
				f.Close()
			} else {
				cpu = f
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "quire: QUIRE_CPUPROFILE:", err)
		}
	}
	if memPath != "" {
		runtime.MemProfileRate = 64 << 10 // finer than the default 512 KiB for short runs
	} else {
		// Go samples allocations by default, and the samples' stacks stay
		// resident (1.5 MiB after a few minutes of ordinary requests,
		// growing with every new code path a long-running server takes).
		// Quire serves no profile, so nobody could ever read them.
		runtime.MemProfileRate = 0
	}
	return func() {
		stopDumps()
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				fmt.Fprintln(stderr, "quire: QUIRE_CPUPROFILE:", err)
			}
		}
		if memPath != "" {
			runtime.GC() // up-to-date in-use figures
			f, err := os.OpenFile(memPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err == nil {
				err = pprof.Lookup("heap").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintln(stderr, "quire: QUIRE_MEMPROFILE:", err)
			}
		}
	}
}
