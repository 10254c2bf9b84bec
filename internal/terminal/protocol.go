package terminal

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"quire/internal/jsonstr"
)

// MaxSize is the largest number of rows or columns a client may ask for
// in set_size. A larger size is a bad message (ignored), not a resize:
// a pty sized 10⁹×10⁹ makes full-screen programs allocate without end.
const MaxSize = 1000

// Kind is the type of a client message.
type Kind int

// The client messages of terminado's protocol.
const (
	Stdin   Kind = iota + 1 // ["stdin", text]
	SetSize                 // ["set_size", rows, cols, ...]
)

// Message is one decoded client message.
type Message struct {
	Kind Kind
	// Text is what a Stdin message types.
	Text string
	// Rows and Cols are a SetSize message's size, each in 1..MaxSize.
	Rows, Cols int
}

// ParseMessage decodes one client message of terminado's JSON protocol: a
// JSON array whose first element names the message. Only "stdin" and
// "set_size" are understood (JupyterLab's set_size carries the size in
// pixels after rows and columns; extra elements are ignored). Anything
// else, invalid UTF-8 included (JSON would quietly turn it into U+FFFD),
// is an error that says why; the caller drops the message.
func ParseMessage(data []byte) (Message, error) {
	if text, ok := stdinFast(data); ok {
		return Message{Kind: Stdin, Text: text}, nil
	}
	return parseJSON(data)
}

// stdinFast decodes the usual shape of a keystroke, ["stdin","text"] as
// JSON.stringify writes it with printable ASCII text and nothing escaped,
// without the JSON decoder; ok is false for anything else, which parseJSON
// then decodes. FuzzStdinFast checks that both agree.
func stdinFast(data []byte) (text string, ok bool) {
	const prefix, suffix = `["stdin","`, `"]`
	if len(data) < len(prefix)+len(suffix) || string(data[:len(prefix)]) != prefix || string(data[len(data)-len(suffix):]) != suffix {
		return "", false
	}
	body := data[len(prefix) : len(data)-len(suffix)]
	for _, c := range body {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(body), true
}

// parseJSON is ParseMessage for any message.
func parseJSON(data []byte) (Message, error) {
	if !utf8.Valid(data) {
		return Message{}, errors.New("message is not valid UTF-8")
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return Message{}, errors.New("message is not a JSON array")
	}
	if len(parts) == 0 {
		return Message{}, errors.New("message is an empty array")
	}
	var typ string
	if err := json.Unmarshal(parts[0], &typ); err != nil {
		return Message{}, errors.New("message type is not a string")
	}
	switch typ {
	case "stdin":
		if len(parts) < 2 {
			return Message{}, errors.New("stdin message without text")
		}
		var text string
		if err := json.Unmarshal(parts[1], &text); err != nil {
			return Message{}, errors.New("stdin text is not a string")
		}
		return Message{Kind: Stdin, Text: text}, nil
	case "set_size":
		if len(parts) < 3 {
			return Message{}, errors.New("set_size message without rows and columns")
		}
		rows, err := dimension(parts[1])
		if err != nil {
			return Message{}, fmt.Errorf("set_size rows: %w", err)
		}
		cols, err := dimension(parts[2])
		if err != nil {
			return Message{}, fmt.Errorf("set_size columns: %w", err)
		}
		return Message{Kind: SetSize, Rows: rows, Cols: cols}, nil
	}
	if len(typ) > 32 {
		typ = typ[:32] + "…"
	}
	return Message{}, fmt.Errorf("unknown message type %q", typ)
}

// dimension reads a row or column count: a whole number in 1..MaxSize
// (JSON numbers such as 24.0 count, as in Python).
func dimension(raw json.RawMessage) (int, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, errors.New("not a number")
	}
	if f != float64(int(f)) || f < 1 || f > MaxSize {
		return 0, fmt.Errorf("want a whole number from 1 to %d", MaxSize)
	}
	return int(f), nil
}

// encode returns the JSON of a server message: ["stdout", text],
// ["setup", {}] or ["disconnect", 1]. Bytes of out that are not UTF-8
// become U+FFFD, the only way JSON can carry them; a character split across
// reads never reaches here split (see splitIncomplete).
//
// It writes exactly what json.Marshal([]any{"stdout", string(out)}) does
// (HTML characters and U+2028/U+2029 escaped too; FuzzEncodeStdout
// compares the two) without reflection, the interface boxing or the copy
// into a string: one allocation, and plain ASCII, most of a terminal's
// output, is copied in runs.
func encodeStdout(out []byte) []byte {
	const prefix, suffix = `["stdout",`, `]`
	// Room for a \r\n's escapes every 8 bytes without growing.
	b := make([]byte, 0, len(prefix)+len(out)+len(out)/4+len(suffix)+8)
	b = append(b, prefix...)
	b = jsonstr.Append(b, out, jsonstr.HTMLSafe)
	return append(b, suffix...)
}

var (
	setupMessage      = []byte(`["setup",{}]`)
	disconnectMessage = []byte(`["disconnect",1]`)
)

// splitIncomplete splits b before a trailing, incomplete UTF-8 sequence
// (the start of a character whose other bytes the next read brings). Bytes
// that can never become a character are left in head.
func splitIncomplete(b []byte) (head, tail []byte) {
	// A character is at most 4 bytes: look at the last 3 for its start.
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if !utf8.RuneStart(b[i]) {
			continue
		}
		if !utf8.FullRune(b[i:]) {
			return b[:i], b[i:]
		}
		break
	}
	return b, nil
}
