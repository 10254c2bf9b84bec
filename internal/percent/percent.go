// Package percent holds Quire's one percent-encoder (RFC 3986 "%XX" with
// upper-case hex). Each caller states which bytes it keeps, because each
// writes for a different reader: a .trashinfo Path, an RFC 5987 filename*,
// a Location path segment or query, a scrubbed URL in a log line.
package percent

import "strings"

// Encode percent-encodes every byte of s except ASCII letters, digits and
// the bytes in keep. Bytes of multi-byte UTF-8 sequences are always encoded.
func Encode(s, keep string) string {
	return EncodeFunc(s, func(c byte) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0)
	})
}

// EncodeFunc percent-encodes the bytes of s for which escape reports true
// and keeps the rest as they are.
func EncodeFunc(s string, escape func(c byte) bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !escape(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
