// Package jsonstr appends JSON strings without reflection, boxing or a
// copy into a string: the escaper behind the contents API's models and
// the terminal WebSocket's stdout messages. (nbformat keeps its own, which
// writes what Python's json.dumps does, lone surrogates included.)
package jsonstr

import "unicode/utf8"

// Mode chooses what is escaped beyond what JSON requires.
type Mode uint8

const (
	// Plain escapes only what JSON requires: quote, backslash and control
	// characters. Invalid UTF-8 becomes \ufffd.
	Plain Mode = 0
	// HTMLSafe also escapes <, > and & (as \u003c, \u003e, \u0026) and
	// U+2028 and U+2029, as encoding/json does: the result is byte for
	// byte what json.Marshal writes for the same string.
	HTMLSafe Mode = 1
)

// Append appends s, quoted and escaped as m says, to dst. Runs of
// characters that need no escape are copied whole.
func Append[T ~string | ~[]byte](dst []byte, s T, m Mode) []byte {
	plain := &plainJSON
	if m&HTMLSafe != 0 {
		plain = &plainHTML
	}
	dst = append(dst, '"')
	start := 0 // s[start:i] is yet to be copied and needs no escape
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		// At most utf8.UTFMax bytes: converting them for the decoder does
		// not allocate.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if m&HTMLSafe != 0 && (r == '\u2028' || r == '\u2029') {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// plainJSON and plainHTML mark the ASCII bytes each mode copies as they are.
var plainJSON, plainHTML = func() (j, h [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		j[c] = c != '"' && c != '\\'
		h[c] = j[c] && c != '<' && c != '>' && c != '&'
	}
	return j, h
}()
