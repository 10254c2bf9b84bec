package terminal

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzEncodeStdout: the hand-written encoder writes what json.Marshal does,
// byte for byte, for any output, valid UTF-8 or not.
func FuzzEncodeStdout(f *testing.F) {
	for _, s := range []string{
		"", "a", "hello\r\n", "\x00\x01\x1f\x7f", `"\<>&`, "\b\f\t", "é€😀", "\xc3", "\xc3(", "\xed\xa0\x80",
		"\u2028\u2029", "\xff\xfe", "a\x1b[31mred\x1b[0m\r\n", "\xf0\x9f\x98",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		want, err := json.Marshal([]any{"stdout", string(out)})
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeStdout(out); !bytes.Equal(got, want) {
			t.Fatalf("encodeStdout(%q) = %s, json.Marshal: %s", out, got, want)
		}
	})
}

// BenchmarkEncodeStdout: one pty read's worth of `seq` output.
func BenchmarkEncodeStdout(b *testing.B) {
	var out []byte
	for i := 1234567; len(out) < ttyRead; i++ {
		out = strconv.AppendInt(out, int64(i), 10)
		out = append(out, "\r\n"...)
	}
	out = out[:ttyRead]
	b.SetBytes(int64(len(out)))
	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			encodeStdout(out)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal([]any{"stdout", string(out)})
		}
	})
}
