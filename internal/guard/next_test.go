package guard_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"quire/internal/guard"
)

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ next, base, want string }{
		// Plain same-site paths.
		{"/tree/a.ipynb?x=1", "/", "/tree/a.ipynb?x=1"},
		{"/tree/a.ipynb", "/", "/tree/a.ipynb"},
		{"/", "/", "/"},
		{"/tree/", "/", "/tree/"},
		{"/tree/a.ipynb#frag", "/", "/tree/a.ipynb"},
		{"/tree/a.ipynb?x=1#frag", "/", "/tree/a.ipynb?x=1"},
		{"/a@b", "/", "/a@b"},
		{"/@x", "/", "/@x"},
		{"/tree/my notebook.ipynb", "/", "/tree/my%20notebook.ipynb"},
		{"/tree/my%20notebook.ipynb", "/", "/tree/my%20notebook.ipynb"},
		{"/tree/é.ipynb", "/", "/tree/%C3%A9.ipynb"},
		{"/tree?q=a b", "/", "/tree?q=a%20b"},
		{"/tree?next=//evil.example", "/", "/tree?next=//evil.example"},
		{"/tree?x=%5C", "/", "/tree?x=%5C"},
		{"/a/./b", "/", "/a/b"},
		{"/a/../b", "/", "/b"},
		{"/a//b", "/", "/a/b"},
		{"/x:y", "/", "/x:y"},
		{"/a%252F%252Fb", "/", "/a%252F%252Fb"},

		// Under a base URL.
		{"/quire/tree", "/quire/", "/quire/tree"},
		{"/quire/", "/quire/", "/quire/"},
		{"/quire", "/quire/", "/quire/"},
		{"/quire?x=1", "/quire/", "/quire/?x=1"},
		{"/quire/tree/../lab", "/quire/", "/quire/lab"},
		{"/quire/../etc", "/quire/", "/quire/"},
		{"/quire/tree/../../x", "/quire/", "/quire/"},
		{"/quirex/tree", "/quire/", "/quire/"},
		{"/other", "/quire/", "/quire/"},
		{"/tree", "quire", "/quire/"},
		{"/quire/%2e%2e/x", "/quire/", "/quire/"},
		{"/quire/%252e%252e/x", "/quire/", "/quire/"},
		{"/quire/%3F/../../x", "/quire/", "/quire/"},
		{"/quire/.%2e/x", "/quire/", "/quire/"},

		// Off-site and ambiguous forms.
		{"", "/", "/"},
		{"//evil.example", "/", "/"},
		{"///evil.example", "/", "/"},
		{"////evil.example", "/", "/"},
		{"/\\evil.example", "/", "/"},
		{"\\\\evil.example", "/", "/"},
		{"\\/evil.example", "/", "/"},
		{"/\\/evil.example", "/", "/"},
		{"https:evil.example", "/", "/"},
		{"https://evil.example", "/", "/"},
		{"https://evil.example/quire/", "/quire/", "/quire/"},
		{"HTTPS://evil.example", "/", "/"},
		{"http:/evil.example", "/", "/"},
		{"javascript:alert(1)", "/", "/"},
		{"JaVaScRiPt:alert(1)", "/", "/"},
		{"data:text/html,<script>", "/", "/"},
		{"evil.example", "/", "/"},
		{"tree", "/", "/"},
		{"./tree", "/", "/"},
		{"../tree", "/", "/"},
		{"?x=1", "/", "/"},
		{"#x", "/", "/"},
		{"/%2F%2Fevil.example", "/", "/"},
		{"/%2f%2fevil.example", "/", "/"},
		{"/%2Fevil.example", "/", "/"},
		{"/%5Cevil.example", "/", "/"},
		{"/%5cevil.example", "/", "/"},
		{"%2F%2Fevil.example", "/", "/"},
		{"/%252F%252Fevil.example", "/", "/"},
		{"/%25252F%25252Fevil.example", "/", "/"},
		{"/%255Cevil.example", "/", "/"},
		{"/tree/%5C", "/", "/"},
		{"/%09/evil.example", "/", "/"},
		{"/%0A/evil.example", "/", "/"},
		{"/%00", "/", "/"},
		{"/\t/evil.example", "/", "/"},
		{"/\n/evil.example", "/", "/"},
		{"/\r/evil.example", "/", "/"},
		{"/tree\x00", "/", "/"},
		{"/tree\r\nSet-Cookie: x=1", "/", "/"},
		{"/tree?x=\r\nSet-Cookie:x", "/", "/"},
		{" //evil.example", "/", "/"},
		{" /tree", "/", "/"},
		{"/tree ", "/", "/"},
		{"\x01/tree", "/", "/"},
		{"\t/tree", "/", "/"},
		{"/tree\x7f", "/", "/"},
		{"/tree\u200b", "/", "/"},
		{"/tree\u202e", "/", "/"},
		{"/tree\u2028x", "/", "/"},
		{"/tree\ufeff", "/", "/"},
		{"/tree\xff", "/", "/"},
		{"/%", "/", "/"},
		{"/%zz", "/", "/"},
		{"/..", "/", "/"},
		{"/../evil", "/", "/evil"},
		{"//evil.example/quire/", "/quire/", "/quire/"},
		{"/\\evil.example/quire/", "/quire/", "/quire/"},
		{"/quire//evil.example", "/quire/", "/quire/evil.example"},
		{"/%" + strings.Repeat("25", 20) + "2F", "/", "/"},
		{"/" + strings.Repeat("a", 5000), "/", "/"},
	} {
		if got := guard.SafeNext(tc.next, tc.base); got != tc.want {
			t.Errorf("SafeNext(%q, %q) = %q, want %q", tc.next, tc.base, got, tc.want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{
		"/tree/a.ipynb?x=1", "//evil.example", "/\\evil", "/%2F%2Fx", "/%5Cx",
		"https:x", "javascript:alert(1)", "/quire/../x", "/a@b", "/tree#f",
		"/%252F%252Fx", "\\/x", "/\t/x", "/quire?x=1",
	} {
		f.Add(s, "/")
		f.Add(s, "/quire/")
	}
	site, _ := url.Parse("https://quire.example/")
	f.Fuzz(func(t *testing.T, next, base string) {
		switch base {
		case "/", "/quire/", "/a/b/":
		default:
			base = "/quire/"
		}
		got := guard.SafeNext(next, base)
		if got == base {
			return
		}
		if !strings.HasPrefix(got, base) {
			t.Fatalf("SafeNext(%q, %q) = %q: not under base", next, base, got)
		}
		if len(got) < 2 || got[0] != '/' || got[1] == '/' || got[1] == '\\' {
			t.Fatalf("SafeNext(%q, %q) = %q: not a single-slash path", next, base, got)
		}
		for _, r := range got {
			if r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) || r > 0x7e {
				t.Fatalf("SafeNext(%q, %q) = %q: holds %q", next, base, got, r)
			}
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			t.Fatalf("SafeNext(%q, %q) = %q: parses as %#v, %v", next, base, got, u, err)
		}
		if r := site.ResolveReference(u); r.Host != "quire.example" || r.Scheme != "https" {
			t.Fatalf("SafeNext(%q, %q) = %q resolves to %s", next, base, got, r)
		}
		if dec, err := url.PathUnescape(u.Path); err == nil && strings.HasPrefix(dec, "//") {
			t.Fatalf("SafeNext(%q, %q) = %q: decodes to %q", next, base, got, dec)
		}
	})
}
