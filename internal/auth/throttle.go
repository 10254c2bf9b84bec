package auth

import (
	"net/netip"
	"sync"
	"time"
)

// throttle slows password guessing. It tracks failed logins per client
// address (IPv6 by /64, since one host usually owns a whole /64) and across
// all addresses:
//
//   - after FreeFailures failures from an address, that address must wait
//     FailureDelay, doubling with every further failure up to
//     MaxFailureDelay; a success or FailureMemory without failures resets it;
//   - when GlobalFailures or more failures happened in the last minute from
//     anywhere, every password check waits FailureDelay, doubling with every
//     further failure up to GlobalMaxDelay, until a quiet minute passes;
//   - an address has at most one check in progress.
//
// While throttled a login is answered 429 without running the hash. Token
// and cookie requests never reach the throttle. At most Options.MaxThrottled
// addresses are tracked; the least recently failed is forgotten first.
type throttle struct {
	free            int
	delay, maxDelay time.Duration
	memory          time.Duration
	globalLimit     int
	globalMax       time.Duration

	mu    sync.Mutex
	addrs *recencyMap[*addrState] // least recently failed first
	// failures per second over the last minute, as a ring.
	buckets    [60]int
	bucketSecs [60]int64
	strikes    int
	globalNext time.Time
}

type addrState struct {
	failures int
	last     time.Time
	next     time.Time // no check before this
	busy     bool      // a check is running
}

func newThrottle(o *Options) *throttle {
	return &throttle{
		free: o.FreeFailures, delay: o.FailureDelay, maxDelay: o.MaxFailureDelay,
		memory: o.FailureMemory, globalLimit: o.GlobalFailures, globalMax: o.GlobalMaxDelay,
		addrs: newRecencyMap[*addrState](o.MaxThrottled),
	}
}

// throttleKey is the address a client is throttled by.
func throttleKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// begin asks to check a password from key at now. It returns the wait
// before a check may run (0: go ahead; busy: key already has a check
// running). On 0 the caller must call end or abort.
func (t *throttle) begin(key string, now time.Time) (wait time.Duration, busy bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Before(t.globalNext) {
		return t.globalNext.Sub(now), false
	}
	if t.strikes > 0 && t.recentFailures(now) < t.globalLimit {
		t.strikes = 0
	}
	st := t.state(key, now, false)
	if st == nil {
		st = t.state(key, now, true)
	}
	if now.Before(st.next) {
		return st.next.Sub(now), false
	}
	if st.busy {
		return time.Second, true
	}
	st.busy = true
	return 0, false
}

// end records the outcome of a check begun for key.
func (t *throttle) end(key string, now time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state(key, now, false)
	if ok {
		if st != nil {
			t.addrs.remove(key)
		}
		return
	}
	if st == nil {
		st = t.state(key, now, true)
	}
	st.busy = false
	st.failures++
	st.last = now
	t.addrs.touch(key)
	if n := st.failures - t.free; n >= 0 {
		st.next = now.Add(grow(t.delay, n, t.maxDelay))
	}
	t.addFailure(now)
	if t.recentFailures(now) >= t.globalLimit {
		t.strikes++
		if next := now.Add(grow(t.delay, t.strikes-1, t.globalMax)); next.After(t.globalNext) {
			t.globalNext = next
		}
	}
}

// state returns key's state, forgetting it if it is stale, and creating it
// when create is set (evicting the oldest entry when full).
func (t *throttle) state(key string, now time.Time, create bool) *addrState {
	live := func(st *addrState) bool { return st.busy || now.Sub(st.last) < t.memory || now.Before(st.next) }
	if st, ok := t.addrs.lookup(key, live); ok {
		return st
	}
	if !create {
		return nil
	}
	st := &addrState{last: now}
	t.addrs.add(key, st)
	return st
}

func (t *throttle) addFailure(now time.Time) {
	s := now.Unix()
	i := int(((s % 60) + 60) % 60)
	if t.bucketSecs[i] != s {
		t.bucketSecs[i], t.buckets[i] = s, 0
	}
	t.buckets[i]++
}

func (t *throttle) recentFailures(now time.Time) int {
	s, n := now.Unix(), 0
	for i, sec := range t.bucketSecs {
		if sec > s-60 && sec <= s {
			n += t.buckets[i]
		}
	}
	return n
}

// size is the number of tracked addresses.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addrs.len()
}

// grow returns base·2ⁿ, at most max.
func grow(base time.Duration, n int, max time.Duration) time.Duration {
	d := base
	for ; n > 0 && d < max; n-- {
		d *= 2
	}
	return min(d, max)
}

// abort ends a check begun for key without an outcome (the client left).
func (t *throttle) abort(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st := t.state(key, now, false); st != nil {
		st.busy = false
	}
}
