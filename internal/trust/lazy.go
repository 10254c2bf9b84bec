package trust

import (
	"errors"
	"fmt"
	"sync"

	"quire/internal/nbformat"
)

// Lazy is a Notary opened on the first notebook that needs it rather than
// at start: SQLite's setup costs more than the rest of a server's start-up
// (about 15 ms and 5 MiB), and a server that never opens a notebook never
// needs it. Its methods are safe for concurrent use.
type Lazy struct {
	opts Options

	once sync.Once
	n    *Notary
	err  error
}

// OpenLazy returns a Lazy that opens a Notary with o when first used. A
// failure to open is logged once (to o.Log) and answered by every call.
func OpenLazy(o Options) *Lazy { return &Lazy{opts: o} }

func (l *Lazy) get() (*Notary, error) {
	l.once.Do(func() {
		l.n, l.err = Open(l.opts)
		if l.err != nil && l.opts.Log != nil {
			l.opts.Log.Error("notebook trust is unavailable: notebooks open untrusted and saves are not signed",
				"trust_data_dir", l.opts.DataDir, "err", l.err)
		}
	})
	return l.n, l.err
}

// Trusted reports whether nb is trusted; it reports a notebook untrusted
// when the database cannot be opened: the safe answer.
func (l *Lazy) Trusted(nb *nbformat.Notebook) bool {
	n, err := l.get()
	return err == nil && n.Trusted(nb)
}

// Sign records nb's signature, opening the database first if need be.
func (l *Lazy) Sign(nb *nbformat.Notebook) error {
	n, err := l.get()
	if err != nil {
		return fmt.Errorf("notebook trust: %w", err)
	}
	return n.Sign(nb)
}

// Close closes the database if it was opened, and keeps it from being
// opened afterwards (a later call answers as if it could not be).
func (l *Lazy) Close() error {
	l.once.Do(func() { l.err = errClosed }) // no opening on the way out
	if l.n != nil {
		return l.n.Close()
	}
	return nil
}

// errClosed answers calls after Close that found nothing open.
var errClosed = errors.New("trust: closed")
