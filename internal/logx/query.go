package logx

import (
	"strings"

	"quire/internal/percent"
)

// secretWords are the substrings of a parameter name (case-insensitive,
// percent-decoded) whose value is a secret. It is the one list behind
// RedactQuery, RedactURL and Scrub's key=value rule: a new credential
// parameter (an OAuth code or state, a signed-URL signature) is added here.
var secretWords = []string{"token", "auth", "key", "code", "state", "xsrf", "password", "passwd", "secret", "session", "cookie"}

// maxNesting bounds how deep RedactURL follows a value that is itself a
// URL or query (next=/tree%3Fnext%3D…), each level possibly encoded once
// more. Past it, a value that could still hide a parameter is replaced
// whole by Secret: a secret is never kept because it was nested deeply.
const maxNesting = 8

// RedactQuery returns rawQuery with the value of every parameter whose key
// contains one of secretWords (case-insensitive, after percent-decoding the
// key) replaced by "[secret]". A value that is itself a URL, query or
// fragment (a login's next=/tree?token=…, percent-encoded once or more) is
// redacted the same way at every level, up to maxNesting. Both "&" and ";"
// separate parameters; order and other values are kept.
func RedactQuery(rawQuery string) string {
	return redactQuery(rawQuery, maxNesting)
}

// RedactURL returns s, a URL, path, query or fragment (a Referer, a next
// parameter, a URL inside an error), with the secrets RedactQuery finds in
// its path, query and fragment replaced.
func RedactURL(s string) string {
	return redactURL(s, maxNesting)
}

func redactURL(s string, depth int) string {
	if depth <= 0 {
		if strings.ContainsAny(s, "%=?#;&") {
			return Secret
		}
		return s
	}
	rest, frag, hasFrag := strings.Cut(s, "#")
	p, q, hasQuery := strings.Cut(rest, "?")
	// The path is read as a query too: "/a;token=x" and a value without
	// "?" such as "token=x" hide parameters as well.
	out := redactQuery(p, depth)
	if hasQuery {
		out += "?" + redactQuery(q, depth)
	}
	if hasFrag {
		out += "#" + redactQuery(frag, depth)
	}
	return out
}

func redactQuery(q string, depth int) string {
	if q == "" {
		return ""
	}
	if !strings.ContainsAny(q, "=%+?#") {
		return q // nothing that names or encodes a parameter
	}
	var b strings.Builder
	rest := q
	for {
		i := strings.IndexAny(rest, "&;")
		part := rest
		if i >= 0 {
			part = rest[:i]
		}
		b.WriteString(redactPair(part, depth))
		if i < 0 {
			break
		}
		b.WriteByte(rest[i])
		rest = rest[i+1:]
	}
	return b.String()
}

func redactPair(part string, depth int) string {
	k, v, hasValue := strings.Cut(part, "=")
	if !hasValue {
		return redactNested(part, depth) // a bare key may be an encoded query
	}
	if sensitiveQueryKey(k) {
		return k + "=" + Secret
	}
	// A key that hid a secret (or nested too deep to tell) may pair with
	// one: its value goes too.
	if rk := redactNested(k, depth); rk != k {
		return rk + "=" + Secret
	}
	return k + "=" + redactNested(v, depth)
}

// redactNested redacts x, a key or value that may itself be a URL or query,
// raw or percent-encoded. x is returned unchanged unless a secret was found
// in it; then the redacted text is returned re-encoded, so that its "&", "="
// and "#" cannot be mistaken for the outer query's.
func redactNested(x string, depth int) string {
	d := lenientUnescape(x)
	if d == x {
		if !strings.ContainsAny(x, "=?#;") {
			return x
		}
		return redactURL(x, depth-1)
	}
	r := redactURL(d, depth-1)
	if r == d {
		return x
	}
	return escape(r)
}

// escape percent-encodes every byte of s except letters, digits and
// -._~/:@!$'()*,[] (so "[secret]" and paths stay readable).
func escape(s string) string {
	return percent.Encode(s, "-._~/:@!$'()*,[]")
}

func sensitiveQueryKey(raw string) bool {
	k := raw
	// Decode repeatedly so that %2574oken is seen as token too.
	for range maxNesting {
		d := lenientUnescape(k)
		if d == k {
			break
		}
		k = d
	}
	k = strings.ToLower(k)
	l := strings.ToLower(raw)
	for _, p := range secretWords {
		if strings.Contains(k, p) || strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// lenientUnescape decodes '+' and every valid %XX escape, leaving invalid
// escapes as they are, as forgiving servers do.
func lenientUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
