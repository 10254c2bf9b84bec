package terminal

import (
	"os"
	"os/signal"
	"syscall"

	"quire/internal/childwait"
)

// watchLocked has the manager's exit watcher look after t, starting the
// watcher with the first terminal. One goroutine for every terminal, woken
// by SIGCHLD, instead of one waiting per terminal: an idle terminal costs
// only its pty reader. m.mu is held.
func (m *Manager) watchLocked(t *Terminal) {
	if !m.watching {
		m.watching = true
		m.watchers.Add(1)
		go m.watchExits()
	}
	select { // a shell that exits before the watcher looks is still seen
	case m.wake <- struct{}{}:
	default:
	}
}

// watchExits runs until Close: on each SIGCHLD (or wake) it looks, without
// reaping, for terminals whose shell has exited, and hands each to its
// reaped, which reaps it. Signals merge, so every terminal is looked at
// each time.
func (m *Manager) watchExits() {
	defer m.watchers.Done()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	for {
		for _, t := range m.all() {
			if !t.ending.Load() && childwait.HasExited(t.pid) {
				t.ending.Store(true)
				go t.reaped()
			}
		}
		select {
		case <-m.quit:
			return
		case <-sigs:
		case <-m.wake:
		}
	}
}
