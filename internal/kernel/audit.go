package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"quire/internal/audit"
	"quire/internal/errkind"
	"quire/internal/kernel/wire"
)

// The manager's audit records (Options.Audit). Start, restart, interrupt
// and shutdown use the field names of Jupyter Events' kernel_actions
// schema (audit.SchemaKernel: action, kernel_id, kernel_name, status,
// msg); death and culling have no schema there.

// Start launches a kernel (see start) and records it.
func (m *Manager) Start(ctx context.Context, name string, o StartOptions) (*Kernel, error) {
	k, err := m.start(ctx, name, o)
	id := ""
	if k != nil {
		id, name = k.id, k.spec.Name
		k.mu.Lock()
		k.startedBy = audit.Detach(ctx)
		k.mu.Unlock()
	}
	m.auditAction(ctx, "start", id, name, err)
	return k, err
}

// Shutdown stops a kernel (see shutdown) and records it.
func (m *Manager) Shutdown(ctx context.Context, id string) error {
	name := m.nameOf(id)
	err := m.shutdown(ctx, id)
	m.auditAction(ctx, "shutdown", id, name, err)
	return err
}

// Interrupt interrupts a kernel (see interrupt) and records it.
func (m *Manager) Interrupt(ctx context.Context, id string) error {
	err := m.interrupt(ctx, id)
	m.auditAction(ctx, "interrupt", id, m.nameOf(id), err)
	return err
}

// Restart restarts a kernel (see restart) and records it.
func (m *Manager) Restart(ctx context.Context, id string) (*Kernel, error) {
	k, err := m.restart(ctx, id)
	m.auditAction(ctx, "restart", id, m.nameOf(id), err)
	return k, err
}

func (m *Manager) nameOf(id string) string {
	if k, ok := m.Get(id); ok {
		return k.spec.Name
	}
	return ""
}

func (m *Manager) auditAction(ctx context.Context, action, id, name string, err error) {
	if m.o.Audit == nil {
		return
	}
	f := audit.F{"action": action, "kernel_name": name, "status": "success", "msg": "kernel " + action}
	if id != "" {
		f["kernel_id"] = id
	}
	outcome := audit.OK
	if err != nil {
		outcome, f["status"] = audit.Error, "error"
		// The client-safe message, never the wrapped OS detail.
		msg, _ := errkind.Message(err)
		f["msg"] = msg
	}
	m.o.Audit.Record(ctx, audit.Event{Name: "kernel." + action, Schema: audit.SchemaKernel, Outcome: outcome, Fields: f})
}

// auditCulled records a kernel the culler shut down.
func (m *Manager) auditCulled(k *Kernel, state string, idle time.Duration, err error) {
	if m.o.Audit == nil {
		return
	}
	f := audit.F{"kernel_id": k.id, "kernel_name": k.spec.Name, "execution_state": state,
		"idle_seconds": int64(idle / time.Second)}
	outcome := audit.OK
	if err != nil {
		outcome = audit.Error
	}
	m.o.Audit.Record(k.starter(), audit.Event{Name: "kernel.culled", Outcome: outcome, Fields: f})
}

// auditDied records a kernel process that exited unasked, with its exit
// code or the signal that killed it.
func (k *Kernel) auditDied(err error) {
	if k.m.o.Audit == nil {
		return
	}
	f := audit.F{"kernel_id": k.id, "kernel_name": k.spec.Name}
	audit.AddExit(f, err)
	k.m.o.Audit.Record(k.starter(), audit.Event{Name: "kernel.died", Outcome: audit.Error, Fields: f})
}

// starter is the context of the request that started k: its death and
// culling are recorded under that user, client and request id.
func (k *Kernel) starter() context.Context {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.startedBy == nil {
		return context.Background()
	}
	return k.startedBy
}

// auditExecute records an execute_request msg on its way to the kernel:
// kernel, cell id, the SHA-256 of the code and, with ExecuteFull, the code.
func (c *Conn) auditExecute(msg *wire.Message) {
	if msg.Type() != "execute_request" {
		return
	}
	var content struct {
		Code string `json:"code"`
	}
	var meta struct {
		CellID string `json:"cellId"`
	}
	_ = json.Unmarshal(msg.Content, &content)
	_ = json.Unmarshal(msg.Metadata, &meta)
	h, _ := msg.ParseHeader()
	sum := sha256.Sum256([]byte(content.Code))
	f := audit.F{"kernel_id": c.k.id, "kernel_name": c.k.spec.Name, "msg_id": h.MsgID,
		"code_sha256": hex.EncodeToString(sum[:]), "code_bytes": len(content.Code)}
	if meta.CellID != "" {
		f["cell_id"] = meta.CellID
	}
	a := c.k.m.o.Audit
	if a.Execute() == audit.ExecuteFull {
		f["code"] = content.Code
	}
	a.Record(c.actx, audit.Event{Name: "kernel.execute", Fields: f})
}
