package trust

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"quire/internal/bigbuf"
	"quire/internal/nbformat"
)

// DefaultOutputEntries is how many output digests an Outputs keeps when
// its size is not given: about 5 MiB at most (see Outputs).
const DefaultOutputEntries = 65536

// Outputs remembers, by digest, the rich outputs a save may sign: what
// this server's kernels produced (RecordOutput) and what was in notebooks
// the notary found trusted or the user trusted explicitly (Remember). A
// save signs a notebook only if every rich output in it is Known (spec
// §6.5 as Quire refines it), so trust flags a client sends prove nothing.
//
// An output is identified by its mimebundle ("data") and "metadata", the
// two things that decide how it renders; its output_type (an
// update_display_data turns a display_data's bundle into its own) and
// execution_count do not matter. The digest is SHA-256 over an unambiguous
// encoding (every value tagged with its type and length) in which object
// keys are sorted, a mimebundle's multiline strings are joined as nbformat
// joins them, and numbers are compared as float64 values (a browser
// rewrites 1.0 as 1): the same output read from a kernel message and from
// a notebook a client saved hashes alike.
//
// It is bounded: it keeps at most n digests (NewOutputs), 32 bytes each
// and about 80 with the map's overhead, in two generations; when the
// newer one fills half the bound, the older one is dropped, so the least
// recently used outputs are forgotten first. A forgotten output makes a
// save unsigned, never the reverse. Methods are safe for concurrent use.
type Outputs struct {
	bufs     *bigbuf.Cache // RecordOutput's decoding arenas
	mu       sync.Mutex
	half     int
	cur, old map[Digest]struct{}
}

// Digest identifies one output (see Outputs).
type Digest [sha256.Size]byte

// NewOutputs returns an empty store keeping at most n digests; n <= 0
// means DefaultOutputEntries. RecordOutput decodes large messages into
// buffers of bufs (nil: fresh ones). Each server builds its own.
func NewOutputs(n int, bufs *bigbuf.Cache) *Outputs {
	if n <= 0 {
		n = DefaultOutputEntries
	}
	return &Outputs{bufs: bufs, half: max(n/2, 1), cur: map[Digest]struct{}{}}
}

// Len is how many digests the store holds.
func (o *Outputs) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.cur) + len(o.old)
}

// Remember records the output with this mimebundle and metadata (values
// as nbformat decodes them).
func (o *Outputs) Remember(data, metadata any) {
	o.add(OutputDigest(data, metadata))
}

// Known reports whether the output with this mimebundle and metadata was
// recorded (and refreshes it).
func (o *Outputs) Known(data, metadata any) bool {
	d := OutputDigest(data, metadata)
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.cur[d]; ok {
		return true
	}
	if _, ok := o.old[d]; ok {
		o.addLocked(d)
		return true
	}
	return false
}

func (o *Outputs) add(d Digest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.addLocked(d)
}

func (o *Outputs) addLocked(d Digest) {
	if _, ok := o.cur[d]; ok {
		return
	}
	if len(o.cur) >= o.half {
		o.old, o.cur = o.cur, make(map[Digest]struct{}, o.half)
	}
	o.cur[d] = struct{}{}
}

// RecordOutput records the rich output in a kernel message's content:
// display_data, execute_result and update_display_data (its data and
// metadata), and the "page" payloads of an execute_reply (shown by
// clients as display_data with empty metadata, as JupyterLab and Quire's
// page do). Other types and unreadable content are ignored. The content
// is decoded as notebooks are (nbformat.DecodeValue), into a reused
// buffer: nothing of it is kept but digests.
func (o *Outputs) RecordOutput(msgType string, content []byte) {
	switch msgType {
	case "display_data", "execute_result", "update_display_data", "execute_reply":
	default:
		return
	}
	if msgType == "execute_reply" && !bytes.Contains(content, []byte(`"page"`)) {
		return // the usual reply: no payload worth decoding
	}
	arena := o.bufs.Get(len(content))
	defer o.bufs.Put(arena)
	v, err := nbformat.DecodeValue(content, arena)
	c, _ := v.(map[string]any)
	if err != nil || c == nil {
		return
	}
	if msgType != "execute_reply" {
		o.Remember(c["data"], c["metadata"])
		return
	}
	payload, _ := c["payload"].([]any)
	for _, p := range payload {
		if p, _ := p.(map[string]any); p != nil && p["source"] == "page" && p["data"] != nil {
			o.Remember(p["data"], nil)
		}
	}
}

// OutputDigest is the digest of an output with this mimebundle and
// metadata (see Outputs). A nil bundle or metadata counts as an empty
// object, as clients write a missing one.
func OutputDigest(data, metadata any) Digest {
	h := &canon{h: sha256.New()}
	h.raw("quire-output-1")
	if data == nil {
		data = map[string]any{}
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	if m, ok := data.(map[string]any); ok {
		h.bundle(m)
	} else {
		h.value(data)
	}
	h.value(metadata)
	var d Digest
	h.h.Sum(d[:0])
	return d
}

// canon writes JSON values into a hash in the canonical encoding: a type
// tag, then for strings and numbers their length and bytes, for arrays and
// objects their length and members (objects by sorted key).
type canon struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64 + 1]byte
}

func (c *canon) head(tag byte, n int) {
	c.buf[0] = tag
	k := binary.PutUvarint(c.buf[1:], uint64(n))
	c.h.Write(c.buf[:1+k])
}

// raw writes s's bytes without copying them (hash writers keep nothing).
func (c *canon) raw(s string) {
	if s != "" {
		c.h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
	}
}

func (c *canon) str(s string) {
	c.head('s', len(s))
	c.raw(s)
}

func (c *canon) number(lexeme string) {
	s := lexeme
	if f, err := strconv.ParseFloat(lexeme, 64); err == nil {
		if f == 0 {
			f = 0 // -0 and 0 alike, as a browser writes both as 0
		}
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	c.head('n', len(s))
	c.raw(s)
}

// sortedKeys appends m's keys to buf, sorted (buf on the caller's stack
// spares an allocation for the usual small objects).
func sortedKeys(buf []string, m map[string]any) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// bundle writes a mimebundle: a list of strings under a non-JSON mime type
// is the multiline form of one string and is written as that string.
func (c *canon) bundle(m map[string]any) {
	c.head('o', len(m))
	var buf [8]string
	for _, k := range sortedKeys(buf[:0], m) {
		c.str(k)
		v := m[k]
		if a, ok := v.([]any); ok && !isJSONMime(k) && allStrings(a) {
			n := 0
			for _, x := range a {
				n += len(x.(string))
			}
			c.head('s', n)
			for _, x := range a {
				c.raw(x.(string))
			}
			continue
		}
		c.value(v)
	}
}

func allStrings(a []any) bool {
	for _, x := range a {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return true
}

// isJSONMime is nbformat's rule for mime types whose value is JSON, not
// (multiline) text.
func isJSONMime(k string) bool {
	return k == "application/json" || strings.HasPrefix(k, "application/") && strings.HasSuffix(k, "+json")
}

func (c *canon) value(v any) {
	switch v := v.(type) {
	case nil:
		c.head('z', 0)
	case bool:
		if v {
			c.head('t', 0)
		} else {
			c.head('f', 0)
		}
	case string:
		c.str(v)
	case nbformat.Number:
		c.number(string(v))
	case json.Number:
		c.number(string(v))
	case float64:
		c.number(strconv.FormatFloat(v, 'g', -1, 64))
	case []any:
		c.head('a', len(v))
		for _, x := range v {
			c.value(x)
		}
	case map[string]any:
		c.head('o', len(v))
		var buf [8]string
		for _, k := range sortedKeys(buf[:0], v) {
			c.str(k)
			c.value(v[k])
		}
	default:
		// Not a JSON value from either decoder: never equal to one.
		c.head('?', 0)
	}
}
