package audit

import (
	"sync"
	"time"
)

// limiter lets at most n refusal records a minute through for each client,
// counting the rest, so that a scanner cannot fill the disk. It tracks at
// most max clients a minute; beyond that, new clients share one count.
type limiter struct {
	n, max int

	mu     sync.Mutex
	window int64 // unix minute
	counts map[string]int
	// dropped counts each client's refusals not recorded, carried into
	// the next minute so the next record can report them.
	dropped map[string]int
}

func newLimiter(n, max int) *limiter {
	return &limiter{n: n, max: max, counts: map[string]int{}, dropped: map[string]int{}}
}

// allow reports whether a refusal by client may be recorded now, and how
// many of its refusals were dropped since its last record.
func (l *limiter) allow(client string, now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Unix() / 60; w != l.window {
		l.window = w
		clear(l.counts)
		if len(l.dropped) > l.max {
			clear(l.dropped)
		}
	}
	if _, known := l.counts[client]; !known && len(l.counts) >= l.max {
		client = "*" // too many clients this minute: one shared count
	}
	if l.counts[client] >= l.n {
		l.dropped[client]++
		return false, 0
	}
	l.counts[client]++
	suppressed = l.dropped[client]
	delete(l.dropped, client)
	return true, suppressed
}
