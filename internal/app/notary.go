package app

import (
	"fmt"
	"log/slog"
	"sync"

	"quire/internal/nbformat"
	"quire/internal/trust"
)

// lazyNotary opens the signature database on the first notebook that needs
// it rather than at start: SQLite's setup costs more than the rest of
// Quire's start-up (about 15 ms and 5 MiB), and a server that never opens a
// notebook never needs it.
type lazyNotary struct {
	opts trust.Options
	log  *slog.Logger

	once sync.Once
	n    *trust.Notary
	err  error
}

func (l *lazyNotary) get() (*trust.Notary, error) {
	l.once.Do(func() {
		l.n, l.err = trust.Open(l.opts)
		if l.err != nil {
			l.log.Error("notebook trust is unavailable: notebooks open untrusted and saves are not signed",
				"trust_data_dir", l.opts.DataDir, "err", l.err)
		}
	})
	return l.n, l.err
}

// Trusted reports a notebook untrusted when the database cannot be opened:
// the safe answer.
func (l *lazyNotary) Trusted(nb *nbformat.Notebook) bool {
	n, err := l.get()
	return err == nil && n.Trusted(nb)
}

func (l *lazyNotary) Sign(nb *nbformat.Notebook) error {
	n, err := l.get()
	if err != nil {
		return fmt.Errorf("notebook trust: %w", err)
	}
	return n.Sign(nb)
}

// Close closes the database if it was opened.
func (l *lazyNotary) Close() error {
	var err error
	l.once.Do(func() {}) // no opening on the way out
	if l.n != nil {
		err = l.n.Close()
	}
	return err
}
