// Package membudget bounds the memory that in-flight requests may take
// together. A request that will allocate memory in proportion to a file
// or body (a 100 MiB notebook costs over a GiB to decode, check and
// render) charges its estimate before it allocates and gives it back when
// done; past the budget it is refused at once, so that a burst of large
// requests fails some of them cleanly instead of taking the machine's
// memory.
//
// When the budget falls back to zero after a burst, an idle hook runs
// (after a short delay, and only if the burst charged enough to matter):
// app uses it to drop kept buffers and give freed memory back to the
// operating system, which Go's runtime otherwise does only slowly.
package membudget

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"quire/internal/errkind"
)

// Budget is a server-wide allowance of request memory. A nil *Budget
// charges nothing.
type Budget struct {
	mu     sync.Mutex
	limit  int64
	used   int64
	burst  int64 // charged since the idle hook last ran
	opt    Options
	timer  *time.Timer
	option string
}

// Options tune a Budget.
type Options struct {
	// Option is the name of the setting the limit comes from, for
	// messages ("--max-request-memory").
	Option string
	// Free is the size under which a charge is not counted, so that small
	// requests are never refused for want of memory.
	Free int64
	// OnIdle runs (in its own goroutine) IdleDelay after the budget falls
	// back to zero, if at least IdleMin was charged since it was last
	// idle, and if no request has charged it in the meantime.
	OnIdle    func()
	IdleDelay time.Duration
	IdleMin   int64
}

// New returns a budget of limit bytes (limit > 0).
func New(limit int64, opt Options) *Budget {
	return &Budget{limit: limit, opt: opt, option: opt.Option}
}

// RetryAfter is what a refused request is told to wait, in seconds: long
// enough for a large request in flight to finish on a slow machine.
const RetryAfter = 2

// Acquire charges n bytes (nothing if n < Options.Free). It returns a release function, to be called
// once when the memory is no longer in use, or an error: errkind.TooLarge
// if n exceeds the whole budget (the request can never run), errkind.Retry
// if the budget is taken by requests in flight. A nil budget, or n ≤ 0,
// charges nothing.
func (b *Budget) Acquire(n int64) (release func(), err error) {
	if b == nil || n <= 0 || n < b.opt.Free {
		return func() {}, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.limit {
		return nil, errkind.Newf(errkind.TooLarge,
			"this request would need about %s of memory, more than the server's whole request budget of %s (%s)",
			Size(n), Size(b.limit), b.option)
	}
	if b.used+n > b.limit {
		return nil, errkind.Newf(errkind.Retry,
			"the server is busy: requests in progress use %s of its %s request memory budget (%s) and this one needs about %s; retry in a few seconds",
			Size(b.used), Size(b.limit), b.option, Size(n))
	}
	b.used += n
	b.burst += n
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	var once sync.Once
	return func() { once.Do(func() { b.release(n) }) }, nil
}

func (b *Budget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used > 0 || b.opt.OnIdle == nil || b.burst < b.opt.IdleMin {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(b.opt.IdleDelay, func() {
		b.mu.Lock()
		fire := b.timer == t
		if fire {
			b.timer, b.burst = nil, 0
		}
		b.mu.Unlock()
		if fire {
			b.opt.OnIdle()
		}
	})
	b.timer = t
}

// Used returns the bytes charged now (for tests and diagnostics).
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Size renders n bytes for a message: "1.5 GiB", "300 MiB", "12 KiB".
func Size(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}
