package baseurl_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"quire/internal/baseurl"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, esc, dec string }{
		{"", "/", "/"},
		{"/", "/", "/"},
		{"x", "/x/", "/x/"},
		{"/x//y/", "/x/y/", "/x/y/"},
		// JupyterHub's prefixes (quote(name, safe='@~')), kept as written.
		{"/user/alice/", "/user/alice/", "/user/alice/"},
		{"/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/", "/user/zoë@ex.org/"},
		{"/user/alice%2Bwork@x/", "/user/alice%2Bwork@x/", "/user/alice+work@x/"},
		{"/user/a%20b/", "/user/a%20b/", "/user/a b/"},
		{"/user/100%25/", "/user/100%25/", "/user/100%/"},
		{"/user/~me.x/nb2/", "/user/~me.x/nb2/", "/user/~me.x/nb2/"},
		{"/user/%2E%2E.x/", "/user/%2E%2E.x/", "/user/...x/"},
		{"/user/a%2Fb/", "/user/a%2Fb/", "/user/a/b/"},
		{"/user/zo%c3%ab/", "/user/zo%c3%ab/", "/user/zoë/"}, // lower-case hex kept as given
		// Given by hand: raw characters a cookie path, a route pattern or
		// a browser would change are encoded.
		{"/zoë/", "/zo%C3%AB/", "/zoë/"},
		{"/a;b/", "/a%3Bb/", "/a;b/"},
		{"/{x}/", "/%7Bx%7D/", "/{x}/"},
		{"/a+b@c/", "/a+b@c/", "/a+b@c/"},
	} {
		p, err := baseurl.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if p.String() != tc.esc || p.Escaped() != tc.esc || p.Decoded() != tc.dec {
			t.Errorf("Parse(%q) = %q (decoded %q), want %q (%q)", tc.in, p.String(), p.Decoded(), tc.esc, tc.dec)
		}
		if again := baseurl.MustParse(p.String()); again.String() != p.String() {
			t.Errorf("Parse(%q) is not stable: %q then %q", tc.in, p, again)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, says string }{
		{"/a%zz/", `malformed percent-escape "%zz"`},
		{"/a%2/", `malformed percent-escape "%2"`},
		{"/a%/", `malformed percent-escape "%"`},
		{"/a b/", "whitespace"},
		{"/a\tb/", "whitespace"},
		{"/a\u0085b/", "control"},
		{"/a?b/", "?, # or"},
		{"/a#b/", "?, # or"},
		{"/a\\b/", "?, # or"},
		{"/user/../", "resolve away"},
		{"/user/%2e%2E/", "resolve away"},
		{"/./x/", "resolve away"},
		{"/a%00b/", "control character"},
		{"/a%0Ab/", "control character"},
		{"/a\xffb/", "UTF-8"},
	} {
		_, err := baseurl.Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", tc.in, err, tc.says)
		}
	}
}

func req(target string) *http.Request {
	r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
	return r
}

func TestMatch(t *testing.T) {
	zoe := baseurl.MustParse("/user/zo%C3%AB@ex.org/")
	plus := baseurl.MustParse("/user/alice%2Bwork@x/")
	for _, tc := range []struct {
		base   baseurl.Path
		target string
		rel    string
		ok     bool
		bare   bool
	}{
		{baseurl.Root, "/", "", true, false},
		{baseurl.Root, "/api/contents/a%20b", "api/contents/a b", true, false},
		{zoe, "/user/zo%C3%AB@ex.org/", "", true, false},
		{zoe, "/user/zo%C3%AB@ex.org/api/status", "api/status", true, false},
		{zoe, "/user/zo%c3%ab@ex.org/api", "api", true, false},     // other hex case
		{zoe, "/user/zo%C3%AB%40ex.org/api", "api", true, false},   // @ escaped
		{zoe, "/user/zo\u00eb@ex.org/tree/", "tree/", true, false}, // raw UTF-8 on the wire
		{zoe, "/user/%7A%6F%C3%AB@ex.org/files/a%2Fb", "files/a/b", true, false},
		{zoe, "/user/zo%C3%AB@ex.org", "", false, true},
		{zoe, "/user/zoe@ex.org/api", "", false, false},
		{zoe, "/user/zo%C3%AB@ex.org%2Fapi", "", false, false}, // an encoded slash is no separator
		{zoe, "/user%2Fzo%C3%AB@ex.org/api", "", false, false},
		{zoe, "/user/zo%C3%AB@ex.org.evil/api", "", false, false},
		{zoe, "/user/", "", false, false},
		{zoe, "/api", "", false, false},
		{plus, "/user/alice%2Bwork@x/api", "api", true, false},
		{plus, "/user/alice+work@x/api", "api", true, false},
		{plus, "/user/alice%2bwork@x/api", "api", true, false},
		{plus, "/user/alice%20work@x/api", "", false, false}, // "+" is not a space in a path
		{plus, "/user/alice+work@x", "", false, true},
		{baseurl.MustParse("/user/a%2Fb/"), "/user/a/b/api", "", false, false},
		{baseurl.MustParse("/user/a%2Fb/"), "/user/a%2fb/api", "api", true, false},
		{baseurl.MustParse("/user/100%25/"), "/user/100%25/api", "api", true, false},
	} {
		r := req(tc.target)
		rel, ok := tc.base.Rel(r)
		if rel != tc.rel || ok != tc.ok {
			t.Errorf("%s: Rel(%q) = %q, %v; want %q, %v", tc.base, tc.target, rel, ok, tc.rel, tc.ok)
		}
		if tc.base.Has(r) != tc.ok {
			t.Errorf("%s: Has(%q) = %v", tc.base, tc.target, !tc.ok)
		}
		if tc.ok && !tc.base.Is(r, tc.rel) {
			t.Errorf("%s: Is(%q, %q) = false", tc.base, tc.target, tc.rel)
		}
		if tc.base.Is(r, "nope") {
			t.Errorf("%s: Is(%q, nope) = true", tc.base, tc.target)
		}
		if got := tc.base.Bare(r); got != tc.bare {
			t.Errorf("%s: Bare(%q) = %v, want %v", tc.base, tc.target, got, tc.bare)
		}
	}
}

func TestCut(t *testing.T) {
	zoe := baseurl.MustParse("/user/zo%C3%AB@ex.org/")
	for _, tc := range []struct {
		in, rest string
		ok       bool
	}{
		{"/user/zo%C3%AB@ex.org/api/contents/a%20b", "api/contents/a%20b", true},
		{"/user/zo%c3%ab@ex.org/", "", true},
		{"user/zo%C3%AB@ex.org/", "", false},
		{"", "", false},
		{"/user/zo%C3%AB@ex.org", "", false},
	} {
		if rest, ok := zoe.Cut(tc.in); rest != tc.rest || ok != tc.ok {
			t.Errorf("Cut(%q) = %q, %v; want %q, %v", tc.in, rest, ok, tc.rest, tc.ok)
		}
	}
}

// TestAgreesWithServeMux: the routes registered under the escaped base
// (http.ServeMux patterns) and Rel agree on which requests are under it,
// for every spelling of the base.
func TestAgreesWithServeMux(t *testing.T) {
	for _, b := range []string{"/user/zo%C3%AB@ex.org/", "/user/alice%2Bwork@x/", "/user/a%20b%25c~d/", "/x/"} {
		base := baseurl.MustParse(b)
		mux := http.NewServeMux()
		mux.HandleFunc("GET "+base.String()+"api/status", func(http.ResponseWriter, *http.Request) {})
		for _, target := range []string{
			base.String() + "api/status",
			strings.ToLower(base.String()) + "api/status",
			"/" + url.PathEscape(strings.Trim(base.Decoded(), "/")) + "/api/status", // %2F between segments
			base.Decoded() + "api/status",
			strings.TrimSuffix(base.String(), "/") + "%2Fapi/status",
		} {
			target = strings.ReplaceAll(target, " ", "%20")
			if _, err := url.ParseRequestURI(target); err != nil {
				continue // Go's server answers 400 before any handler
			}
			r := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
			_, pattern := mux.Handler(r)
			if (pattern != "") != base.Is(r, "api/status") {
				t.Errorf("base %s, request %q: ServeMux pattern %q, Is %v", b, target, pattern, base.Is(r, "api/status"))
			}
		}
	}
}

// FuzzRel: whatever the request path, a request Rel puts under the base
// has the base's segments first, and no rest it returns starts a new root.
func FuzzRel(f *testing.F) {
	for _, s := range []string{"/user/zo%C3%AB@ex.org/api", "/user/zo%C3%AB@ex.org%2F..%2F/x", "/user/a%2Fb/c", "//x", "/user/zo%c3%ab@ex.org/../../x"} {
		f.Add("/user/zo%C3%AB@ex.org/", s)
	}
	f.Fuzz(func(t *testing.T, b, p string) {
		base, err := baseurl.Parse(b)
		if err != nil {
			return
		}
		u, err := url.ParseRequestURI(p)
		if err != nil || u.Path == "" {
			return
		}
		r := &http.Request{Method: "GET", URL: u}
		rest, ok := base.Cut(u.EscapedPath())
		if !ok {
			return
		}
		segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
		want := strings.Split(strings.Trim(base.String(), "/"), "/")
		if base.IsRoot() {
			want = nil
		}
		for i, w := range want {
			if i >= len(segs) {
				t.Fatalf("%q under %q with fewer segments", p, base)
			}
			ds, err1 := url.PathUnescape(segs[i])
			dw, err2 := url.PathUnescape(w)
			if err1 != nil || err2 != nil || ds != dw {
				t.Fatalf("%q under %q: segment %d is %q, want %q", p, base, i, segs[i], w)
			}
		}
		if got := strings.Join(segs[len(want):], "/"); got != rest {
			t.Fatalf("%q under %q: rest %q, want %q", p, base, rest, got)
		}
		if _, ok := base.Rel(r); !ok {
			t.Fatalf("Cut and Rel disagree on %q", p)
		}
	})
}

// FuzzParse: an accepted base URL has a stable escaped form of printable
// ASCII, rooted and slash-terminated, that no cookie path, Location header
// or route pattern can misread, and that matches its own requests.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/user/zo%C3%AB@ex.org/", "a;b", "/zoë/", "%zz", "/../", "/a%2Fb/", "{x}", "/%2e/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := baseurl.Parse(s)
		if err != nil {
			return
		}
		esc := p.String()
		if !strings.HasPrefix(esc, "/") || !strings.HasSuffix(esc, "/") || strings.Contains(esc, "//") && esc != "/" {
			t.Fatalf("Parse(%q) = %q: not /…/", s, esc)
		}
		for i := 0; i < len(esc); i++ {
			if c := esc[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(";?#\\{}\"<>`", c) >= 0 {
				t.Fatalf("Parse(%q) = %q holds %q", s, esc, c)
			}
		}
		again, err := baseurl.Parse(esc)
		if err != nil || again.String() != esc || again.Decoded() != p.Decoded() {
			t.Fatalf("Parse(%q) = %q, which parses to %q, %v", s, esc, again, err)
		}
		if rest, ok := p.Cut(esc + "api"); !ok || rest != "api" {
			t.Fatalf("base %q does not match its own %qapi: %q, %v", s, esc, rest, ok)
		}
	})
}
