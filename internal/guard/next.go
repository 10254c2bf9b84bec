// Package guard holds Quire's request-level security decisions that sit in
// front of authentication: the DNS-rebinding Host check, the Origin
// allow-list and CORS, default security headers, the client address behind
// trusted proxies, and Redirect, which writes every Location header after
// Location has judged its target.
package guard

import (
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"quire/internal/baseurl"
	"quire/internal/percent"
)

// maxDecode bounds how many layers of percent-encoding Location peels off
// before it gives up and refuses the target.
const maxDecode = 8

// Redirect answers w with a redirect to target, a same-site path under base
// with an optional query ("/x/tree/a.ipynb?k=v"), or to base when Location
// refuses target. It is the only place Quire writes a Location header: every
// redirect (trailing slash, login, logout, token to cookie, path cleaning)
// and every 201 Created goes through here or SetLocation, and plain HTTP's
// redirect to HTTPS through RedirectHTTPS, which judges its path here too.
// code is the status to send (3xx); the response is never cached.
//
// Unlike http.Redirect, which cleans a raw string and can turn "/./\x" into
// "/\x" (a browser reads "//x"), the value sent is always built by Location
// from its own parts.
func Redirect(w http.ResponseWriter, code int, target, base string) {
	h := w.Header()
	if !SetLocation(h, target, base) {
		SetLocation(h, base, base)
	}
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
}

// SetLocation sets h's Location to Location(target, base) and reports
// whether it did; a refused target sets nothing. A 201 Created names the new
// resource through it.
func SetLocation(h http.Header, target, base string) bool {
	loc, ok := Location(target, base)
	if ok {
		h.Set("Location", loc)
	}
	return ok
}

// SafeNext returns the Location for next if it is a same-site path under
// base, else base. It judges login's ?next= and every other redirect target.
func SafeNext(next, base string) string {
	if loc, ok := Location(next, base); ok {
		return loc
	}
	if b, err := baseurl.Parse(base); err == nil {
		return b.String()
	}
	return "/"
}

// Location judges target and, if it is a same-site path under base, builds
// the Location header value for it; ok is false when target is refused.
//
// base is the server's base URL path in its escaped form ("/", "/prefix/",
// "/user/zo%C3%AB@ex.org/"); it is normalised to start and end with "/". A
// target is under it when its first segments decode to the base's
// (baseurl.Path's rule), however they are spelled; the value returned
// spells the base as base does, so that cookie paths and links agree.
// target must be an absolute path with an optional
// query; its fragment is dropped. Everything that a browser could read as
// another origin is refused: scheme-relative and backslash forms, schemes,
// control characters and whitespace browsers strip, encoded variants of
// those (every layer of percent-encoding is checked), and ".." segments
// leaving base.
//
// The value returned is built from parts, never copied: the base, then each
// further path segment decoded once and percent-encoded again (so "%2F" and "%5C" inside a
// segment stay encoded and "/" and "\" never appear in one), with "." and
// ".." segments, plain or percent-encoded, resolved here as a browser would
// and empty segments dropped; then "?" and the query with every byte a
// browser might drop or reinterpret percent-encoded. The result always
// starts with base and with exactly one "/", holds only printable ASCII, and
// a browser resolves it to the same path on the same origin.
func Location(target, base string) (string, bool) {
	b, err := baseurl.Parse(base)
	if err != nil {
		return "", false
	}
	out, ok := location(target, b)
	if !ok {
		return "", false
	}
	// The result must be a target this function accepts as it is: resolving
	// dot segments can bring an encoded slash to the front ("/./%2F" →
	// "/%2F"), a form refused when it comes first.
	if again, ok := location(out, b); !ok || again != out {
		return "", false
	}
	return out, true
}

// location is Location without the fixed-point check.
func location(target string, b baseurl.Path) (string, bool) {
	if target == "" || len(target) > 4096 {
		return "", false
	}
	if !utf8.ValidString(target) || target[0] != '/' {
		return "", false
	}
	// Raw form: no control or format characters, no backslash anywhere,
	// and no leading or trailing whitespace.
	if strings.ContainsRune(target, '\\') || hasBadRune(target) ||
		strings.TrimFunc(target, unicode.IsSpace) != target {
		return "", false
	}
	// A target that names the base in another spelling (other hex case,
	// raw UTF-8, "%40" for "@") is judged, and sent, in the base's own.
	if p, q, hasQ := strings.Cut(target, "?"); !strings.Contains(p, "#") {
		if rest, ok := b.Cut(p); ok {
			target = b.String() + rest
			if hasQ {
				target += "?" + q
			}
		}
	}
	// Every decoding layer's path must stay a plain path under base, each
	// compared with the base decoded as many times ("/user/100%2525/" is
	// "/user/100%25/" one layer down).
	layer, base := target, b.String()
	for i := 0; ; i++ {
		if !pathLayerOK(layer, base) {
			return "", false
		}
		dec, err := url.PathUnescape(layer)
		if err != nil && i == 0 {
			return "", false
		}
		if err != nil || dec == layer {
			break // a deeper layer that is not valid encoding is plain text ("100%25")
		}
		if i == maxDecode {
			return "", false
		}
		layer = dec
		if d, err := url.PathUnescape(base); err == nil {
			base = d
		}
	}

	rawPath, query, _ := strings.Cut(target, "?")
	rawPath, _, _ = strings.Cut(rawPath, "#")
	query, _, _ = strings.Cut(query, "#")
	p, ok := resolveSegments(rawPath)
	if !ok {
		return "", false
	}
	rest, ok := b.Cut(p)
	if !ok {
		if rest, ok = b.Cut(p + "/"); !ok || rest != "" {
			return "", false
		}
	}
	p = b.String() + rest
	if strings.Contains(target, "?") && query != "" {
		p += "?" + escapeQuery(query)
	}
	return p, true
}

// resolveSegments splits an absolute raw path into segments, decodes each
// once, resolves "." and ".." (plain or percent-encoded, as the WHATWG URL
// parser does; ".." stops at the root) and drops empty segments. It returns
// the re-escaped path: "/" followed by the segments, with a trailing slash
// when the last segment was empty, "." or "..".
func resolveSegments(rawPath string) (string, bool) {
	parts := strings.Split(rawPath[1:], "/")
	out := make([]string, 0, len(parts))
	trailing := false
	for _, raw := range parts {
		seg, err := url.PathUnescape(raw)
		if err != nil {
			return "", false
		}
		trailing = true
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, escapeSegment(seg))
			trailing = false
		}
	}
	p := "/" + strings.Join(out, "/")
	if trailing && len(out) > 0 {
		p += "/"
	}
	return p, true
}

// escapeSegment percent-encodes one decoded path segment: everything but
// RFC 3986's unreserved characters and the sub-delimiters, ":" and "@" that
// a path segment may hold literally. "/", "\", "%", "?", "#", spaces,
// controls and non-ASCII bytes are always encoded.
func escapeSegment(s string) string {
	return percent.Encode(s, "-._~!$&'()*+,;=:@")
}

// pathLayerOK checks one decoding layer of a redirect target: its path part
// (up to the first '?' or '#') must start with one "/" followed by neither
// "/" nor "\", hold no backslash, control or format character, and clean to
// a path under base.
func pathLayerOK(s, base string) bool {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	if strings.ContainsRune(s, '\\') || !utf8.ValidString(s) || hasBadRune(s) {
		return false
	}
	if strings.TrimFunc(s, unicode.IsSpace) != s {
		return false
	}
	return under(cleanPath(s), base)
}

// hasBadRune reports control characters, Unicode format characters (bidi
// overrides, zero-width joiners, BOM) and whitespace other than a plain
// space, all of which browsers may strip or render misleadingly.
func hasBadRune(s string) bool {
	for _, r := range s {
		switch {
		case r == ' ':
		case r < 0x20, r == 0x7f, unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.IsSpace(r):
			return true
		case r == utf8.RuneError:
			return true
		}
	}
	return false
}

// cleanPath is path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if c != "/" && strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c
}

// under reports whether the cleaned path p is base itself (with or without
// the trailing slash) or lies inside it.
func under(p, base string) bool {
	return strings.HasPrefix(p, base) || p+"/" == base
}

// escapeQuery percent-encodes the bytes of a raw query that must not appear
// literally in a Location header or that a browser would encode itself:
// controls, spaces, non-ASCII, the WHATWG special-query set (" # ' < >),
// backslash and backtick. So a browser reads the query exactly as sent.
func escapeQuery(q string) string {
	return percent.EncodeFunc(q, func(c byte) bool {
		return c <= ' ' || c >= 0x7f || strings.IndexByte("\"#'<>\\`", c) >= 0
	})
}
