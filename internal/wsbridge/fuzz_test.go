package wsbridge_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

// reDecode encodes a decoded message again, in the framing EncodeLegacy picks, and
// decodes it.
func reDecodeLegacy(ch string, m *wire.Message) (string, *wire.Message, error) {
	data, bin := wsbridge.EncodeLegacy(ch, m)
	if bin {
		return wsbridge.DecodeLegacyBinary(data)
	}
	return wsbridge.DecodeLegacyText(data)
}

func FuzzDecodeV1(f *testing.F) {
	f.Add(wsbridge.EncodeV1("shell", testMessage()))
	f.Add(wsbridge.EncodeV1("iopub", testMessage("a", "", "bc")))
	f.Add(v1Frame("stdin", "{}", "", "{}", "{}"))
	f.Add(v1Frame("control", "{}", "{}", "{}", "{}", ""))
	f.Add([]byte{6, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, frame []byte) {
		ch, m, err := wsbridge.DecodeV1(frame)
		if err != nil {
			return
		}
		again := wsbridge.EncodeV1(ch, m)
		ch2, m2, err := wsbridge.DecodeV1(again)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if ch2 != ch {
			t.Fatalf("channel %q became %q", ch, ch2)
		}
		if diff := cmp.Diff(m, m2, equateEmpty); diff != "" {
			t.Fatalf("message changed (-first +second):\n%s", diff)
		}
		// Only an empty parent header is rewritten, so otherwise the bytes are identical.
		if len(again) != len(frame) && len(again) != len(frame)+2 {
			t.Fatalf("re-encoded frame is %d bytes, was %d", len(again), len(frame))
		}
	})
}

func FuzzDecodeLegacyBinary(f *testing.F) {
	f.Add(legacyBinaryFrame(`{"channel":"shell","header":{},"parent_header":{},"metadata":{},"content":{}}`, "buf"))
	data, _ := wsbridge.EncodeLegacy("iopub", testMessage("a", "", "bc"))
	f.Add(data)
	f.Add(legacyBinaryFrame(`{"header":{"msg_id":"x"}}`))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 8})
	f.Fuzz(func(t *testing.T, frame []byte) {
		ch, m, err := wsbridge.DecodeLegacyBinary(frame)
		if err != nil {
			return
		}
		ch2, m2, err := reDecodeLegacy(ch, m)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if ch2 != ch {
			t.Fatalf("channel %q became %q", ch, ch2)
		}
		if diff := cmp.Diff(m, m2, equateEmpty); diff != "" {
			t.Fatalf("message changed (-first +second):\n%s", diff)
		}
	})
}

func FuzzDecodeLegacyText(f *testing.F) {
	data, _ := wsbridge.EncodeLegacy("shell", testMessage())
	f.Add(data)
	f.Add([]byte(`{"header":{},"parent_header":null}`))
	f.Add([]byte(`{"channel":"hb","header":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ch, m, err := wsbridge.DecodeLegacyText(data)
		if err != nil {
			return
		}
		ch2, m2, err := reDecodeLegacy(ch, m)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if ch2 != ch {
			t.Fatalf("channel %q became %q", ch, ch2)
		}
		if diff := cmp.Diff(m, m2, equateEmpty); diff != "" {
			t.Fatalf("message changed (-first +second):\n%s", diff)
		}
	})
}
