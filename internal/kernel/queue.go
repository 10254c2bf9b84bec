package kernel

import (
	"bytes"
	"encoding/json"
	"sync"

	"quire/internal/kernel/wire"
)

// maxCoalesce bounds the text of one merged stream message: consecutive
// stream messages are merged only while the result stays within it, so a
// backlog never turns into one giant WebSocket frame.
const maxCoalesce = 1 << 20

// streamText is the parsed content of an iopub stream message that may be
// merged with its neighbours: content is exactly {"name": ..., "text": ...}.
type streamText struct {
	name string
	text []byte // the JSON string literal of text, quotes included
}

// parseStream returns the mergeable parts of a stream message, or nil if
// its content has any other shape (then it is never merged). It runs on
// every stream message, so it scans instead of decoding: a reflective
// json.Unmarshal of 1 MiB of text was 40 % of the server's CPU while a
// kernel streamed output (pprof, bench kernel-iopub). text is a slice of
// m.Content, which is never modified.
func parseStream(m *wire.Message) *streamText {
	b := m.Content
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	var name, text []byte
	for k := range 2 {
		key, j, ok := stringLiteral(b, skipSpace(b, i+1))
		if !ok {
			return nil
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		val, j, ok := stringLiteral(b, skipSpace(b, i+1))
		if !ok {
			return nil
		}
		switch {
		case string(key) == `"name"` && name == nil:
			name = val
		case string(key) == `"text"` && text == nil:
			text = val
		default:
			return nil
		}
		i = skipSpace(b, j)
		if i >= len(b) || (k == 0 && b[i] != ',') || (k == 1 && b[i] != '}') {
			return nil
		}
	}
	if skipSpace(b, i+1) != len(b) {
		return nil
	}
	var n string
	if json.Unmarshal(name, &n) != nil {
		return nil
	}
	return &streamText{name: n, text: text}
}

// skipSpace returns the index of the first non-JSON-whitespace byte of b
// at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringLiteral returns the JSON string literal starting at b[i] (quotes
// included) and the index after it. It finds the closing quote with
// IndexByte (an escaped quote has an odd run of backslashes before it) and
// refuses raw control characters, which JSON does not allow in strings.
func stringLiteral(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	p := i + 1
	for {
		j := bytes.IndexByte(b[p:], '"')
		if j < 0 {
			return nil, 0, false
		}
		q := p + j
		n := 0
		for q-1-n > i && b[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			lit := b[i : q+1]
			if hasControl(lit) {
				return nil, 0, false
			}
			return lit, q + 1, true
		}
		p = q + 1
	}
}

// hasControl reports a byte below 0x20 in b.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// qitem is one queued message. A stream message may carry the texts of the
// stream messages merged into it (more), delivered as one message with the
// first one's header.
type qitem struct {
	item
	st      *streamText
	more    [][]byte // further JSON string literals, quotes included
	textLen int      // total literal bytes of st.text and more
	bytes   int      // msgSize of every message in it
}

// message returns the message to deliver, building the merged content if
// other messages were merged into it. Joining JSON string literals needs no
// decoding: drop the inner quotes.
func (q *qitem) message() *wire.Message {
	if len(q.more) == 0 {
		return q.msg
	}
	name, _ := json.Marshal(q.st.name)
	var b bytes.Buffer
	b.Grow(q.textLen + len(name) + 20)
	b.WriteString(`{"name":`)
	b.Write(name)
	b.WriteString(`,"text":`)
	b.Write(q.st.text[:len(q.st.text)-1])
	for _, t := range q.more {
		b.Write(t[1 : len(t)-1])
	}
	b.WriteString(`"}`)
	m := *q.msg
	m.Content = b.Bytes()
	return &m
}

// connQueue is a Conn's bounded queue. It counts kernel messages (a merged
// stream message counts each message merged into it) and their bytes; push
// refuses a message that would pass either cap, unless the queue is empty.
type connQueue struct {
	// mu guards the fields below but avail. Rule: innermost lock: it may
	// be taken while holding fanout.mu (the fan-out pushes under it), and
	// nothing else is taken, and nothing blocks, while it is held.
	mu       sync.Mutex
	items    []qitem
	msgs     int // kernel messages queued, merged ones included
	bytes    int
	maxMsgs  int // <= 0: no limit
	maxBytes int // <= 0: no limit
	avail    chan struct{}
}

func newConnQueue(maxMsgs, maxBytes int) *connQueue {
	return &connQueue{maxMsgs: maxMsgs, maxBytes: maxBytes, avail: make(chan struct{}, 1)}
}

// push queues it (st is its parseStream result for a stream message, else
// nil). It merges it into the last queued message when both are iopub
// streams of the same name and parent and the merged text stays within
// maxCoalesce. force skips the caps. It reports false, queueing nothing, if
// the queue is full.
func (q *connQueue) push(it item, st *streamText, force bool) bool {
	size := msgSize(it.msg)
	q.mu.Lock()
	defer q.mu.Unlock()
	if !force && len(q.items) > 0 &&
		(q.maxMsgs > 0 && q.msgs+1 > q.maxMsgs || q.maxBytes > 0 && q.bytes+size > q.maxBytes) {
		return false
	}
	q.msgs++
	q.bytes += size
	if st != nil && it.channel == "iopub" && len(q.items) > 0 {
		last := &q.items[len(q.items)-1]
		if last.st != nil && last.channel == "iopub" && last.st.name == st.name &&
			last.textLen+len(st.text) <= maxCoalesce &&
			bytes.Equal(last.msg.ParentHeader, it.msg.ParentHeader) {
			last.more = append(last.more, st.text)
			last.textLen += len(st.text)
			last.bytes += size
			return true
		}
	}
	qi := qitem{item: it, st: st, bytes: size}
	if st != nil {
		qi.textLen = len(st.text)
	}
	q.items = append(q.items, qi)
	select {
	case q.avail <- struct{}{}:
	default:
	}
	return true
}

// pop removes the oldest message; ok is false if the queue is empty.
func (q *connQueue) pop() (it qitem, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return qitem{}, false
	}
	it = q.items[0]
	q.items[0] = qitem{}
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = nil // let the backing array go
		q.msgs, q.bytes = 0, 0
	} else {
		q.msgs -= 1 + len(it.more)
		q.bytes -= it.bytes
		select { // more for a concurrent receiver
		case q.avail <- struct{}{}:
		default:
		}
	}
	return it, true
}

// usage returns the queued message count and bytes.
func (q *connQueue) usage() (msgs, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.msgs, q.bytes
}

// drop empties the queue, releasing its memory.
func (q *connQueue) drop() {
	q.mu.Lock()
	q.items, q.msgs, q.bytes = nil, 0, 0
	q.mu.Unlock()
}
