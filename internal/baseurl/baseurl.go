// Package baseurl holds Quire's base URL, the path prefix every route lives
// under ("/", "/x/", or JupyterHub's "/user/zo%C3%AB@ex.org/"), in the two
// forms it is used in, and the one rule for matching requests against it.
//
// The escaped form (Path.String) is what Quire emits: links, redirects, the
// UI's base, cookie paths. Browsers compare a cookie's Path with the raw,
// escaped request path, so emitting one spelling everywhere keeps them
// consistent. Requests are matched segment by segment, as http.ServeMux
// matches its patterns: the request's escaped path is split at "/" and each
// of its first segments, percent-decoded, must equal the base's decoded
// segment. So "/user/zoë@ex.org/x", "/user/zo%c3%ab@ex.org/x" and the
// Hub's own spelling all reach the same server, while a "%2F" inside a
// segment never counts as a separator: no spelling of a request can step
// out of the prefix.
package baseurl

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"quire/internal/percent"
)

// Path is a parsed base URL. The zero value is the root, "/".
type Path struct {
	esc  string   // "/a/zo%C3%AB/", always starting and ending with "/"
	segs []string // the decoded segments: ["a", "zoë"]
}

// Root is the base URL "/".
var Root = Path{}

// keep is what a path segment may hold literally in the escaped form
// (RFC 3986 unreserved, sub-delimiters but ";", which a cookie's Path
// cannot hold, ":" and "@"); "%" is kept as the start of an escape. Every
// other byte, non-ASCII included, is percent-encoded.
const keep = "-._~!$&'()*+,=:@"

// Parse checks and normalises a base URL: "x", "/x", "x/" and "/x//" all
// become "/x/". A raw non-ASCII character or a character a cookie path or a
// route pattern cannot hold literally (";", "{", "|" …) is percent-encoded;
// existing escapes are kept as written. Refused, with a message naming the
// problem: "?", "#", "\", whitespace and control characters; a "%" not
// followed by two hex digits; a segment that decodes to "." or ".." (a
// browser resolves it away, so no request could reach the server) or to a
// control character.
func Parse(s string) (Path, error) {
	if !utf8.ValidString(s) {
		return Path{}, fmt.Errorf("%q is not valid UTF-8", s)
	}
	if strings.ContainsAny(s, "?#\\") {
		return Path{}, fmt.Errorf("%q may not contain ?, # or \\", s)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == 0xfeff {
			return Path{}, fmt.Errorf("%q may not contain whitespace or control characters (percent-encode a space as %%20)", s)
		}
	}
	var p Path
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' }) {
		if i := badEscape(raw); i >= 0 {
			end := min(i+3, len(raw))
			return Path{}, fmt.Errorf("%q has a malformed percent-escape %q: %% must be followed by two hex digits (write %%25 for a literal %%)", s, raw[i:end])
		}
		seg, _ := url.PathUnescape(raw) // valid: checked above
		switch {
		case seg == "." || seg == "..":
			return Path{}, fmt.Errorf("%q has a segment %q, which browsers resolve away", s, raw)
		case strings.ContainsFunc(seg, func(r rune) bool { return r < ' ' || r == 0x7f }):
			return Path{}, fmt.Errorf("%q has a segment %q that decodes to a control character", s, raw)
		}
		p.segs = append(p.segs, seg)
		p.esc += "/" + percent.EncodeFunc(raw, func(c byte) bool {
			return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '%' || strings.IndexByte(keep, c) >= 0)
		})
	}
	p.esc += "/"
	return p, nil
}

// MustParse is Parse for base URLs already validated (by config or the
// Hub's environment) and for tests; it panics on a bad one.
func MustParse(s string) Path {
	p, err := Parse(s)
	if err != nil {
		panic("baseurl: " + err.Error())
	}
	return p
}

// badEscape is the index of the first "%" in s not followed by two hex
// digits, or -1.
func badEscape(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return i
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// String is the escaped form, "/" or "/…/": what Quire emits.
func (p Path) String() string {
	if p.esc == "" {
		return "/"
	}
	return p.esc
}

// Escaped is String.
func (p Path) Escaped() string { return p.String() }

// Decoded is the decoded form, "/user/zoë@ex.org/", for logs and messages;
// never for matching (a decoded "/" would read as a separator) nor for
// output.
func (p Path) Decoded() string {
	if len(p.segs) == 0 {
		return "/"
	}
	return "/" + strings.Join(p.segs, "/") + "/"
}

// IsRoot reports the base URL "/".
func (p Path) IsRoot() bool { return len(p.segs) == 0 }

// Cut matches an escaped request path (r.URL.EscapedPath()) against the
// base and returns the rest after it, still escaped ("api/contents/a%20b"
// for "/user/zo%C3%AB@ex.org/api/contents/a%20b"). ok is false when the
// path is not under the base; the base itself gives "", true. The bare
// base without its trailing slash is not under it (see Bare).
func (p Path) Cut(escaped string) (rest string, ok bool) {
	if !strings.HasPrefix(escaped, "/") {
		return "", false
	}
	s := escaped[1:]
	for _, want := range p.segs {
		i := strings.IndexByte(s, '/')
		if i < 0 {
			return "", false
		}
		if !segmentIs(s[:i], want) {
			return "", false
		}
		s = s[i+1:]
	}
	return s, true
}

// segmentIs reports whether the raw segment decodes to want.
func segmentIs(raw, want string) bool {
	if raw == want {
		return true
	}
	if !strings.Contains(raw, "%") {
		return false
	}
	d, err := url.PathUnescape(raw)
	return err == nil && d == want
}

// Rel is r's path relative to the base, decoded as r.URL.Path is
// ("api/contents/a b"), and whether r is under the base at all. Checks
// that used to compare r.URL.Path with base+"x" compare Rel with "x".
func (p Path) Rel(r *http.Request) (string, bool) {
	rest, ok := p.Cut(r.URL.EscapedPath())
	if !ok {
		return "", false
	}
	if strings.Contains(rest, "%") {
		if d, err := url.PathUnescape(rest); err == nil {
			rest = d
		}
	}
	return rest, true
}

// Has reports whether r's path is under the base (the base itself
// included).
func (p Path) Has(r *http.Request) bool {
	_, ok := p.Rel(r)
	return ok
}

// Is reports whether r's path is exactly the base followed by rel
// ("api/status"); Is(r, "") is the base itself.
func (p Path) Is(r *http.Request, rel string) bool {
	got, ok := p.Rel(r)
	return ok && got == rel
}

// Bare reports whether r's path is the base without its trailing slash
// ("/user/alice" for "/user/alice/"); never for the root.
func (p Path) Bare(r *http.Request) bool {
	if p.IsRoot() {
		return false
	}
	esc := r.URL.EscapedPath()
	if strings.HasSuffix(esc, "/") {
		return false
	}
	rest, ok := p.Cut(esc + "/")
	return ok && rest == ""
}
