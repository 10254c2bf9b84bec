package kernel

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"quire/internal/kernel/wire"
)

// referenceParseStream is what parseStream must agree with on valid JSON:
// a full decode of the content, refusing duplicate keys as the scanner does.
func referenceParseStream(content []byte) *streamText {
	var c map[string]json.RawMessage
	if json.Unmarshal(content, &c) != nil || len(c) != 2 || members(content) != 2 {
		return nil
	}
	var name string
	if json.Unmarshal(c["name"], &name) != nil {
		return nil
	}
	t := c["text"]
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return nil
	}
	return &streamText{name: name, text: t}
}

// members counts the members of a JSON object, duplicates included.
func members(content []byte) int {
	d := json.NewDecoder(bytes.NewReader(content))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return -1
	}
	n := 0
	for d.More() {
		if _, err := d.Token(); err != nil {
			return -1
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return -1
		}
		n++
	}
	return n
}

func TestParseStream(t *testing.T) {
	cases := []struct {
		content   string
		name, lit string // lit "" = not mergeable
	}{
		{`{"name":"stdout","text":"hi\n"}`, "stdout", `"hi\n"`},
		{` { "text" : "a" , "name" : "stderr" } `, "stderr", `"a"`},
		{`{"name":"stdout","text":"quote \" inside"}`, "stdout", `"quote \" inside"`},
		{`{"name":"stdout","text":"backslash at end \\"}`, "stdout", `"backslash at end \\"`},
		{`{"name":"stdout","text":"\\\" mixed \\\\"}`, "stdout", `"\\\" mixed \\\\"`},
		{`{"name":"st\u0064out","text":"x"}`, "stdout", `"x"`},
		{`{"name":"stdout","text":""}`, "stdout", `""`},
		{`{"name":"stdout"}`, "", ""},
		{`{"name":"stdout","text":"a","extra":1}`, "", ""},
		{`{"name":"stdout","text":"a","text":"b"}`, "", ""},
		{`{"name":"stdout","name":"x"}`, "", ""},
		{`{"name":1,"text":"a"}`, "", ""},
		{`{"name":"stdout","text":["a"]}`, "", ""},
		{`{"name":"stdout","text":"a"} x`, "", ""},
		{`{"name":"stdout","text":"unterminated}`, "", ""},
		{"{\"name\":\"stdout\",\"text\":\"raw\ncontrol\"}", "", ""},
		{`["name","text"]`, "", ""},
		{``, "", ""},
	}
	for _, c := range cases {
		got := parseStream(&wire.Message{Content: []byte(c.content)})
		switch {
		case c.lit == "" && got != nil:
			t.Errorf("%s: merged as %+v, want not mergeable", c.content, got)
		case c.lit != "" && (got == nil || got.name != c.name || string(got.text) != c.lit):
			t.Errorf("%s: got %+v, want name %q text %s", c.content, got, c.name, c.lit)
		}
		if json.Valid([]byte(c.content)) {
			ref := referenceParseStream([]byte(c.content))
			if (ref == nil) != (got == nil) || ref != nil && (ref.name != got.name || string(ref.text) != string(got.text)) {
				t.Errorf("%s: %+v, the full decode says %+v", c.content, got, ref)
			}
		}
	}
}

// FuzzParseStream: on valid JSON the scanner agrees with a full decode;
// on anything it never panics, and what it accepts is a string literal.
func FuzzParseStream(f *testing.F) {
	for _, s := range []string{
		`{"name":"stdout","text":"hi\n"}`, `{"text":"\\\"","name":"stderr"}`, `{"name":"x","text":"\u00e9"}`,
		`{"name":"stdout","text":"a","x":1}`, `{"name":"stdout","text":"` + strings.Repeat(`\\`, 7) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		got := parseStream(&wire.Message{Content: content})
		if got != nil && !json.Valid(got.text) {
			// Only possible when the whole content is not JSON either.
			if json.Valid(content) {
				t.Fatalf("%q: accepted %q, not a JSON string", content, got.text)
			}
		}
		if !json.Valid(content) {
			return
		}
		ref := referenceParseStream(content)
		if (ref == nil) != (got == nil) || ref != nil && (ref.name != got.name || string(ref.text) != string(got.text)) {
			t.Fatalf("%q: scanner %+v, full decode %+v", content, got, ref)
		}
	})
}

func BenchmarkParseStream1MiB(b *testing.B) {
	text, _ := json.Marshal(strings.Repeat("x", 1<<20-1) + "\n")
	m := &wire.Message{Content: []byte(`{"name":"stdout","text":` + string(text) + `}`)}
	b.SetBytes(int64(len(m.Content)))
	for b.Loop() {
		if parseStream(m) == nil {
			b.Fatal("not parsed")
		}
	}
}
