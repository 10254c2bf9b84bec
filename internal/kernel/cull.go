package kernel

import (
	"context"
	"time"
)

// RunCuller shuts down idle and dead kernels every CullInterval until ctx
// ends. With CullIdleTimeout 0 and no spec setting metadata.cull_idle_timeout
// only dead kernels are culled. The caller owns the goroutine running it.
func (m *Manager) RunCuller(ctx context.Context) {
	t := time.NewTicker(m.o.CullInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.CullOnce(ctx)
		}
	}
}

// CullOnce shuts down every kernel that is dead (its process gone) or
// idle past its timeout.
func (m *Manager) CullOnce(ctx context.Context) {
	now := m.o.Now()
	for _, k := range m.List() {
		timeout := m.o.CullIdleTimeout
		if v, ok := k.spec.Metadata["cull_idle_timeout"].(float64); ok && v >= 0 {
			timeout = time.Duration(v * float64(time.Second))
		}
		k.mu.Lock()
		state, last := k.state, k.lastActivity
		k.fan.mu.Lock()
		conns := k.fan.conns
		k.fan.mu.Unlock()
		k.mu.Unlock()
		// One that only stopped answering heartbeats keeps its state (its
		// process runs and may answer again): only the idle rule applies.
		cull := false
		switch {
		case state == "dead":
			cull = true
		case timeout <= 0:
		case conns > 0 && !m.o.CullConnected:
		case state == "busy" && !m.o.CullBusy:
		default:
			cull = now.Sub(last) > timeout
		}
		if cull {
			m.log.Info("culling kernel", "kernel_id", k.id, "execution_state", state, "idle", now.Sub(last).Round(time.Second).String())
			err := m.shutdown(ctx, k.id)
			m.auditCulled(k, state, now.Sub(last), err)
			if err != nil {
				m.log.Warn("cull kernel", "kernel_id", k.id, "err", err)
			}
		}
	}
}
