package logx

import "strings"

// sensitiveParts are substrings of query keys whose values are secrets.
var sensitiveParts = []string{"token", "auth", "key", "code", "state", "xsrf", "password", "secret"}

// RedactQuery returns rawQuery with the value of every parameter whose key
// contains token, auth, key, code, state, xsrf, password or secret
// (case-insensitive, after percent-decoding the key) replaced by "[secret]".
// Both "&" and ";" separate parameters; order and other values are kept.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var b strings.Builder
	rest := rawQuery
	for {
		i := strings.IndexAny(rest, "&;")
		part := rest
		if i >= 0 {
			part = rest[:i]
		}
		b.WriteString(redactPair(part))
		if i < 0 {
			break
		}
		b.WriteByte(rest[i])
		rest = rest[i+1:]
	}
	return b.String()
}

func redactPair(part string) string {
	k, _, hasValue := strings.Cut(part, "=")
	if !sensitiveQueryKey(k) {
		return part
	}
	if !hasValue {
		return part // a bare key carries no value
	}
	return k + "=" + Secret
}

func sensitiveQueryKey(raw string) bool {
	k := raw
	// Decode repeatedly so that %2574oken is seen as token too.
	for range 4 {
		d := lenientUnescape(k)
		if d == k {
			break
		}
		k = d
	}
	k = strings.ToLower(k)
	l := strings.ToLower(raw)
	for _, p := range sensitiveParts {
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
