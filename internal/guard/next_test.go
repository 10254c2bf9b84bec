package guard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"quire/internal/guard"
	"quire/internal/guard/guardtest"
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
		{"/tree?q='x'", "/", "/tree?q=%27x%27"}, // browsers encode ' in queries themselves
		{"/tree/it's,here;ok", "/", "/tree/it's,here;ok"},
		{"/tree/a%2Fb/c", "/", "/tree/a%2Fb/c"}, // an encoded slash stays inside its segment
		{"/tree/a%2Fb/c%5Cd", "/", "/"},         // any layer with a backslash is refused
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
		// JupyterHub's escaped prefixes: the base keeps the Hub's spelling,
		// whatever spelling the target uses for it.
		{"/user/zo%C3%AB@ex.org/tree/a b", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/tree/a%20b"},
		{"/user/zo%c3%ab%40ex.org/tree/", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/tree/"},
		{"/user/zoë@ex.org/tree/?x=1", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/tree/?x=1"},
		{"/user/zo%C3%AB@ex.org", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/"},
		{"/user/zo%C3%AB@ex.org/../bob/", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/"},
		{"/user/zo%C3%AB@ex.org/%2E%2E/bob/", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/"},
		{"/user/zo%C3%AB@ex.org/%252E%252E/%252E%252E/x", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/"},
		{"/user/zo%C3%AB@ex.org%2F..%2F..%2Fx", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/"},
		{"/user/zoe@ex.org/tree/", "/user/zo%C3%AB@ex.org/", "/user/zo%C3%AB@ex.org/"},
		{"/user/alice%2Bwork@x/tree/a+b", "/user/alice%2Bwork@x/", "/user/alice%2Bwork@x/tree/a+b"},
		{"/user/alice+work@x/tree/", "/user/alice%2Bwork@x/", "/user/alice%2Bwork@x/tree/"},
		{"/user/100%2525/tree/", "/user/100%2525/", "/user/100%2525/tree/"},
		{"/user/a%20b/lab", "/user/a%20b/", "/user/a%20b/lab"},
	} {
		if got := guard.SafeNext(tc.next, tc.base); got != tc.want {
			t.Errorf("SafeNext(%q, %q) = %q, want %q", tc.next, tc.base, got, tc.want)
		}
	}
}

// redirectBases are the base URLs redirect tests run under, with the
// server origin they judge against.
var redirectBases = []string{"/", "/x/", "/quire/", "/user/zo%C3%AB@ex.org/", "/user/alice%2Bwork@x/"}

const testOrigin = "http://127.0.0.1:8888"

// TestRedirect feeds guard.Redirect the issue #14 examples, the classic
// payloads and the advisories' open-redirect cases, and judges every
// Location it writes as a browser would (guardtest.Check, which follows the
// WHATWG URL parser). Rows that reproduce an advisory are named by its id.
func TestRedirect(t *testing.T) {
	type row struct{ name, target string }
	rows := []row{
		// Issue #14 hole 1, as the trailing-slash redirect saw them.
		{"issue14-dot-slash-backslash", "/.%2F%5Cevil.com"},
		{"issue14-tab", "/%09//evil.com"},
		{"issue14-dotdot-backslash", "/x/..%2F%5Cevil.com"},
		{"issue14-base-x", "/x/a%2F..%2F..%2F%5Cevil.com"},
		{"issue14-decoded-dot-slash-backslash", "/./\\evil.com"},
		{"issue14-decoded-tab", "/\t//evil.com"},
		{"issue14-decoded-dotdot", "/x/../\\evil.com"},
		{"issue14-decoded-base-x", "/x/a/../../\\evil.com"},
		// jupyter_server / notebook / JupyterHub advisories.
		{"CVE-2019-10255-scheme-relative", "//evil.com"},
		{"CVE-2019-10255-triple-slash", "///evil.com"},
		{"CVE-2019-10856-backslash", "/\\evil.com"},
		{"CVE-2019-10856-encoded-backslash", "/%5Cevil.com"},
		{"CVE-2020-26215-encoded-slashes", "/%2F%2Fevil.com"},
		{"CVE-2020-26215-double-encoded", "/%252F%252Fevil.com"},
		{"CVE-2020-26232-jupyterhub-next", "//evil.com/x/"},
		{"CVE-2020-26275-dotdot-escape", "/x/../../evil.com"},
		{"CVE-2020-26275-encoded-dotdot", "/x/%2e%2e/%2e%2e//evil.com"},
		{"CVE-2023-39968-url-in-path", "/x/http:evil.com/"},
		{"CVE-2023-39968-scheme", "https:evil.com"},
		{"CVE-2023-39968-scheme-slash-backslash", "http:/\\evil.com"},
		{"jupyterhub-1908-tab-slash", "/\t/evil.com"},
		{"jupyterhub-1908-encoded-tab", "/%09/evil.com"},
		{"CVE-2026-33709-newline", "/\n/evil.com"},
		{"CVE-2026-33709-cr", "/%0D/evil.com"},
		{"jupyter_server-2.18-login-backslash-slash", "/\\/evil.com"},
		{"jupyter_server-2.18-login-fullwidth", "/／evil.com"},
	}
	for i, p := range guardtest.Payloads() {
		rows = append(rows, row{fmt.Sprintf("payload-%d", i), p})
	}
	for _, base := range redirectBases {
		for _, tc := range rows {
			for _, target := range []string{tc.target, strings.TrimSuffix(base, "/") + tc.target} {
				rec := httptest.NewRecorder()
				guard.Redirect(rec, http.StatusFound, target, base)
				loc := rec.Header().Get("Location")
				if err := guardtest.Check(loc, base+"a/b", testOrigin, base); err != nil {
					t.Errorf("%s: Redirect(%q, base %q): %v", tc.name, target, base, err)
				}
				if rec.Code != http.StatusFound || rec.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("%s: status %d, Cache-Control %q", tc.name, rec.Code, rec.Header().Get("Cache-Control"))
				}
			}
		}
	}
}

// FuzzRedirect: whatever the target, base and request path, the Location
// guard.Redirect writes keeps a browser on the server's origin under the
// base URL; an accepted target's Location is what the browser resolves it
// to (nothing left for the browser to reinterpret) and is stable under a
// second pass.
func FuzzRedirect(f *testing.F) {
	for _, s := range guardtest.Payloads() {
		f.Add(s, uint8(0), "/a/b")
		f.Add(s, uint8(1), "/x/a/")
		f.Add(s, uint8(3), "/user/zo%C3%AB@ex.org/a/")
	}
	f.Fuzz(func(t *testing.T, target string, b uint8, reqPath string) {
		base := redirectBases[int(b)%len(redirectBases)]
		rec := httptest.NewRecorder()
		guard.Redirect(rec, http.StatusSeeOther, target, base)
		loc := rec.Header().Get("Location")
		if err := guardtest.Check(loc, testOrigin+"/"+strings.TrimLeft(reqPath, "/"), testOrigin, base); err != nil {
			t.Fatalf("Redirect(%q, base %q): %v", target, base, err)
		}
		got, ok := guard.Location(target, base)
		if !ok {
			if loc != base {
				t.Fatalf("refused %q but Location is %q, not the base", target, loc)
			}
			return
		}
		if got != loc {
			t.Fatalf("Location(%q) = %q, Redirect wrote %q", target, got, loc)
		}
		u, err := guardtest.Resolve(loc, testOrigin+"/")
		if err != nil {
			t.Fatal(err)
		}
		if want := u.Path + map[bool]string{true: "?" + u.Query}[u.Query != ""]; want != loc {
			t.Fatalf("Location(%q) = %q, which a browser reads as %q", target, loc, want)
		}
		if again, ok := guard.Location(loc, base); !ok || again != loc {
			t.Fatalf("Location(%q) = %q, but Location(%q) = %q, %v", target, loc, loc, again, ok)
		}
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{
		"/tree/a.ipynb?x=1", "//evil.example", "/\\evil", "/%2F%2Fx", "/%5Cx",
		"https:x", "javascript:alert(1)", "/quire/../x", "/a@b", "/tree#f",
		"/%252F%252Fx", "\\/x", "/\t/x", "/quire?x=1",
	} {
		f.Add(s, "/")
		f.Add(s, "/quire/")
		f.Add(s, "/user/zo%C3%AB@ex.org/")
	}
	site, _ := url.Parse("https://quire.example/")
	f.Fuzz(func(t *testing.T, next, base string) {
		switch base {
		case "/", "/quire/", "/a/b/", "/user/zo%C3%AB@ex.org/", "/user/alice%2Bwork@x/":
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
