package wsbridge_test

import (
	"strings"
	"testing"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

// streamMessage is an iopub stream message with text bytes of output.
func streamMessage(b *testing.B, text int) *wire.Message {
	b.Helper()
	m, err := wire.NewMessage("stream", "a7f3c2d1-session", "user",
		map[string]any{"name": "stdout", "text": strings.Repeat("x", text)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// The WebSocket side of every kernel message: v1 frames (JupyterLab 4,
// @jupyterlab/services) and the legacy JSON text frames.
func BenchmarkFrames(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"small", 16}, {"1MiB", 1 << 20}} {
		m := streamMessage(b, size.n)
		v1 := wsbridge.EncodeV1("iopub", m)
		legacy, _ := wsbridge.EncodeLegacy("iopub", m)
		b.Run("EncodeV1/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(v1)))
			b.ReportAllocs()
			for b.Loop() {
				wsbridge.EncodeV1("iopub", m)
			}
		})
		b.Run("DecodeV1/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(v1)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := wsbridge.DecodeV1(v1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("EncodeLegacy/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(legacy)))
			b.ReportAllocs()
			for b.Loop() {
				wsbridge.EncodeLegacy("iopub", m)
			}
		})
		b.Run("DecodeLegacyText/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(legacy)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := wsbridge.DecodeLegacyText(legacy); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
