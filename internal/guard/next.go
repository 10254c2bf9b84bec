// Package guard holds Quire's request-level security decisions that sit in
// front of authentication: the DNS-rebinding Host check, the Origin
// allow-list and CORS, default security headers, the client address behind
// trusted proxies, and SafeNext, the only judge of redirect targets.
package guard

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDecode bounds how many layers of percent-encoding SafeNext peels off
// before it gives up and refuses the target.
const maxDecode = 8

// SafeNext returns next if it is a same-site path under base, else base.
//
// base is the server's base URL path ("/" or "/prefix/"); it is normalised to
// start and end with "/". The result keeps next's query string and drops its
// fragment; its path is cleaned and re-escaped, so it always starts with base
// and with exactly one "/". Everything that a browser could read as another
// origin is refused: scheme-relative and backslash forms, schemes, control
// characters and whitespace browsers strip, encoded variants of those (every
// layer of percent-encoding is checked), and ".." segments leaving base.
func SafeNext(next, base string) string {
	base = normBase(base)
	if next == "" || len(next) > 4096 {
		return base
	}
	if !utf8.ValidString(next) || next[0] != '/' {
		return base
	}
	// Raw form: no control or format characters, no backslash anywhere,
	// and no leading or trailing whitespace.
	if strings.ContainsRune(next, '\\') || hasBadRune(next) ||
		strings.TrimFunc(next, unicode.IsSpace) != next {
		return base
	}
	// Every decoding layer's path must stay a plain path under base.
	layer := next
	for i := 0; ; i++ {
		if !pathLayerOK(layer, base) {
			return base
		}
		dec, err := url.PathUnescape(layer)
		if err != nil || dec == layer {
			break
		}
		if i == maxDecode {
			return base
		}
		layer = dec
	}

	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return base
	}
	p := cleanPath(u.Path)
	if !under(p, base) {
		return base
	}
	if p+"/" == base {
		p = base
	}
	out := (&url.URL{Path: p}).EscapedPath()
	// Belt and braces: the escaped form must still be a single-slash path
	// under base (EscapedPath never adds a slash, but keep the invariant local).
	if !strings.HasPrefix(out, base) || strings.HasPrefix(out, "//") {
		return base
	}
	if u.RawQuery != "" {
		out += "?" + escapeQuery(u.RawQuery)
	}
	return out
}

// normBase makes base start and end with "/".
func normBase(base string) string {
	if !strings.HasPrefix(base, "/") {
		base = "/" + base
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base
}

// pathLayerOK checks one decoding layer of a next target: its path part
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
// literally in a Location header: spaces, non-ASCII and a few delimiters.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '\\' || c == '#' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
