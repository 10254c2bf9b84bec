package markdown

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// escapeHTML writes s to b with &, <, > and " replaced by entities, which
// makes it safe both as element text and inside a double-quoted attribute.
func escapeHTML(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var r string
		switch s[i] {
		case '&':
			r = "&amp;"
		case '<':
			r = "&lt;"
		case '>':
			r = "&gt;"
		case '"':
			r = "&quot;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(r)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// writeURL writes a link destination as an attribute value: bytes that may
// not appear in a URL are percent-encoded (existing %XX escapes are kept),
// then the result is HTML-escaped. The scheme is not judged here.
func writeURL(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&':
			b.WriteString("&amp;")
		case c == '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b.WriteByte('%')
			} else {
				b.WriteString("%25")
			}
		case isURLSafe(c):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

// isURLSafe reports whether c may stay as it is in an href or src.
func isURLSafe(c byte) bool {
	if isAlnum(c) {
		return true
	}
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')', ';', '/', '?', ':', '@', '=', '+', '$', ',', '#':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isSpaceOrTab(c byte) bool { return c == ' ' || c == '\t' }

// isASCIIPunct reports whether c is one of CommonMark's ASCII punctuation
// characters, the ones a backslash may escape.
func isASCIIPunct(c byte) bool {
	return '!' <= c && c <= '/' || ':' <= c && c <= '@' || '[' <= c && c <= '`' || '{' <= c && c <= '~'
}

// entityLen returns the length of the entity or numeric character
// reference at the start of s ("&amp;", "&#35;", "&#x22;"), or 0.
// Only the shape is checked; decodeEntity says whether a name is known.
func entityLen(s string) int {
	if len(s) < 3 || s[0] != '&' {
		return 0
	}
	i := 1
	if s[1] == '#' {
		i = 2
		digits, max := 0, 7
		hexa := i < len(s) && (s[i] == 'x' || s[i] == 'X')
		if hexa {
			i++
			max = 6
		}
		for i < len(s) && digits <= max && (hexa && isHex(s[i]) || !hexa && '0' <= s[i] && s[i] <= '9') {
			i++
			digits++
		}
		if digits == 0 || digits > max || i >= len(s) || s[i] != ';' {
			return 0
		}
		return i + 1
	}
	for i < len(s) && i <= 32 && isAlnum(s[i]) {
		i++
	}
	if i == 1 || !isLetter(s[1]) || i >= len(s) || s[i] != ';' {
		return 0
	}
	return i + 1
}

// decodeEntity decodes a reference entityLen accepted. ok is false for an
// unknown name, which CommonMark leaves as literal text.
func decodeEntity(e string) (string, bool) {
	if e[1] == '#' {
		var n uint64
		var err error
		if e[2] == 'x' || e[2] == 'X' {
			n, err = strconv.ParseUint(e[3:len(e)-1], 16, 32)
		} else {
			n, err = strconv.ParseUint(e[2:len(e)-1], 10, 32)
		}
		r := rune(n)
		if err != nil || n == 0 || n > utf8.MaxRune || !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		return string(r), true
	}
	// html.UnescapeString builds its entity table on first use, not at init.
	d := html.UnescapeString(e)
	return d, d != e
}

// unescape resolves backslash escapes and entity references, as CommonMark
// does in link destinations, titles and info strings.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]) {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '&' {
			if n := entityLen(s[i:]); n > 0 {
				if d, ok := decodeEntity(s[i : i+n]); ok {
					b.WriteString(d)
					i += n - 1
					continue
				}
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// normalizeLabel turns a link label into its lookup key: Unicode case fold
// (simple upper then lower case, plus ß → ss) and internal whitespace collapsed.
func normalizeLabel(s string) string {
	s = strings.ToLower(strings.ToUpper(strings.Join(strings.Fields(s), " ")))
	if strings.Contains(s, "ß") { // the one full folding simple mappings miss
		s = strings.ReplaceAll(s, "ß", "ss")
	}
	return s
}
