// Package bigbuf keeps a few large byte buffers for reuse between requests.
//
// A 20 MB notebook save or load needs buffers of its size (the request
// body, the file's bytes, the rendered file). Fresh memory costs a page
// fault per 4 KiB on first touch, and on virtual machines that is about
// 60 ms per 20 MB, more than the parsing itself. Buffers returned with Put
// are kept, up to a total size, and handed out again by Get; whatever has
// not been reused for Idle is dropped, so an idle server goes back to its
// small footprint.
//
// There is no process-wide cache: the server builds one Cache and hands it
// to the parts that use it (app wires it), so two servers in one process
// share nothing. A nil *Cache keeps nothing: Get allocates, Put drops.
package bigbuf

import (
	"sync"
	"time"
)

const (
	// MinSize is the smallest buffer worth keeping.
	MinSize = 1 << 20
	// DefaultLimit is the total size of kept buffers a server keeps unless
	// configured otherwise (--buffer-cache).
	DefaultLimit = 128 << 20
	// Idle is how long a kept buffer may go unused before it is dropped.
	Idle = 30 * time.Second
)

// Cache is a set of kept buffers. The zero value keeps nothing; use New.
type Cache struct {
	mu    sync.Mutex
	limit int
	idle  time.Duration
	kept  []kept
	total int
	timer *time.Timer
	now   func() time.Time
}

type kept struct {
	b    []byte
	used time.Time
}

// New returns a cache keeping up to limit bytes for idle.
func New(limit int, idle time.Duration) *Cache {
	return &Cache{limit: limit, idle: idle, now: time.Now}
}

// SetLimit sets the total size kept (0 = none) and drops buffers past it.
func (c *Cache) SetLimit(n int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = max(n, 0)
	c.trimLocked(c.limit)
}

// Drop drops every kept buffer, as after a burst of large requests, when
// the memory is better given back than kept for the next one.
func (c *Cache) Drop() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trimLocked(0)
}

// Get returns a buffer of length n. Its contents are undefined: the caller
// overwrites them. Buffers under MinSize are always fresh.
func (c *Cache) Get(n int) []byte {
	if c == nil || n < MinSize {
		return make([]byte, n)
	}
	c.mu.Lock()
	best := -1
	for i, k := range c.kept {
		if cap(k.b) >= n && (best < 0 || cap(k.b) < cap(c.kept[best].b)) {
			best = i
		}
	}
	if best < 0 {
		c.mu.Unlock()
		return make([]byte, n, classSize(n))
	}
	b := c.kept[best].b
	c.kept = append(c.kept[:best], c.kept[best+1:]...)
	c.total -= cap(b)
	c.mu.Unlock()
	return b[:n]
}

// Put keeps b for a later Get. The caller must hold no reference into b
// afterwards (no sub-slice, no string made from it without a copy).
// Buffers under MinSize, or that would take the total past the limit once
// older buffers are dropped, are left to the garbage collector.
func (c *Cache) Put(b []byte) {
	if c == nil || cap(b) < MinSize {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cap(b) > c.limit {
		return
	}
	c.trimLocked(c.limit - cap(b))
	c.kept = append(c.kept, kept{b: b[:0], used: c.now()})
	c.total += cap(b)
	if c.timer == nil {
		c.timer = time.AfterFunc(c.idle, c.expire)
	}
}

// classSize rounds n up to one of four sizes per power of two (16, 20,
// 24, 28, 32 MiB, …), so that buffers asked for with slightly different
// sizes (a request body, the file it becomes, a decoding arena) can stand
// in for each other. At most a quarter is wasted.
func classSize(n int) int {
	step := 1
	for step*8 <= n {
		step *= 2
	}
	// step is the largest power of two ≤ n/4.
	return (n + step - 1) / step * step
}

// trimLocked drops the least recently kept buffers until total ≤ n.
func (c *Cache) trimLocked(n int) {
	for c.total > n && len(c.kept) > 0 {
		c.total -= cap(c.kept[0].b)
		c.kept[0] = kept{}
		c.kept = c.kept[1:]
	}
	if len(c.kept) == 0 {
		c.kept = nil
	}
}

// expire drops buffers unused for idle and re-arms while any are kept.
func (c *Cache) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	cutoff := c.now().Add(-c.idle)
	live := c.kept[:0]
	for _, k := range c.kept {
		if k.used.After(cutoff) {
			live = append(live, k)
		} else {
			c.total -= cap(k.b)
		}
	}
	clear(c.kept[len(live):])
	c.kept = live
	if len(c.kept) == 0 {
		c.kept, c.timer = nil, nil
		return
	}
	c.timer = time.AfterFunc(c.idle, c.expire)
}

// Kept returns how many buffers and bytes are kept (for tests and
// diagnostics).
func (c *Cache) Kept() (buffers, bytes int) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.kept), c.total
}
