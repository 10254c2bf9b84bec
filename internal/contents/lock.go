package contents

import "sync"

// locker serialises writes to one path inside this process, so a
// precondition check and the write it guards cannot interleave with another
// save of the same file.
type locker struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	mu sync.Mutex
	n  int
}

// lock locks p and returns the unlock function.
func (l *locker) lock(p string) func() {
	l.mu.Lock()
	e := l.m[p]
	if e == nil {
		e = &lockEntry{}
		l.m[p] = e
	}
	e.n++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		e.n--
		if e.n == 0 {
			delete(l.m, p)
		}
		l.mu.Unlock()
	}
}
