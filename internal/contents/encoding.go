package contents

import (
	"encoding/base64"
	"strings"
)

// encodeBase64 encodes b as MIME base64 the way Python's encodebytes does:
// a newline after every 76 characters and after the last line ("" for no
// bytes).
func encodeBase64(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	const line = 76
	n := base64.StdEncoding.EncodedLen(len(b))
	out := make([]byte, n+(n+line-1)/line)
	enc := out[len(out)-n:] // encode at the end, then spread forward
	base64.StdEncoding.Encode(enc, b)
	w := 0
	for r := 0; r < n; r += line {
		end := min(r+line, n)
		w += copy(out[w:], enc[r:end])
		out[w] = '\n'
		w++
	}
	return string(out[:w])
}

// decodeBase64 decodes standard base64 with or without line breaks (CR,
// LF, spaces and tabs are ignored).
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n \t") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case '\r', '\n', ' ', '\t':
				return -1
			}
			return r
		}, s)
	}
	return base64.StdEncoding.DecodeString(s)
}
