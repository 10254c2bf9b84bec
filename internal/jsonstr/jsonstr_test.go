package jsonstr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var seeds = []string{
	"", "a", "hello\r\n", "\x00\x01\x1f\x7f", `"\<>&`, "\b\f\t", "é€😀", "\xc3", "\xc3(", "\xed\xa0\x80",
	"\u2028\u2029", "\xff\xfe", "a\x1b[31mred\x1b[0m\r\n", "\xf0\x9f\x98", "x/y z.ipynb",
}

// FuzzAppend: HTMLSafe writes exactly what json.Marshal does; Plain writes
// a JSON string that decodes to the same text (invalid UTF-8 as U+FFFD)
// and differs from HTMLSafe only where HTMLSafe escapes more. Both agree
// for string and []byte input.
func FuzzAppend(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		html := Append(nil, s, HTMLSafe)
		if !bytes.Equal(html, want) {
			t.Fatalf("Append(%q, HTMLSafe) = %s, json.Marshal: %s", s, html, want)
		}
		if b := Append(nil, []byte(s), HTMLSafe); !bytes.Equal(b, html) {
			t.Fatalf("[]byte %q: %s, string: %s", s, b, html)
		}
		plain := Append([]byte("prefix"), s, Plain)
		if !bytes.HasPrefix(plain, []byte("prefix")) {
			t.Fatalf("Append dropped dst: %s", plain)
		}
		plain = plain[len("prefix"):]
		if b := Append(nil, []byte(s), Plain); !bytes.Equal(b, plain) {
			t.Fatalf("[]byte %q: %s, string: %s", s, b, plain)
		}
		var back string
		if err := json.Unmarshal(plain, &back); err != nil {
			t.Fatalf("Append(%q, Plain) = %s: not JSON: %v", s, plain, err)
		}
		if want := fixInvalid(s); back != want {
			t.Fatalf("Append(%q, Plain) decodes to %q, want %q", s, back, want)
		}
		for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`} {
			if bytes.Contains(plain, []byte(esc)) && !strings.Contains(s, `\`) {
				t.Fatalf("Append(%q, Plain) = %s escapes %s", s, plain, esc)
			}
		}
	})
}

// fixInvalid replaces each invalid byte with U+FFFD, as Append and
// encoding/json do (strings.ToValidUTF8 would merge runs of them).
func fixInvalid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

func TestAppendPlain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"a<b>&c", `"a<b>&c"`},
		{"q\"b\\", `"q\"b\\"`},
		{"\n\r\t\b\f\x00\x1f", `"\n\r\t\b\f\u0000\u001f"`},
		{"\u2028é😀", "\"\u2028é😀\""},
		{"bad\xffbyte", `"bad\ufffdbyte"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
	} {
		if got := string(Append(nil, tc.in, Plain)); got != tc.want {
			t.Errorf("Append(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	s := []byte("plain ascii, then é€😀 and \xff and \r\n")
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { Append(dst[:0], s, HTMLSafe) }); n != 0 {
		t.Errorf("Append([]byte) allocates %v times", n)
	}
	str := string(s)
	if n := testing.AllocsPerRun(100, func() { Append(dst[:0], str, Plain) }); n != 0 {
		t.Errorf("Append(string) allocates %v times", n)
	}
}
