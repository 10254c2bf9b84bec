package terminal

import (
	"bytes"
	"testing"
)

func TestScrollback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"empty", 8, nil, ""},
		{"off", 0, []string{"abc"}, ""},
		{"under", 8, []string{"abc", "de"}, "abcde"},
		{"exact", 8, []string{"abcd", "efgh"}, "abcdefgh"},
		{"wraps", 8, []string{"abcdef", "ghij"}, "cdefghij"},
		{"wraps twice", 4, []string{"ab", "cde", "fgh", "ij"}, "ghij"},
		{"one big write", 4, []string{"abcdefghij"}, "ghij"},
		{"big write when full", 4, []string{"abcd", "0123456"}, "3456"},
		{"cut character dropped", 4, []string{"ab€cd"}, "cd"},           // € is 3 bytes: the ring keeps its last byte
		{"cut 4-byte character dropped", 6, []string{"a😀bcde"}, "bcde"}, // 😀 is 4 bytes
	} {
		s := newScrollback(tc.limit)
		for _, w := range tc.writes {
			s.write([]byte(w))
			if s.size() > tc.limit || s.allocated() > max(tc.limit, 0) {
				t.Errorf("%s: after %q size %d, allocated %d, over the %d limit", tc.name, w, s.size(), s.allocated(), tc.limit)
			}
		}
		if got := string(s.bytes()); got != tc.want {
			t.Errorf("%s: bytes() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// An idle terminal's scrollback holds nothing; it grows with the output,
// never past its limit, and stops allocating once full.
func TestScrollbackAllocatesAsOutputArrives(t *testing.T) {
	const limit = 256 << 10
	s := newScrollback(limit)
	if s.allocated() != 0 {
		t.Fatalf("new scrollback allocated %d bytes", s.allocated())
	}
	s.write([]byte("$ "))
	if a := s.allocated(); a == 0 || a > 256 {
		t.Errorf("after 2 bytes, allocated %d (want a small buffer)", a)
	}
	chunk := bytes.Repeat([]byte("x"), 1000)
	for range 1000 {
		s.write(chunk)
	}
	if s.size() != limit || s.allocated() != limit {
		t.Fatalf("after 1 MB: size %d, allocated %d; want both %d", s.size(), s.allocated(), limit)
	}
	if n := testing.AllocsPerRun(100, func() { s.write(chunk) }); n != 0 {
		t.Errorf("a full scrollback allocates %v times a write", n)
	}
}

func TestSplitIncomplete(t *testing.T) {
	for _, tc := range []struct {
		in, head, tail string
	}{
		{"", "", ""},
		{"abc", "abc", ""},
		{"ab\xc3", "ab", "\xc3"},                 // é cut after its first byte
		{"ab\xe2\x82", "ab", "\xe2\x82"},         // € cut after two bytes
		{"ab\xf0\x9f\x98", "ab", "\xf0\x9f\x98"}, // 😀 cut after three
		{"ab€", "ab€", ""},
		{"ab😀", "ab😀", ""},
		{"ab\xff", "ab\xff", ""},         // never a character: not carried
		{"ab\x82\x82", "ab\x82\x82", ""}, // stray continuation bytes: not carried
		{"\xf0\x9f\x98\x80\xc3", "\xf0\x9f\x98\x80", "\xc3"},
	} {
		head, tail := splitIncomplete([]byte(tc.in))
		if string(head) != tc.head || string(tail) != tc.tail {
			t.Errorf("splitIncomplete(%q) = %q, %q; want %q, %q", tc.in, head, tail, tc.head, tc.tail)
		}
	}
}

// FuzzStdinFast: whatever the keystroke fast path accepts, the JSON decoder
// reads as the same stdin message.
func FuzzStdinFast(f *testing.F) {
	for _, s := range []string{
		`["stdin","a"]`, `["stdin",""]`, `["stdin","ls -la"]`, `["stdin","\r"]`, `["stdin","a"] `,
		`["stdin","a","b"]`, `["stdin","a\"]`, `["stdin","é"]`, `["stdin","a"]]`, `["stdin",""]"]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, ok := stdinFast(data)
		if !ok {
			return
		}
		m, err := parseJSON(data)
		if err != nil || m.Kind != Stdin || m.Text != text {
			t.Fatalf("fast path read %q as %q; the decoder: %+v, %v", data, text, m, err)
		}
	})
}
