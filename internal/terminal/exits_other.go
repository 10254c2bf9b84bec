//go:build unix && !linux

package terminal

// watchLocked waits for t's shell in a goroutine of its own (reaped's
// Wait blocks until the shell exits). m.mu is held.
func (m *Manager) watchLocked(t *Terminal) {
	t.ending.Store(true)
	go t.reaped()
}
