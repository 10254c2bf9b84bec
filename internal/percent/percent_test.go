package percent_test

import (
	"net/url"
	"strings"
	"testing"

	"quire/internal/percent"
)

func TestEncode(t *testing.T) {
	for _, tc := range []struct{ s, keep, want string }{
		{"", "", ""},
		{"abcXYZ019", "", "abcXYZ019"},
		{"a b/c", "", "a%20b%2Fc"},
		{"a b/c", "/", "a%20b/c"},
		{"-._~", "-._~", "-._~"},
		{"-._~", "", "%2D%2E%5F%7E"},
		{"100%", "%", "100%"},
		{"100%", "", "100%25"},
		{"é", "", "%C3%A9"},
		{"\x00\x1f\x7f\xff", "", "%00%1F%7F%FF"},
		{"%2F", "", "%252F"},
	} {
		if got := percent.Encode(tc.s, tc.keep); got != tc.want {
			t.Errorf("Encode(%q, %q) = %q, want %q", tc.s, tc.keep, got, tc.want)
		}
	}
}

func TestEncodeFunc(t *testing.T) {
	spaces := func(c byte) bool { return c == ' ' || c >= 0x80 }
	for _, tc := range []struct{ s, want string }{
		{"a=b&c", "a=b&c"},
		{"a b", "a%20b"},
		{"ü", "%C3%BC"},
	} {
		if got := percent.EncodeFunc(tc.s, spaces); got != tc.want {
			t.Errorf("EncodeFunc(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// FuzzEncode checks that decoding undoes encoding and that only the kept
// bytes (and the "%" of each escape) appear literally.
func FuzzEncode(f *testing.F) {
	f.Add("a b/c?d#e", "/")
	f.Add("\x00é%", "")
	f.Fuzz(func(t *testing.T, s, keep string) {
		keep = strings.ReplaceAll(keep, "%", "") // a kept "%" cannot be decoded back
		got := percent.Encode(s, keep)
		if back, err := url.PathUnescape(got); err != nil || back != s {
			t.Fatalf("Encode(%q, %q) = %q, decodes to %q, %v", s, keep, got, back, err)
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
			if !alnum && c != '%' && strings.IndexByte(keep, c) < 0 {
				t.Fatalf("Encode(%q, %q) = %q holds %q literally", s, keep, got, c)
			}
		}
	})
}
