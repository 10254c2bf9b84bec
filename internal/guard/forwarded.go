package guard

import (
	"net/http"
	"strings"
)

// rfc7239 reports whether a request's forwarding is read from RFC 7239
// Forwarded: only when it has a Forwarded header and no X-Forwarded-For at
// all. Proxies that speak X-Forwarded-* always send X-Forwarded-For and
// pass a client's own Forwarded header on untouched, so believing
// Forwarded next to X-Forwarded-For would believe the client. One family
// per request, never a mix.
func rfc7239(h http.Header) bool {
	return len(h.Values("Forwarded")) > 0 && len(forwarded(h, "X-Forwarded-For")) == 0
}

// forwardedElements parses every Forwarded header (RFC 7239 section 4),
// in order, into one map per element with lower-case parameter names and
// unquoted values. A malformed element becomes an empty map, so it still
// counts as a hop (and stops ClientIP's walk) but says nothing.
func forwardedElements(h http.Header) []map[string]string {
	var out []map[string]string
	for _, v := range h.Values("Forwarded") {
		for _, el := range splitQuoted(v, ',') {
			if strings.TrimSpace(el) == "" {
				continue
			}
			out = append(out, forwardedPairs(el))
		}
	}
	return out
}

// forwardedPairs parses one element: pairs "name=value" separated by ";",
// value a token or a quoted string. Any error yields an empty map.
func forwardedPairs(el string) map[string]string {
	m := map[string]string{}
	for _, pair := range splitQuoted(el, ';') {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, val, ok := strings.Cut(pair, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || !IsToken(name) {
			return map[string]string{}
		}
		val = strings.TrimSpace(val)
		if strings.HasPrefix(val, `"`) {
			u, ok := unquote(val)
			if !ok {
				return map[string]string{}
			}
			val = u
		} else if !IsToken(strings.NewReplacer(":", "", "[", "", "]", "").Replace(val)) {
			// Lenient: ":" and brackets belong in quotes, but hand-written
			// proxy configs leave "host=a.example:8443" bare. The value is
			// judged by parseHop or parseHost either way.
			return map[string]string{}
		}
		if _, dup := m[name]; dup { // a parameter may appear once (section 4)
			return map[string]string{}
		}
		m[name] = val
	}
	return m
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote reads a whole quoted-string (RFC 7230 section 3.2.6).
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s)-1 {
				return "", false
			}
			i++
			b.WriteByte(s[i])
		case c == '"' || c < 0x20 && c != '\t' || c == 0x7f:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// IsToken reports an RFC 7230 token (a header name, a Forwarded parameter).
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
