package kernel

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"quire/internal/bytesize"
	"quire/internal/kernel/wire"
	"quire/internal/outputbudget"
)

// fanout is a kernel's client side: the link of each client session, the
// Conn attached to it if any, what detached sessions miss (the offline
// buffer) and the per-cell output budget every client shares. Messages
// from the kernel go through it to the Conns' queues; the process
// lifecycle (Kernel.mu) only hands it messages.
type fanout struct {
	o   *Options
	log *slog.Logger

	// mu guards the fields below and each link's conn and detachedAt.
	// Rule: it may be taken while holding Kernel.mu (or opMu), never
	// Kernel.mu, opMu or Manager.mu while holding it; a Conn's queue lock
	// (connQueue.mu) may be taken under it, never the other way round;
	// nothing blocks under it (a warning may be logged).
	mu      sync.Mutex
	links   map[string]*link // by client session id
	conns   int
	offline offlineBuf
	budget  *outputbudget.Budget // iopub output per cell
}

// maxDetached is how many sessions without a Conn a kernel keeps sockets
// and offline messages for. JupyterLab uses a new session id per page load,
// so without a cap every closed tab would keep three sockets open.
const maxDetached = 4

// evictDetachedLocked closes the sockets and drops the buffered messages of
// the oldest detached sessions beyond maxDetached, sparing keep. f.mu is
// held; the caller closes the returned links' sockets after unlocking.
func (f *fanout) evictDetachedLocked(keep string) []*link {
	var detached []*link
	for s, l := range f.links {
		if l.conn == nil && s != keep {
			detached = append(detached, l)
		}
	}
	if len(detached) <= maxDetached {
		return nil
	}
	slices.SortFunc(detached, func(a, b *link) int { return a.detachedAt.Compare(b.detachedAt) })
	for _, l := range detached[:len(detached)-maxDetached] {
		delete(f.links, l.session)
		f.offline.take(l.session)
	}
	return detached[:len(detached)-maxDetached]
}

// pushLocked queues msg for l's Conn (st: parseStream of an iopub stream
// message, else nil). A Conn whose queue is full is closed, its queue
// released, and the message goes to the offline buffer instead: the
// kernel and the other clients never wait for it. f.mu is held.
func (f *fanout) pushLocked(l *link, ch string, msg *wire.Message, st *streamText) {
	c := l.conn
	if c.q.push(item{ch, msg}, st, false) {
		return
	}
	msgs, size := c.q.usage()
	c.q.drop()
	l.conn = nil
	l.detachedAt = f.o.Now()
	f.conns--
	err := fmt.Errorf("client too slow: %d messages / %s queued", msgs, bytesize.Format(int64(size)))
	f.log.Warn("closing kernel connection", "session", l.session, "reason", err.Error(),
		"max_messages", f.o.MaxConnQueue, "max_bytes", f.o.MaxConnQueueBytes)
	c.finish(err)
	f.o.event(EventSlowClient)
	f.offline.add(l.session, ch, msg, f.log)
}

// fanOutLocked queues an iopub message for every Conn, and in the offline
// buffer of detached sessions it concerns. f.mu is held.
func (f *fanout) fanOutLocked(msg *wire.Message, typ, parentSession string, stream *streamText) {
	for _, l := range f.links {
		if l.conn != nil {
			f.pushLocked(l, "iopub", msg, stream)
		} else if typ == "status" || parentSession == l.session {
			f.offline.add(l.session, "iopub", msg, f.log)
		}
	}
}

// fanOutMadeLocked fans out an iopub message the output budget made or
// held back. f.mu is held.
func (f *fanout) fanOutMadeLocked(m *wire.Message) {
	typ := m.Type()
	p, _ := m.ParseParent()
	var stream *streamText
	if typ == "stream" {
		stream = parseStream(m)
	}
	f.fanOutLocked(m, typ, p.Session, stream)
}

// broadcastStatusLocked sends a server-made iopub status to every session,
// after the notices and tails of executions that went past the output
// budget (they will not see their idle status).
func (f *fanout) broadcastStatusLocked(state string) {
	for _, m := range f.budget.FlushAll() {
		f.fanOutMadeLocked(m)
	}
	for _, l := range f.links {
		msg, err := wire.NewMessage("status", l.session, f.o.Username,
			map[string]string{"execution_state": state}, nil)
		if err != nil {
			continue
		}
		if l.conn != nil {
			f.pushLocked(l, "iopub", msg, nil)
		} else {
			f.offline.add(l.session, "iopub", msg, f.log)
		}
	}
}

// offlineBuf keeps messages for detached sessions, oldest first, within
// max bytes per kernel.
type offlineBuf struct {
	max     int
	size    int
	items   []offlineItem
	dropped map[string]int
}

type offlineItem struct {
	session string
	item
	size int
}

func (b *offlineBuf) add(session, ch string, m *wire.Message, log *slog.Logger) {
	if b.max < 0 {
		return
	}
	n := msgSize(m)
	b.items = append(b.items, offlineItem{session, item{ch, m}, n})
	b.size += n
	for b.size > b.max && len(b.items) > 0 {
		old := b.items[0]
		b.items[0] = offlineItem{}
		b.items = b.items[1:]
		b.size -= old.size
		if b.dropped == nil {
			b.dropped = map[string]int{}
		}
		if b.dropped[old.session] == 0 {
			log.Warn("offline buffer full; dropping oldest messages", "session", old.session, "limit_bytes", b.max)
		}
		b.dropped[old.session]++
	}
}

// take removes and returns session's buffered messages.
func (b *offlineBuf) take(session string) []item {
	var out []item
	keep := b.items[:0]
	for _, it := range b.items {
		if it.session == session {
			out = append(out, it.item)
			b.size -= it.size
		} else {
			keep = append(keep, it)
		}
	}
	clear(b.items[len(keep):])
	b.items = keep
	delete(b.dropped, session)
	return out
}

func (b *offlineBuf) clear() {
	b.items, b.size, b.dropped = nil, 0, nil
}

// dropDead removes the "dead" statuses of a process that has since been
// replaced by a restart: replayed to a session that comes back after the
// restart, they would tell its client the new kernel is dead (Jupyter
// clients take "dead" as final). The output before the death stays.
func (b *offlineBuf) dropDead() {
	keep := b.items[:0]
	for _, it := range b.items {
		if it.channel == "iopub" && it.msg.Type() == "status" && statusOf(it.msg) == "dead" {
			b.size -= it.size
			continue
		}
		keep = append(keep, it)
	}
	clear(b.items[len(keep):])
	b.items = keep
}

// statusOf returns the execution_state of a status message.
func statusOf(m *wire.Message) string {
	var c struct {
		State string `json:"execution_state"`
	}
	_ = json.Unmarshal(m.Content, &c)
	return c.State
}
