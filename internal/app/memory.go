package app

import (
	"log/slog"
	"runtime/debug"
	"time"

	"quire/internal/bigbuf"
	"quire/internal/membudget"
)

// Giving memory back after a burst: once the request budget has been idle
// for idleDelay after requests charged at least idleMin, the kept buffers
// are dropped and the freed heap is returned to the operating system. Go's
// background scavenger would return it only over minutes; FreeOSMemory
// costs one full collection, which an idle server can afford, and at most
// once per burst.
const (
	idleDelay = time.Second
	idleMin   = 256 << 20
)

// requestMemory builds the server-wide request memory budget
// (--max-request-memory).
func requestMemory(limit int64, bufs *bigbuf.Cache, log *slog.Logger) *membudget.Budget {
	return membudget.New(limit, membudget.Options{
		Option:    "--max-request-memory",
		Free:      1 << 20,
		IdleDelay: idleDelay,
		IdleMin:   idleMin,
		OnIdle: func() {
			t0 := time.Now()
			bufs.Drop()
			debug.FreeOSMemory()
			log.Debug("returned memory to the OS after a burst of large requests", "took", time.Since(t0))
		},
	})
}

// setMemoryLimit applies --memory-limit to the Go runtime. With 0, the
// runtime keeps what GOMEMLIMIT (read by the runtime at start) says, or no
// limit.
func setMemoryLimit(n int64) {
	if n > 0 {
		debug.SetMemoryLimit(n)
	}
}
