// Package outputbudget applies Quire's per-cell output budget to a
// kernel's iopub stream (--output-budget, --output-tail): past the budget,
// an execution's bulky output is held back to its last bytes and delivered
// at its idle status after one notice saying how much was omitted.
package outputbudget

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"quire/internal/bytesize"
	"quire/internal/kernel/wire"
)

// maxCells bounds how many executions' output a Budget tracks at
// once. A cell is forgotten at its idle status; beyond the cap the least
// recently active one is finished early (its notice and tail delivered).
const maxCells = 16

// Budget applies the per-cell output budget to one kernel's iopub stream,
// so every client and the offline buffer see the same thing.
// Output of one execution (messages sharing a parent msg_id) passes
// unchanged until its size passes max. After that its bulky output (stream,
// display_data, execute_result, update_display_data) is held back: only the
// last tail bytes are kept, and they are delivered at the execution's idle
// status after one stderr notice saying how much was omitted. Other message
// types (status, execute_input, error, clear_output, comm_*, ...) always
// pass. It is not safe for concurrent use.
type Budget struct {
	max    int64 // bytes per cell; negative = unlimited
	tail   int   // bytes of output kept once past max
	notice func(parent json.RawMessage, text string) (*wire.Message, error)
	// OnOmit, if set, is told what an execution past its budget had
	// dropped (bytes, messages) when its notice is made (for metrics).
	OnOmit func(bytes int64, messages int)

	cells map[string]*cellOutput // by parent msg_id
	clock uint64
}

// cellOutput is the bookkeeping for one execution.
type cellOutput struct {
	parent  json.RawMessage // the request's header, parent of the notice
	used    int64           // bytes of counted output so far
	over    bool            // past the budget: bulky output goes to ring
	touched uint64

	ring      []tailEntry // the newest held-back output, within tail bytes
	ringBytes int
	omitBytes int64 // held-back output dropped from the ring
	omitMsgs  int
}

// tailEntry is held-back output: one message, or consecutive stream
// messages of one name merged into text.
type tailEntry struct {
	msg    *wire.Message // the (first) message
	size   int           // bytes counted against the tail
	name   string        // stream name; "" for other messages
	text   []byte        // decoded stream text, trimmed at the front
	start  int           // offset of text[0] in the entry's full text
	ends   []int         // end offset of each merged message's text
	edited bool          // merged or trimmed: content must be rebuilt
}

// New returns a budget of limit bytes per execution (negative: unlimited)
// keeping the last tail bytes of what it holds back; notice builds the
// stderr stream message that reports an omission, as a child of the
// request whose header is parent.
func New(limit int64, tail int, notice func(parent json.RawMessage, text string) (*wire.Message, error)) *Budget {
	return &Budget{max: limit, tail: max(tail, 0), notice: notice, cells: map[string]*cellOutput{}}
}

// outputSize is what a message counts against the budget: its raw content
// and buffers.
func outputSize(m *wire.Message) int {
	n := len(m.Content)
	for _, b := range m.Buffers {
		n += len(b)
	}
	return n
}

// Filter takes the next iopub message (type typ, parent msg_id parentID;
// idle if it is a status "idle") and returns what to deliver in its place,
// in order: nothing, the message itself, or held-back output followed by it.
func (b *Budget) Filter(m *wire.Message, typ, parentID string, idle bool) []*wire.Message {
	if b.max < 0 || parentID == "" {
		return []*wire.Message{m}
	}
	var bulky bool
	switch typ {
	case "status":
		c := b.cells[parentID]
		if !idle || c == nil {
			return []*wire.Message{m}
		}
		delete(b.cells, parentID)
		return append(b.finish(c), m)
	case "clear_output":
		if c := b.cells[parentID]; c != nil {
			// What is held back would be cleared anyway.
			for len(c.ring) > 0 {
				c.dropFirst()
			}
		}
		return []*wire.Message{m}
	case "stream", "display_data", "execute_result", "update_display_data":
		bulky = true
	case "error":
	default:
		return []*wire.Message{m}
	}
	var out []*wire.Message
	c := b.cells[parentID]
	if c == nil {
		if len(b.cells) >= maxCells {
			out = b.evictOldest()
		}
		c = &cellOutput{parent: m.ParentHeader}
		b.cells[parentID] = c
	}
	b.clock++
	c.touched = b.clock
	n := int64(outputSize(m))
	c.used += n
	if !bulky || !c.over && c.used <= b.max {
		return append(out, m)
	}
	c.over = true
	b.hold(c, m, typ)
	return out
}

// FlushAll finishes every tracked cell (the kernel died or restarts) and
// returns their notices and tails.
func (b *Budget) FlushAll() []*wire.Message {
	var out []*wire.Message
	for len(b.cells) > 0 {
		out = append(out, b.evictOldest()...)
	}
	return out
}

func (b *Budget) evictOldest() []*wire.Message {
	var oldID string
	var old *cellOutput
	for id, c := range b.cells {
		if old == nil || c.touched < old.touched {
			oldID, old = id, c
		}
	}
	delete(b.cells, oldID)
	return b.finish(old)
}

// hold keeps m in c's ring, dropping the oldest held-back output beyond
// the tail size.
func (b *Budget) hold(c *cellOutput, m *wire.Message, typ string) {
	e := tailEntry{msg: m, size: outputSize(m)}
	if typ == "stream" {
		var sc struct {
			Name string `json:"name"`
			Text string `json:"text"`
		}
		if json.Unmarshal(m.Content, &sc) == nil && sc.Name != "" {
			e.name, e.text, e.size = sc.Name, []byte(sc.Text), len(sc.Text)
			e.ends = []int{len(sc.Text)}
		}
	}
	if n := len(c.ring); e.name != "" && n > 0 && c.ring[n-1].name == e.name {
		last := &c.ring[n-1]
		last.text = append(last.text, e.text...)
		last.ends = append(last.ends, last.start+len(last.text))
		last.size += e.size
		last.edited = true
	} else {
		c.ring = append(c.ring, e)
	}
	c.ringBytes += e.size
	for c.ringBytes > b.tail && len(c.ring) > 0 {
		first := &c.ring[0]
		excess := c.ringBytes - b.tail
		if first.name == "" || len(first.text) <= excess {
			c.dropFirst()
			continue
		}
		cut := excess
		for cut < len(first.text) && !utf8.RuneStart(first.text[cut]) {
			cut++
		}
		first.text = first.text[cut:]
		first.start += cut
		first.size -= cut
		first.edited = true
		c.ringBytes -= cut
		c.omitBytes += int64(cut)
		for len(first.ends) > 0 && first.ends[0] <= first.start {
			first.ends = first.ends[1:]
			c.omitMsgs++
		}
	}
	if len(c.ring) == 0 {
		c.ring = nil
	}
}

// dropFirst omits the oldest held-back entry.
func (c *cellOutput) dropFirst() {
	e := c.ring[0]
	c.ring[0] = tailEntry{}
	c.ring = c.ring[1:]
	c.ringBytes -= e.size
	c.omitBytes += int64(e.size)
	if e.name != "" {
		c.omitMsgs += len(e.ends)
	} else {
		c.omitMsgs++
	}
}

// finish returns c's notice and tail if it went past the budget.
func (b *Budget) finish(c *cellOutput) []*wire.Message {
	if !c.over {
		return nil
	}
	if b.OnOmit != nil {
		b.OnOmit(c.omitBytes, c.omitMsgs)
	}
	text := fmt.Sprintf("[Quire: output limit of %s for this cell reached; %s (%s messages) omitted",
		bytesize.Format(b.max), bytesize.Format(c.omitBytes), formatCount(c.omitMsgs))
	if c.ringBytes > 0 {
		text += "; the last " + bytesize.Format(int64(c.ringBytes)) + " follows"
	}
	text += ". Raise it with --output-budget.]\n"
	var out []*wire.Message
	if n, err := b.notice(c.parent, text); err == nil {
		out = append(out, n)
	}
	for _, e := range c.ring {
		if !e.edited {
			out = append(out, e.msg)
			continue
		}
		content, err := json.Marshal(map[string]string{"name": e.name, "text": string(e.text)})
		if err != nil {
			continue
		}
		m := *e.msg
		m.Content = content
		out = append(out, &m)
	}
	c.ring = nil
	return out
}

// formatCount renders n with thousands separators: 345,678.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
