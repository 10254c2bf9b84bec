package s3store_test

import (
	"slices"
	"strings"
	"testing"

	"quire/internal/contents/s3store"
	"quire/internal/errkind"
)

// FuzzClean: a path Clean accepts is a clean relative key suffix — no
// empty, "." or ".." segment, no NUL or backslash, never the store's own
// directory — and cleaning it again changes nothing; a refusal is
// NotFound or Invalid, never a crash or a 500.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "/", "a/b", "a//b/./c", "../x", "a/../../b", ".quire-s3/trash", "x/.quire-s3", "a\x00b", "a\\b", strings.Repeat("n/", 600)} {
		f.Add(s)
	}
	s, err := s3store.New(s3store.Options{Bucket: "bucket", Prefix: "p", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := s.Clean(p)
		if err != nil {
			if k := errkind.Of(err); k != errkind.NotFound && k != errkind.Invalid {
				t.Fatalf("Clean(%q): kind %v", p, k)
			}
			return
		}
		if c == "" {
			return
		}
		segs := strings.Split(c, "/")
		if slices.ContainsFunc(segs, func(s string) bool { return s == "" || s == "." || s == ".." }) ||
			strings.ContainsAny(c, "\x00\\") || segs[0] == ".quire-s3" {
			t.Fatalf("Clean(%q) = %q", p, c)
		}
		if again, err := s.Clean(c); err != nil || again != c {
			t.Fatalf("Clean(Clean(%q)) = %q, %v; want %q", p, again, err, c)
		}
	})
}
