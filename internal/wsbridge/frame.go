package wsbridge

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"quire/internal/kernel/wire"
)

// Subprotocol is the v1 kernel WebSocket subprotocol. Every v1 frame is binary.
const Subprotocol = "v1.kernel.websocket.jupyter.org"

// MaxBuffers caps the number of binary buffers a client frame may carry, in either
// framing, so a frame cannot make the decoder allocate in proportion to a count it
// claims.
const MaxBuffers = 1024

// The channels a kernel WebSocket message may name.
const (
	Shell   = "shell"
	Control = "control"
	Stdin   = "stdin"
	IOPub   = "iopub"
)

// validChannel reports whether ch is one of the four message channels.
func validChannel(ch string) bool {
	switch ch {
	case Shell, Control, Stdin, IOPub:
		return true
	}
	return false
}

var emptyObject = json.RawMessage("{}")

// orEmpty returns p, or {} when p is empty.
func orEmpty(p json.RawMessage) json.RawMessage {
	if len(p) == 0 {
		return emptyObject
	}
	return p
}

// checkObject reports an error unless p is a JSON object.
func checkObject(name string, p []byte) error {
	if len(p) == 0 || p[0] != '{' || !json.Valid(p) {
		return fmt.Errorf("%s is not a JSON object", name)
	}
	return nil
}

// DecodeV1 parses one v1 frame (§3.3): little-endian uint64 count N, N offsets, then
// channel, header, parent header, metadata, content and N-6 buffers. Every count and
// offset is checked against the frame before use. An empty parent header becomes {}.
// The message's parts and buffers share memory with frame.
func DecodeV1(frame []byte) (channel string, m *wire.Message, err error) {
	if len(frame) < 8 {
		return "", nil, errors.New("v1 frame: shorter than its offset count")
	}
	n := binary.LittleEndian.Uint64(frame)
	if n < 6 || n-6 > MaxBuffers {
		return "", nil, fmt.Errorf("v1 frame: %d offsets, want 6 to %d", n, 6+MaxBuffers)
	}
	// n is now small, so 8*(n+1) cannot overflow.
	table := 8 * (int(n) + 1)
	if table > len(frame) {
		return "", nil, errors.New("v1 frame: offset table runs past the frame")
	}
	offs := make([]int, n)
	prev := uint64(table)
	for i := range offs {
		o := binary.LittleEndian.Uint64(frame[8*(i+1):])
		switch {
		case i == 0 && o != uint64(table):
			return "", nil, fmt.Errorf("v1 frame: first offset %d, want %d", o, table)
		case o < prev:
			return "", nil, fmt.Errorf("v1 frame: offset %d decreases", i)
		case o > uint64(len(frame)):
			return "", nil, fmt.Errorf("v1 frame: offset %d past the frame end", i)
		}
		offs[i] = int(o)
		prev = o
	}
	if offs[n-1] != len(frame) {
		return "", nil, errors.New("v1 frame: last offset is not the frame length")
	}
	part := func(i int) []byte { return frame[offs[i]:offs[i+1]:offs[i+1]] }

	channel = string(part(0))
	if !validChannel(channel) {
		return "", nil, fmt.Errorf("v1 frame: unknown channel %.32q", channel)
	}
	m = &wire.Message{
		Header:       part(1),
		ParentHeader: part(2),
		Metadata:     part(3),
		Content:      part(4),
	}
	if len(m.ParentHeader) == 0 {
		m.ParentHeader = emptyObject
	}
	for _, p := range []struct {
		name string
		b    []byte
	}{{"header", m.Header}, {"parent header", m.ParentHeader}, {"metadata", m.Metadata}, {"content", m.Content}} {
		if err := checkObject(p.name, p.b); err != nil {
			return "", nil, fmt.Errorf("v1 frame: %w", err)
		}
	}
	if k := int(n) - 6; k > 0 {
		m.Buffers = make([][]byte, k)
		for i := range m.Buffers {
			m.Buffers[i] = part(5 + i)
		}
	}
	return channel, m, nil
}

// EncodeV1 builds the v1 frame for m on channel. Empty parts are sent as {}; identities
// are not part of the frame.
func EncodeV1(channel string, m *wire.Message) []byte {
	parts := make([][]byte, 0, 5+len(m.Buffers))
	parts = append(parts, []byte(channel), orEmpty(m.Header), orEmpty(m.ParentHeader), orEmpty(m.Metadata), orEmpty(m.Content))
	parts = append(parts, m.Buffers...)

	n := len(parts) + 1
	size := 8 * (n + 1)
	for _, p := range parts {
		size += len(p)
	}
	out := make([]byte, 8*(n+1), size)
	binary.LittleEndian.PutUint64(out, uint64(n))
	off := 8 * (n + 1)
	for i, p := range parts {
		binary.LittleEndian.PutUint64(out[8*(i+1):], uint64(off))
		off += len(p)
	}
	binary.LittleEndian.PutUint64(out[8*n:], uint64(off))
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// DecodeLegacyText parses a legacy text frame (§3.2): one JSON object with channel,
// header, parent_header, metadata and content. A missing or null channel means shell;
// a missing or null parent_header, metadata or content becomes {}. Other keys, buffers
// included, are ignored. Parts keep their bytes exactly.
func DecodeLegacyText(data []byte) (channel string, m *wire.Message, err error) {
	channel, m, err = decodeLegacyJSON(data)
	if err != nil {
		return "", nil, fmt.Errorf("legacy frame: %w", err)
	}
	return channel, m, nil
}

// DecodeLegacyBinary parses a legacy binary frame (§3.2): big-endian uint32 part count
// n, n offsets, the JSON message without buffers, then n-1 buffers. The buffers share
// memory with data.
func DecodeLegacyBinary(data []byte) (channel string, m *wire.Message, err error) {
	if len(data) < 4 {
		return "", nil, errors.New("legacy binary frame: shorter than its part count")
	}
	n := binary.BigEndian.Uint32(data)
	if n < 1 || n-1 > MaxBuffers {
		return "", nil, fmt.Errorf("legacy binary frame: %d parts, want 1 to %d", n, 1+MaxBuffers)
	}
	table := 4 * (int(n) + 1)
	if table > len(data) {
		return "", nil, errors.New("legacy binary frame: offset table runs past the frame")
	}
	offs := make([]int, n+1)
	prev := uint32(table)
	for i := range int(n) {
		o := binary.BigEndian.Uint32(data[4*(i+1):])
		switch {
		case i == 0 && o != uint32(table):
			return "", nil, fmt.Errorf("legacy binary frame: first offset %d, want %d", o, table)
		case o < prev:
			return "", nil, fmt.Errorf("legacy binary frame: offset %d decreases", i)
		case uint64(o) > uint64(len(data)):
			return "", nil, fmt.Errorf("legacy binary frame: offset %d past the frame end", i)
		}
		offs[i] = int(o)
		prev = o
	}
	offs[n] = len(data)

	channel, m, err = decodeLegacyJSON(data[offs[0]:offs[1]])
	if err != nil {
		return "", nil, fmt.Errorf("legacy binary frame: %w", err)
	}
	if n > 1 {
		m.Buffers = make([][]byte, n-1)
		for i := range m.Buffers {
			m.Buffers[i] = data[offs[i+1]:offs[i+2]:offs[i+2]]
		}
	}
	return channel, m, nil
}

// decodeLegacyJSON parses the JSON object of a legacy message. Keys match exactly,
// unlike encoding/json's struct decoding.
func decodeLegacyJSON(data []byte) (string, *wire.Message, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return "", nil, errors.New("message is not a JSON object")
	}
	channel := Shell
	if raw, ok := obj["channel"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &channel); err != nil {
			return "", nil, errors.New("channel is not a string")
		}
		if !validChannel(channel) {
			return "", nil, fmt.Errorf("unknown channel %.32q", channel)
		}
	}
	part := func(key string, required bool) (json.RawMessage, error) {
		p, ok := obj[key]
		if !ok || string(p) == "null" {
			if required {
				return nil, fmt.Errorf("%s is missing", key)
			}
			return emptyObject, nil
		}
		if len(p) == 0 || p[0] != '{' {
			return nil, fmt.Errorf("%s is not a JSON object", key)
		}
		return p, nil
	}
	m := &wire.Message{}
	var err error
	if m.Header, err = part("header", true); err != nil {
		return "", nil, err
	}
	if m.ParentHeader, err = part("parent_header", false); err != nil {
		return "", nil, err
	}
	if m.Metadata, err = part("metadata", false); err != nil {
		return "", nil, err
	}
	if m.Content, err = part("content", false); err != nil {
		return "", nil, err
	}
	return channel, m, nil
}

// EncodeLegacy builds the legacy frame for m on channel: a JSON object with channel,
// header, parent_header, metadata, content and buffers [], plus top-level msg_id and
// msg_type copied from the header when it parses. The four parts are copied byte for
// byte (empty ones as {}), so they must hold JSON. With buffers the frame is binary
// (binary is true): big-endian uint32 part count and offsets, the JSON without the
// buffers key, then the buffers. Offsets are 32-bit, so the caller keeps binary frames under 4 GiB.
func EncodeLegacy(channel string, m *wire.Message) (data []byte, binary bool) {
	js := legacyJSON(channel, m, len(m.Buffers) == 0)
	if len(m.Buffers) == 0 {
		return js, false
	}
	n := 1 + len(m.Buffers)
	size := 4*(n+1) + len(js)
	for _, b := range m.Buffers {
		size += len(b)
	}
	out := make([]byte, 4*(n+1), size)
	putBE32(out, uint32(n))
	off := 4 * (n + 1)
	putBE32(out[4:], uint32(off))
	off += len(js)
	for i, b := range m.Buffers {
		putBE32(out[4*(i+2):], uint32(off))
		off += len(b)
	}
	out = append(out, js...)
	for _, b := range m.Buffers {
		out = append(out, b...)
	}
	return out, true
}

// putBE32 exists because EncodeLegacy's result named binary hides the package.
func putBE32(b []byte, v uint32) { binary.BigEndian.PutUint32(b, v) }

// legacyJSON writes the JSON object of a legacy message; the raw parts are not
// re-encoded.
func legacyJSON(channel string, m *wire.Message, withBuffers bool) []byte {
	var b bytes.Buffer
	b.Grow(128 + len(channel) + len(m.Header) + len(m.ParentHeader) + len(m.Metadata) + len(m.Content))
	str := func(s string) {
		q, _ := json.Marshal(s) // a string always marshals
		b.Write(q)
	}
	b.WriteString(`{"channel":`)
	str(channel)
	if h, err := m.ParseHeader(); err == nil {
		b.WriteString(`,"msg_id":`)
		str(h.MsgID)
		b.WriteString(`,"msg_type":`)
		str(h.MsgType)
	}
	b.WriteString(`,"header":`)
	b.Write(orEmpty(m.Header))
	b.WriteString(`,"parent_header":`)
	b.Write(orEmpty(m.ParentHeader))
	b.WriteString(`,"metadata":`)
	b.Write(orEmpty(m.Metadata))
	b.WriteString(`,"content":`)
	b.Write(orEmpty(m.Content))
	if withBuffers {
		b.WriteString(`,"buffers":[]`)
	}
	b.WriteByte('}')
	return b.Bytes()
}
