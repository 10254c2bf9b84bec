// Package audit writes Quire's audit log: who did what, one JSON object a
// line, each line chained to the one before it by SHA-256 so that an edited,
// removed or truncated line shows (Verify).
//
// A record is
//
//	{"time":"2026-12-07T03:45:12.123456Z","event":"file.save",
//	 "schema":"https://events.jupyter.org/jupyter_server/contents_service/v1",
//	 "user":"alice","client":"192.0.2.7","request_id":"9f2c41d07a3b5e86",
//	 "outcome":"ok", ...the event's own fields, in key order...,
//	 "prev":"<hex SHA-256 of the previous line>"}
//
// "schema" is there only where a Jupyter Events schema describes the same
// thing; the event's fields then use that schema's names. prev is the hash
// of the previous line's bytes without its newline; the first line of a new
// file names the last line written to the file before it (the one rotated
// away), and is "" only when no earlier line is known (a new log).
//
// Writes are synchronous: Record returns once the line is written (write(2),
// no fsync) or has failed, so a security event is in the file before the
// response that follows it is sent. A failed write (a full disk) is counted
// (WriteErrors) and logged, never returned: the audit log never stops the
// server or a user's work.
//
// Every method of a nil *Log does nothing, so callers hold a *Log that is
// nil when --audit-log is off.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Outcomes of an event.
const (
	OK     = "ok"
	Denied = "denied"
	Error  = "error"
)

// Jupyter Events schema ids whose field names Quire's file and kernel
// events use.
const (
	SchemaContents = "https://events.jupyter.org/jupyter_server/contents_service/v1"
	SchemaKernel   = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
)

// ExecuteMode says what is recorded of each execute_request.
type ExecuteMode int

const (
	ExecuteOff  ExecuteMode = iota // nothing
	ExecuteHash                    // kernel, cell id, SHA-256 of the code
	ExecuteFull                    // and the code itself
)

// ParseExecuteMode reads --audit-execute: off, hash or full.
func ParseExecuteMode(s string) (ExecuteMode, error) {
	switch s {
	case "", "off":
		return ExecuteOff, nil
	case "hash":
		return ExecuteHash, nil
	case "full":
		return ExecuteFull, nil
	}
	return ExecuteOff, fmt.Errorf("%q: use off, hash or full", s)
}

// F is an event's own fields. Keys must not be one of the record's common
// keys (time, event, schema, user, client, request_id, outcome, prev);
// Record drops any that are.
type F map[string]any

// Event is one thing that happened.
type Event struct {
	Name    string // Quire's event name, e.g. "login.failure"
	Schema  string // a Jupyter Events schema id, or ""
	Outcome string // OK when ""
	// User overrides the user the request carries (a login names the
	// user it signed in); "" keeps it.
	User   string
	Fields F
}

var reserved = map[string]bool{
	"time": true, "event": true, "schema": true, "user": true, "client": true,
	"request_id": true, "outcome": true, "prev": true,
}

// Options configure a Log.
type Options struct {
	// Path is the file, or "-" for Stdout.
	Path   string
	Stdout io.Writer
	// Execute is what to record of execute_request messages.
	Execute ExecuteMode
	// RefusalsPerMinute caps the refusal records (Refused) one client
	// causes each minute; the rest are counted and the count is reported
	// in the client's next refusal record ("suppressed"). 0: 10.
	RefusalsPerMinute int
	Log               *slog.Logger
	Now               func() time.Time // time.Now when nil
}

// Log is an open audit log.
type Log struct {
	o       Options
	log     *slog.Logger
	refusal *limiter

	mu       sync.Mutex
	w        io.Writer
	f        *os.File // nil for "-"
	size     int64    // f's size after the last record written
	prev     [sha256.Size]byte
	havePrev bool
	partial  bool // the last write failed midway: start the next on a new line
	lost     uint64

	writeErrors atomic.Uint64
	records     atomic.Uint64
	lastWarn    atomic.Int64 // unix seconds of the last logged write error
}

// Open opens (creating it 0600 if need be) the audit log for appending and
// picks up the hash chain from its last line.
func Open(o Options) (*Log, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.RefusalsPerMinute <= 0 {
		o.RefusalsPerMinute = 10
	}
	l := &Log{o: o, log: o.Log, refusal: newLimiter(o.RefusalsPerMinute, 4096)}
	if o.Path == "-" {
		l.w = o.Stdout
		if l.w == nil {
			l.w = os.Stdout
		}
		return l, nil
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// open opens o.Path; with l.mu held or before l is shared.
func (l *Log) open() error {
	f, err := os.OpenFile(l.o.Path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	// An existing file keeps its owner but never stays readable by others.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", l.o.Path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", l.o.Path, err)
	}
	defer unlockFile(f)
	if err := l.relink(f); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", l.o.Path, err)
	}
	if l.f != nil {
		l.f.Close()
	}
	l.f, l.w = f, f
	return nil
}

// relink takes the chain up from the last line of f, as another writer
// (quire trust, a second server) may have left it.
func (l *Log) relink(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	last, complete, err := lastLine(f, st.Size())
	if err != nil {
		return err
	}
	l.havePrev = last != nil
	if last != nil {
		l.prev = sha256.Sum256(last)
	}
	l.partial = !complete
	l.size = st.Size()
	return nil
}

// Reopen closes the file and opens Path again (SIGHUP, after logrotate has
// moved it away): the chain carries on into the new file. With "-" it does
// nothing.
func (l *Log) Reopen() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, have := l.prev, l.havePrev
	if err := l.open(); err != nil {
		return err // l still writes to the old file
	}
	if !l.havePrev {
		// A new file (the old one was rotated away): its first line
		// names the last line of the old one.
		l.prev, l.havePrev = prev, have
	}
	return nil
}

// Close closes the file.
func (l *Log) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.f.Close()
	l.f, l.w = nil, io.Discard
	return err
}

// WriteErrors is how many records could not be written (metrics read it).
func (l *Log) WriteErrors() uint64 {
	if l == nil {
		return 0
	}
	return l.writeErrors.Load()
}

// Records is how many records were written.
func (l *Log) Records() uint64 {
	if l == nil {
		return 0
	}
	return l.records.Load()
}

// Execute is what to record of execute_request messages (ExecuteOff for a
// nil Log).
func (l *Log) Execute() ExecuteMode {
	if l == nil {
		return ExecuteOff
	}
	return l.o.Execute
}

// Record writes ev, with the request's user, client and id from ctx
// (WithRequest).
func (l *Log) Record(ctx context.Context, ev Event) {
	if l == nil {
		return
	}
	l.write(l.encode(ctx, ev))
}

// Refused records a request refused by a security check (reason: "host",
// "origin", "xsrf", "auth", ...), at most RefusalsPerMinute a minute for
// each client.
func (l *Log) Refused(ctx context.Context, reason string, fields F) {
	if l == nil {
		return
	}
	client := ""
	if r := FromContext(ctx); r != nil {
		client = r.Client
	}
	ok, suppressed := l.refusal.allow(client, l.o.Now())
	if !ok {
		return
	}
	f := F{"reason": reason}
	for k, v := range fields {
		f[k] = v
	}
	if suppressed > 0 {
		f["suppressed"] = suppressed
	}
	l.Record(ctx, Event{Name: "request.refused", Outcome: Denied, Fields: f})
}

// encode renders ev as a record without its prev link and closing brace.
func (l *Log) encode(ctx context.Context, ev Event) []byte {
	var b bytes.Buffer
	b.Grow(256)
	b.WriteString(`{"time":`)
	b.WriteString(`"` + l.o.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00") + `"`)
	field(&b, "event", ev.Name)
	if ev.Schema != "" {
		field(&b, "schema", ev.Schema)
	}
	var user, client, id string
	if r := FromContext(ctx); r != nil {
		user, client, id = r.User(), r.Client, r.ID
	}
	if ev.User != "" {
		user = ev.User
	}
	field(&b, "user", user)
	field(&b, "client", client)
	field(&b, "request_id", id)
	field(&b, "outcome", cmpOr(ev.Outcome, OK))
	keys := make([]string, 0, len(ev.Fields))
	for k := range ev.Fields {
		if !reserved[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		field(&b, k, ev.Fields[k])
	}
	return b.Bytes()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// field appends ,"k":v.
func field(b *bytes.Buffer, k string, v any) {
	b.WriteByte(',')
	kj, _ := json.Marshal(k)
	b.Write(kj)
	b.WriteByte(':')
	var vj []byte
	var err error
	switch x := v.(type) {
	case string:
		vj, err = json.Marshal(x)
	case error:
		vj, err = json.Marshal(x.Error())
	default:
		vj, err = json.Marshal(x)
	}
	if err != nil {
		vj, _ = json.Marshal(fmt.Sprint(v))
	}
	b.Write(vj)
}

// write links body to the chain and writes it.
func (l *Log) write(body []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return
	}
	if l.lost > 0 {
		// Records lost to write errors since the last one written.
		body = fmt.Appendf(body, `,"lost":%d`, l.lost)
	}
	if l.f != nil {
		// Another process may append too (quire trust, a second server
		// on the same log): records go in whole, one writer at a time,
		// each linked to the line really before it.
		if err := lockFile(l.f); err == nil {
			defer unlockFile(l.f)
		}
		if st, err := l.f.Stat(); err == nil && st.Size() != l.size {
			if err := l.relink(l.f); err != nil {
				l.log.Warn("audit log: could not read the last record another writer left", "err", err)
			}
		}
	}
	prev := ""
	if l.havePrev {
		prev = hex.EncodeToString(l.prev[:])
	}
	line := append(body, `,"prev":"`...)
	line = append(line, prev...)
	line = append(line, `"}`...)
	out := line
	if l.partial {
		out = append([]byte{'\n'}, line...)
	}
	out = append(out, '\n')
	n, err := l.w.Write(out)
	l.size += int64(n)
	if err != nil {
		l.partial = n > 0
		l.lost++
		l.failed(err)
		return
	}
	l.partial, l.lost = false, 0
	l.prev, l.havePrev = sha256.Sum256(line), true
	l.records.Add(1)
}

// failed counts a write error and logs it, at most once a minute.
func (l *Log) failed(err error) {
	l.writeErrors.Add(1)
	now := l.o.Now().Unix()
	last := l.lastWarn.Load()
	if now-last >= 60 && l.lastWarn.CompareAndSwap(last, now) {
		l.log.Error("could not write the audit log; records are being lost (counted in the metrics)",
			"path", l.o.Path, "err", err, "errors", l.writeErrors.Load())
	}
}

// lastLine returns the last complete line of f, size bytes long (nil if
// none), and whether f ends with a newline (or is empty).
func lastLine(f *os.File, size int64) (line []byte, complete bool, err error) {
	if size == 0 {
		return nil, true, nil
	}
	const maxLine = 16 << 20
	n := min(size, maxLine)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	complete = buf[len(buf)-1] == '\n'
	if !complete {
		// A torn last line (a crash or full disk midway): the chain goes
		// on from the last complete line; Verify flags the torn one.
		i := bytes.LastIndexByte(buf, '\n')
		if i < 0 {
			return nil, false, nil
		}
		buf = buf[:i+1]
	}
	buf = buf[:len(buf)-1]
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	} else if n < size {
		return nil, complete, fmt.Errorf("last line longer than %d bytes", maxLine)
	}
	return buf, complete, nil
}
