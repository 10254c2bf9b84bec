package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitObject(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{``, nil, ""},
		{` null `, nil, ""},
		{`{}`, map[string]string{}, ""},
		{`{"type":"file","content":"a\"b","n":-1.5e3,"t":true,"x":null}`, map[string]string{"type": `"file"`, "content": `"a\"b"`, "n": `-1.5e3`, "t": `true`, "x": `null`}, ""},
		{`{"content": {"cells": [1, [2, {"a": []}]], "s": "\u00e9"} }`, map[string]string{"content": `{"cells": [1, [2, {"a": []}]], "s": "\u00e9"}`}, ""},
		{`{"a":1,"a":2}`, map[string]string{"a": "2"}, ""},
		{`{"\u0061":1}`, map[string]string{"a": "1"}, ""},
		{`[]`, nil, "must be a JSON object"},
		{`"x"`, nil, "must be a JSON object"},
		{`{"a":1`, nil, "expected ','"},
		{`{"a":1,}`, nil, "expected a string key"},
		{`{"a" 1}`, nil, "expected ':'"},
		{`{"a":tru}`, nil, "invalid literal"},
		{`{"a":01}`, nil, "invalid number"},
		{`{"a":"x`, nil, "unterminated string"},
		{"{\"a\":\"\x01\"}", nil, "control character"},
		{"{\"a\":\"\xff\"}", nil, "UTF-8"},
		{`{"a":"\x"}`, nil, "invalid escape"},
		{`{"a":"\u12"}`, nil, "invalid escape"},
		{`{"a":[1,2}`, nil, "expected ','"},
		{`{"a":1} x`, nil, "trailing data"},
		{`{"a":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, nil, "nesting"},
	} {
		got, err := splitObject([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("splitObject(%.40q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("splitObject(%.40q): %v", tc.in, err)
			continue
		}
		if (got == nil) != (tc.want == nil) || len(got) != len(tc.want) {
			t.Errorf("splitObject(%.40q) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if string(got[k]) != v {
				t.Errorf("splitObject(%.40q)[%q] = %s, want %s", tc.in, k, got[k], v)
			}
		}
	}
}

// FuzzSplitObject: whatever splitObject accepts is a valid JSON object (or
// empty/null), and its members are exactly what encoding/json finds.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"type":"notebook","content":{"cells":[]}}`, `{"a":[1,{"b":"c\n"}],"d":-0.5e-3}`, `null`, `{"a":1,"a":2}`, `[1]`, `{"a":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := splitObject(data)
		var want map[string]json.RawMessage
		stdErr := json.Unmarshal(data, &want)
		if len(bytes.TrimSpace(data)) == 0 {
			stdErr = nil
		}
		if err != nil {
			// Invalid UTF-8 is refused on purpose (encoding/json would
			// silently replace it and corrupt the saved file).
			if stdErr == nil && want != nil && utf8.Valid(data) {
				t.Fatalf("splitObject refused %q that encoding/json accepts: %v", data, err)
			}
			return
		}
		if stdErr != nil {
			t.Fatalf("splitObject accepted %q that encoding/json refuses: %v", data, stdErr)
		}
		if len(got) != len(want) {
			t.Fatalf("members %v, want %v", got, want)
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("member %q = %s, want %s", k, got[k], v)
			}
		}
	})
}

func TestSpecialIn(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c < 0x20 || c == '"' || c == '\\'
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			var w uint64
			for i := 7; i >= 0; i-- {
				w = w<<8 | uint64(b[i])
			}
			if got := specialIn(w); got != want {
				t.Fatalf("specialIn with byte %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}
