package wsbridge_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

const (
	testHeader = `{"msg_id":"m1","msg_type":"execute_request","session":"s1","username":"u","date":"2024-01-01T00:00:00.000000Z","version":"5.4"}`
	testParent = `{"msg_id":"p0","msg_type":"kernel_info_request"}`
)

func testMessage(bufs ...string) *wire.Message {
	m := &wire.Message{
		Header:       json.RawMessage(testHeader),
		ParentHeader: json.RawMessage(testParent),
		Metadata:     json.RawMessage(`{}`),
		Content:      json.RawMessage(`{ "code" : "print(1)",  "silent":false }`), // spacing kept as is
	}
	for _, b := range bufs {
		m.Buffers = append(m.Buffers, []byte(b))
	}
	return m
}

var equateEmpty = cmpopts.EquateEmpty()

// v1Frame builds a v1 frame from raw parts, without any checks, for malformed cases.
func v1Frame(parts ...string) []byte {
	n := len(parts) + 1
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, uint64(n))
	off := 8 * (n + 1)
	for _, p := range parts {
		b = binary.LittleEndian.AppendUint64(b, uint64(off))
		off += len(p)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(off))
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// legacyBinaryFrame builds a legacy binary frame from raw parts without checks.
func legacyBinaryFrame(parts ...string) []byte {
	n := len(parts)
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	off := 4 * (n + 1)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(off))
		off += len(p)
	}
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func le64s(b []byte, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

// The spec's vector (§8.3): channel shell, no buffers: N=6, offsets 56, 61, 61+len(h), …
func TestEncodeV1Vector(t *testing.T) {
	m := testMessage()
	frame := wsbridge.EncodeV1("shell", m)

	h, p, md, c := len(m.Header), len(m.ParentHeader), len(m.Metadata), len(m.Content)
	total := 61 + h + p + md + c
	want := []uint64{6, 56, 61, uint64(61 + h), uint64(61 + h + p), uint64(61 + h + p + md), uint64(total)}
	if diff := cmp.Diff(want, le64s(frame, 7)); diff != "" {
		t.Errorf("count and offsets (-want +got):\n%s", diff)
	}
	if len(frame) != total {
		t.Errorf("frame length %d, want %d", len(frame), total)
	}
	if got := string(frame[56:61]); got != "shell" {
		t.Errorf("channel bytes %q, want shell", got)
	}
	if got := string(frame[61 : 61+h]); got != testHeader {
		t.Errorf("header bytes %q", got)
	}

	ch, got, err := wsbridge.DecodeV1(frame)
	if err != nil {
		t.Fatalf("DecodeV1: %v", err)
	}
	if ch != "shell" {
		t.Errorf("channel %q, want shell", ch)
	}
	if diff := cmp.Diff(m, got, equateEmpty); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

// The spec's vector (§8.3): legacy binary with one buffer: n=2, offsets 12, 12+len(json).
func TestEncodeLegacyBinaryVector(t *testing.T) {
	m := testMessage("\x00\x01binary\xff")
	frame, bin := wsbridge.EncodeLegacy("iopub", m)
	if !bin {
		t.Fatal("EncodeLegacy with a buffer: want a binary frame")
	}
	if n := binary.BigEndian.Uint32(frame); n != 2 {
		t.Fatalf("n = %d, want 2", n)
	}
	off0, off1 := binary.BigEndian.Uint32(frame[4:]), binary.BigEndian.Uint32(frame[8:])
	if off0 != 12 {
		t.Errorf("offset 0 = %d, want 12", off0)
	}
	js := frame[12:off1]
	if !json.Valid(js) {
		t.Fatalf("part 0 is not JSON: %q", js)
	}
	if got := string(frame[off1:]); got != "\x00\x01binary\xff" {
		t.Errorf("buffer %q", got)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(js, &obj); err != nil {
		t.Fatal(err)
	}
	if _, ok := obj["buffers"]; ok {
		t.Error("part 0 of a binary frame holds a buffers key")
	}
	for key, want := range map[string]string{
		"channel":       `"iopub"`,
		"msg_id":        `"m1"`,
		"msg_type":      `"execute_request"`,
		"header":        testHeader,
		"parent_header": testParent,
		"metadata":      `{}`,
		"content":       string(m.Content),
	} {
		if got := string(obj[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
}

func TestEncodeLegacyText(t *testing.T) {
	m := testMessage()
	m.ParentHeader = nil
	data, bin := wsbridge.EncodeLegacy("shell", m)
	if bin {
		t.Fatal("EncodeLegacy without buffers: want a text frame")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	for key, want := range map[string]string{
		"channel":       `"shell"`,
		"msg_id":        `"m1"`,
		"msg_type":      `"execute_request"`,
		"header":        testHeader,
		"parent_header": `{}`,
		"metadata":      `{}`,
		"content":       string(m.Content),
		"buffers":       `[]`,
	} {
		if got := string(obj[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, bufs := range [][]string{nil, {""}, {"a"}, {"one", "", "three\x00\xff"}} {
		for _, ch := range []string{"shell", "control", "stdin", "iopub"} {
			m := testMessage(bufs...)

			c1, m1, err := wsbridge.DecodeV1(wsbridge.EncodeV1(ch, m))
			if err != nil {
				t.Fatalf("v1 %s %q: %v", ch, bufs, err)
			}
			if c1 != ch {
				t.Errorf("v1 channel %q, want %q", c1, ch)
			}
			if diff := cmp.Diff(m, m1, equateEmpty); diff != "" {
				t.Errorf("v1 %s %q (-want +got):\n%s", ch, bufs, diff)
			}

			data, bin := wsbridge.EncodeLegacy(ch, m)
			if bin != (len(bufs) > 0) {
				t.Errorf("legacy %q: binary = %v", bufs, bin)
			}
			decode := wsbridge.DecodeLegacyText
			if bin {
				decode = wsbridge.DecodeLegacyBinary
			}
			c2, m2, err := decode(data)
			if err != nil {
				t.Fatalf("legacy %s %q: %v", ch, bufs, err)
			}
			if c2 != ch {
				t.Errorf("legacy channel %q, want %q", c2, ch)
			}
			if diff := cmp.Diff(m, m2, equateEmpty); diff != "" {
				t.Errorf("legacy %s %q (-want +got):\n%s", ch, bufs, diff)
			}
		}
	}
}

func TestDecodeV1Malformed(t *testing.T) {
	h := testHeader
	good := v1Frame("shell", h, "{}", "{}", "{}")
	patch := func(b []byte, at int, v uint64) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint64(b[at:], v)
		return b
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"short count", []byte{6, 0, 0}},
		{"count only", patch(make([]byte, 8), 0, 6)},
		{"five offsets", v1Frame("shell", h, "{}", "{}")},
		{"huge count", patch(good, 0, 1<<62)},
		{"count max", patch(good, 0, ^uint64(0))},
		{"count over buffer cap", patch(good, 0, 6+wsbridge.MaxBuffers+1)},
		{"table past end", patch(good, 0, 6+wsbridge.MaxBuffers)},
		{"one offset too many", patch(good, 0, 7)},
		{"first offset wrong", patch(good, 8, 57)},
		{"offsets decrease", patch(good, 24, 60)},
		{"offset past end", patch(good, 32, uint64(len(good)+1))},
		{"offset huge", patch(good, 32, 1<<63)},
		{"last offset short", patch(good, 48, uint64(len(good)-1))},
		{"trailing bytes", append(bytes.Clone(good), 'x')},
		{"unknown channel", v1Frame("hb", h, "{}", "{}", "{}")},
		{"empty channel", v1Frame("", h, "{}", "{}", "{}")},
		{"channel case", v1Frame("Shell", h, "{}", "{}", "{}")},
		{"empty header", v1Frame("shell", "", "{}", "{}", "{}")},
		{"header array", v1Frame("shell", "[]", "{}", "{}", "{}")},
		{"header invalid", v1Frame("shell", `{"a":}`, "{}", "{}", "{}")},
		{"header trailing", v1Frame("shell", `{}{}`, "{}", "{}", "{}")},
		{"parent null", v1Frame("shell", h, "null", "{}", "{}")},
		{"metadata empty", v1Frame("shell", h, "{}", "", "{}")},
		{"content string", v1Frame("shell", h, "{}", "{}", `"x"`)},
		{"content space first", v1Frame("shell", h, "{}", "{}", ` {}`)},
	} {
		if ch, m, err := wsbridge.DecodeV1(tc.frame); err == nil {
			t.Errorf("%s: DecodeV1 = %q, %+v, want an error", tc.name, ch, m)
		}
	}

	// An empty parent header is allowed and becomes {}.
	_, m, err := wsbridge.DecodeV1(v1Frame("stdin", h, "", "{}", "{}"))
	if err != nil {
		t.Fatalf("empty parent: %v", err)
	}
	if string(m.ParentHeader) != "{}" {
		t.Errorf("empty parent decoded as %q, want {}", m.ParentHeader)
	}
	// Buffers may be empty, and the parts may not grow into each other.
	_, m, err = wsbridge.DecodeV1(v1Frame("shell", h, "{}", "{}", "{}", "", "ab"))
	if err != nil {
		t.Fatalf("two buffers: %v", err)
	}
	if len(m.Buffers) != 2 || len(m.Buffers[0]) != 0 || string(m.Buffers[1]) != "ab" {
		t.Fatalf("buffers %q", m.Buffers)
	}
	if cap(m.Buffers[0]) != 0 || cap(m.Content) != len(m.Content) {
		t.Error("decoded parts have spare capacity over the next part")
	}
}

func TestDecodeLegacyText(t *testing.T) {
	for _, tc := range []struct {
		name, data, channel, parent string
	}{
		{"full", `{"channel":"control","header":` + testHeader + `,"parent_header":{},"metadata":{},"content":{},"buffers":[]}`, "control", "{}"},
		{"no channel", `{"header":` + testHeader + `,"parent_header":` + testParent + `,"metadata":{},"content":{}}`, "shell", testParent},
		{"null parent", `{"channel":"stdin","header":` + testHeader + `,"parent_header":null,"metadata":{},"content":{}}`, "stdin", "{}"},
		{"missing parts", ` {"header":` + testHeader + `} `, "shell", "{}"},
		{"null channel", `{"channel":null,"header":{}}`, "shell", "{}"},
		{"escaped channel", `{"channel":"sh\u0065ll","header":{}}`, "shell", "{}"},
	} {
		ch, m, err := wsbridge.DecodeLegacyText([]byte(tc.data))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if ch != tc.channel || string(m.ParentHeader) != tc.parent {
			t.Errorf("%s: channel %q parent %s, want %q %s", tc.name, ch, m.ParentHeader, tc.channel, tc.parent)
		}
		if len(m.Metadata) == 0 || len(m.Content) == 0 || len(m.Header) == 0 {
			t.Errorf("%s: empty part in %+v", tc.name, m)
		}
	}

	for _, tc := range []struct{ name, data string }{
		{"empty", ``},
		{"null", `null`},
		{"array", `[]`},
		{"string", `"shell"`},
		{"invalid", `{"header":{}`},
		{"no header", `{"channel":"shell","content":{}}`},
		{"null header", `{"header":null}`},
		{"header array", `{"header":[]}`},
		{"content number", `{"header":{},"content":1}`},
		{"metadata string", `{"header":{},"metadata":"x"}`},
		{"unknown channel", `{"channel":"hb","header":{}}`},
		{"channel number", `{"channel":1,"header":{}}`},
		{"channel wrong case key", `{"Channel":"hb","Header":{}}`},
	} {
		if ch, m, err := wsbridge.DecodeLegacyText([]byte(tc.data)); err == nil {
			t.Errorf("%s: DecodeLegacyText = %q, %+v, want an error", tc.name, ch, m)
		}
	}
}

func TestDecodeLegacyBinaryMalformed(t *testing.T) {
	js := `{"channel":"shell","header":{},"parent_header":{},"metadata":{},"content":{}}`
	good := legacyBinaryFrame(js, "buf")
	patch := func(b []byte, at int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint32(b[at:], v)
		return b
	}
	if _, m, err := wsbridge.DecodeLegacyBinary(good); err != nil || len(m.Buffers) != 1 || string(m.Buffers[0]) != "buf" {
		t.Fatalf("good frame: %v, %+v", err, m)
	}
	if _, m, err := wsbridge.DecodeLegacyBinary(legacyBinaryFrame(js)); err != nil || len(m.Buffers) != 0 {
		t.Fatalf("frame without buffers: %v, %+v", err, m)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"short", []byte{0, 0, 2}},
		{"zero parts", patch(good, 0, 0)},
		{"huge count", patch(good, 0, 0xffffffff)},
		{"count over buffer cap", patch(good, 0, wsbridge.MaxBuffers+2)},
		{"table past end", patch(good, 0, uint32(len(good)/4))},
		{"first offset wrong", patch(good, 4, 16)},
		{"offsets decrease", patch(good, 8, 11)},
		{"offset past end", patch(good, 8, uint32(len(good)+1))},
		{"json invalid", legacyBinaryFrame(`{"header":`, "buf")},
		{"json array", legacyBinaryFrame(`[]`, "buf")},
		{"unknown channel", legacyBinaryFrame(`{"channel":"x","header":{}}`, "buf")},
	} {
		if ch, m, err := wsbridge.DecodeLegacyBinary(tc.frame); err == nil {
			t.Errorf("%s: DecodeLegacyBinary = %q, %+v, want an error", tc.name, ch, m)
		}
	}
}

// A frame that claims a vast count or offsets must not make the decoder allocate
// in proportion to the claim.
func TestDecodeHugeClaimsAllocateLittle(t *testing.T) {
	v1 := make([]byte, 64)
	binary.LittleEndian.PutUint64(v1, 1<<40)
	lb := make([]byte, 64)
	binary.BigEndian.PutUint32(lb, 1<<31)
	off := make([]byte, 64)
	binary.LittleEndian.PutUint64(off, 6)
	binary.LittleEndian.PutUint64(off[8:], 56)
	binary.LittleEndian.PutUint64(off[16:], 1<<62)

	for name, tc := range map[string]struct {
		frame  []byte
		decode func([]byte) (string, *wire.Message, error)
	}{
		"v1 count":      {v1, wsbridge.DecodeV1},
		"v1 offset":     {off, wsbridge.DecodeV1},
		"legacy count":  {lb, wsbridge.DecodeLegacyBinary},
		"legacy offset": {legacyBinaryFrame("{}", strings.Repeat("x", 3))[:8], wsbridge.DecodeLegacyBinary},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 10 {
			if _, _, err := tc.decode(tc.frame); err == nil {
				t.Fatalf("%s: decoded", name)
			}
		}
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
			t.Errorf("%s: 10 decodes allocated %d bytes", name, d)
		}
	}
}
