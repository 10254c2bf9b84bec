//go:build unix

package app

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
)

// goroutineDumps writes the goroutine profile in pprof's text form (its
// first line reads "goroutine profile: total N") to path each time the
// process gets SIGUSR1, until stop is called. It is the benchmark
// harness's view of leaks (bench's soak scenario), asked for by
// QUIRE_GOROUTINE_DUMP=file: a signal and a 0600 file need no route, so
// nothing about the process is exposed over HTTP, even by mistake. The
// file is replaced atomically, so a reader never sees half a dump; the
// heap profile goes to file.heap and the runtime's memory classes to
// file.mem first.
//
// Before the dump appears, it collects garbage and returns free memory to
// the system (debug.FreeOSMemory), so the RSS read once the dump is there is
// what the server holds, not what the Go runtime keeps from the last
// burst of allocations until its next collection (one argon2 password
// check alone allocates 10 MiB, and an idle process collects only every
// two minutes).
func goroutineDumps(path string, stderr io.Writer) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-sigs:
				if err := writeGoroutines(path); err != nil {
					fmt.Fprintln(stderr, "quire: QUIRE_GOROUTINE_DUMP:", err)
				}
			}
		}
	})
	return func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
	}
}

// writeGoroutines writes the dump and its companions. Writing profiles
// allocates (the heap profile's cost grows with the number of distinct
// allocation stacks the process has seen, so it grows with uptime), so
// the collection that returns free memory runs after them and just before
// the dump appears: a reader who takes RSS once the dump is there must not
// see the dump's own garbage.
func writeGoroutines(path string) error {
	runtime.GC() // the heap profile shows what is live now
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = pprof.Lookup("goroutine").WriteTo(f, 1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = writeHeap(path + ".heap")
	}
	if err == nil {
		// Twice: pages the first collection's sweep frees after its
		// scavenge would otherwise read as held.
		debug.FreeOSMemory()
		debug.FreeOSMemory()
		err = writeMemClasses(path + ".mem")
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// writeMemClasses writes the Go runtime's memory classes (runtime/metrics
// /memory/classes/..., one "name bytes" line each) beside the dump: what
// the runtime itself maps, heap or not (stacks, GC metadata, free pages not
// yet returned), so that RSS the runtime does not account for (SQLite's
// allocator, say) shows as the difference.
func writeMemClasses(path string) error {
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	var b strings.Builder
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(&b, "%s %d\n", s.Name, s.Value.Uint64())
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// writeHeap writes the heap profile (pprof format) beside the dump, for
// looking into what a leak check found: after FreeOSMemory, its in-use
// figures are what is live.
func writeHeap(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
