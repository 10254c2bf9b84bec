package terminal

import (
	"context"

	"quire/internal/audit"
)

// auditStart records a terminal started (or not) by the request in ctx.
func (m *Manager) auditStart(ctx context.Context, name string, err error) {
	if m.o.Audit == nil {
		return
	}
	f := audit.F{"terminal": name}
	outcome := audit.OK
	if err != nil {
		outcome = audit.Error
	}
	m.o.Audit.Record(ctx, audit.Event{Name: "terminal.start", Outcome: outcome, Fields: f})
}

// endBy notes who ends t and why, before it is stopped; the first reason
// given stands.
func (t *Terminal) endBy(ctx context.Context, reason string) {
	t.mu.Lock()
	if t.endReason == "" {
		t.endCtx, t.endReason = audit.Detach(ctx), reason
	}
	t.mu.Unlock()
}

// auditEnd records the end of t once its shell has exited: why
// (deleted, culled, server_stop, or exited of itself) and how the shell
// ended. A terminal ended by a request names that request; one whose
// shell exited names the request that started it.
func (t *Terminal) auditEnd(err error) {
	if t.m.o.Audit == nil {
		return
	}
	t.mu.Lock()
	ctx, reason := t.endCtx, t.endReason
	t.mu.Unlock()
	if reason == "" {
		ctx, reason = t.startCtx, "exited"
	}
	if ctx == nil {
		ctx = context.Background()
	}
	f := audit.F{"terminal": t.name, "reason": reason}
	audit.AddExit(f, err)
	t.m.o.Audit.Record(ctx, audit.Event{Name: "terminal.end", Fields: f})
}
