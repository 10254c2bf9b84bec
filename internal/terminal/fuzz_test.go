package terminal_test

import (
	"testing"
	"unicode/utf8"

	"quire/internal/terminal"
)

// FuzzParseMessage: whatever a client sends, the parser either refuses it
// or returns a stdin message of valid UTF-8 or a size within bounds.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		`["stdin", "ls\r"]`, `["set_size", 24, 80, 480, 640]`, `["set_size", 1e9, 1e9]`,
		`["bogus"]`, `[]`, `{}`, `null`, "[\"stdin\", \"\xc3\"]", `["stdin", "\ud800"]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := terminal.ParseMessage(data)
		if err != nil {
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8 %q as %+v", data, m)
		}
		switch m.Kind {
		case terminal.Stdin:
			if !utf8.ValidString(m.Text) || m.Rows != 0 || m.Cols != 0 {
				t.Fatalf("stdin message %+v from %q", m, data)
			}
		case terminal.SetSize:
			if m.Rows < 1 || m.Rows > terminal.MaxSize || m.Cols < 1 || m.Cols > terminal.MaxSize {
				t.Fatalf("size out of bounds %+v from %q", m, data)
			}
		default:
			t.Fatalf("unknown kind %+v from %q", m, data)
		}
	})
}
