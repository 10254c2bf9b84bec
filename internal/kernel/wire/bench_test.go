package wire_test

import (
	"strings"
	"testing"

	"quire/internal/kernel/wire"
)

// benchMessage is an execute_request as a client sends it, with content
// of the given size of source code.
func benchMessage(b *testing.B, codeBytes int) *wire.Message {
	b.Helper()
	m, err := wire.NewMessage("execute_request", "a7f3c2d1-session", "user", map[string]any{
		"code": strings.Repeat("x", codeBytes), "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": true, "stop_on_error": true,
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// The hot path of every kernel message: sign on the way to the kernel,
// verify and split on the way back.
func BenchmarkSignerEncode(b *testing.B) {
	for _, size := range []int{16, 1 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			s, _ := wire.NewSigner("hmac-sha256", []byte("0123456789abcdef0123456789abcdef"))
			m := benchMessage(b, size)
			b.SetBytes(int64(len(m.Content)))
			b.ReportAllocs()
			for b.Loop() {
				s.Encode(m)
			}
		})
	}
}

func BenchmarkSignerDecode(b *testing.B) {
	for _, size := range []int{16, 1 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			s, _ := wire.NewSigner("hmac-sha256", []byte("0123456789abcdef0123456789abcdef"))
			frames := s.Encode(benchMessage(b, size))
			b.SetBytes(int64(len(frames[len(frames)-1])))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Decode(frames); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return "1MiB"
	}
	return "small"
}
