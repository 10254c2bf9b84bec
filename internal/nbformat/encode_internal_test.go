package nbformat

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// refEscaped is appendEscaped one byte at a time, as it was before the
// eight-bytes-at-a-time scan.
func refEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				buf = append(buf, c)
			} else {
				buf = append(buf, escapes[c]...)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n != 1 {
			buf = append(buf, s[i:i+n]...)
			i += n
			continue
		}
		buf, i = appendInvalid(buf, s, i)
	}
	return buf
}

// refLines is the file form of a multiline string, split by forLines.
func refLines(s string) []byte {
	e := &encoder{file: true}
	if s == "" {
		return []byte("[]")
	}
	e.buf = append(e.buf, '[')
	e.indent++
	forLines(s, func(l string) {
		if len(e.buf) > 1 {
			e.buf = append(e.buf, ',')
		}
		e.newline()
		e.buf = appendString(e.buf, l)
	})
	e.indent--
	e.newline()
	return append(e.buf, ']')
}

// randomText mixes plain ASCII with every byte the scans stop at: quotes,
// backslashes, controls and line breaks, valid and invalid UTF-8, WTF-8.
func randomText(r *rand.Rand, n int) string {
	pieces := []string{"a", "bcdefgh", "0123456789abcdef", "\"", "\\", "\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e",
		"\x00", "\x1f", "\t", "\x7f", "é", "\u0085", "\u2028", "\u2029", "😀", "\xed\xa0\x80", "\xff", "\xc2", "\xe2\x80", "\xe2"}
	var b strings.Builder
	for b.Len() < n {
		p := pieces[r.IntN(len(pieces))]
		if r.IntN(3) > 0 {
			p = pieces[r.IntN(3)] // mostly plain
		}
		b.WriteString(p)
	}
	return b.String()
}

func TestEscapeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		s := randomText(r, r.IntN(80))
		if i%100 == 0 {
			s = randomText(r, 300<<10) // longer than flushSize
		}
		if got, want := appendEscaped(nil, s), refEscaped(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
		e := &encoder{file: true}
		e.lines(s)
		if want := refLines(s); !bytes.Equal(e.buf, want) {
			t.Fatalf("lines(%q) = %q, want %q", s, e.buf, want)
		}
		var out bytes.Buffer
		e = &encoder{w: &out}
		if err := e.value(s, kPlain); err != nil {
			t.Fatal(err)
		}
		out.Write(e.buf)
		if want := appendString(nil, s); !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("streamed %q = %q, want %q", s, out.Bytes(), want)
		}
	}
}

func TestPlainRun(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		b := []byte(randomText(r, r.IntN(40)))
		i := r.IntN(len(b) + 1)
		want := i
		for want < len(b) && b[want] >= 0x20 && b[want] != '"' && b[want] != '\\' {
			want++
		}
		if got := plainRun(b, i); got != want {
			t.Fatalf("plainRun(%q, %d) = %d, want %d", b, i, got, want)
		}
	}
}
