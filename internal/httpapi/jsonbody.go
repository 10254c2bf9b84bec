package httpapi

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// maxBodyDepth bounds nesting in request bodies (a notebook is shallow;
// deep nesting is only ever an attack on the parser).
const maxBodyDepth = 1000

// splitObject splits a JSON object into its members without decoding the
// values: each value is returned as a sub-slice of data, checked for
// well-formed structure. It replaces a reflective decode of the whole body,
// which costs more than the rest of a 20 MB notebook save; the values are
// fully validated later by whoever decodes them (nbformat for notebook
// content, encoding/json for small fields). A later duplicate key wins, as
// in Python's json.
func splitObject(data []byte) (map[string]json.RawMessage, error) {
	s := scanner{data: data}
	s.space()
	if s.pos >= len(data) {
		return nil, nil
	}
	if data[s.pos] == 'n' && string(data[s.pos:min(s.pos+4, len(data))]) == "null" {
		s.pos += 4
		s.space()
		if s.pos != len(data) {
			return nil, s.errorf("trailing data after the body")
		}
		return nil, nil
	}
	if data[s.pos] != '{' {
		return nil, s.errorf("the body must be a JSON object")
	}
	s.pos++
	out := map[string]json.RawMessage{}
	s.space()
	if s.peek() == '}' {
		s.pos++
	} else {
		for {
			s.space()
			if s.peek() != '"' {
				return nil, s.errorf("expected a string key")
			}
			kstart := s.pos
			if err := s.str(); err != nil {
				return nil, err
			}
			var key string
			if err := json.Unmarshal(data[kstart:s.pos], &key); err != nil {
				return nil, s.errorf("invalid key")
			}
			s.space()
			if s.peek() != ':' {
				return nil, s.errorf("expected ':' after a key")
			}
			s.pos++
			s.space()
			vstart := s.pos
			if err := s.value(1); err != nil {
				return nil, err
			}
			out[key] = data[vstart:s.pos]
			s.space()
			c := s.peek()
			s.pos++
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, s.errorf("expected ',' or '}' after a value")
			}
		}
	}
	s.space()
	if s.pos != len(data) {
		return nil, s.errorf("trailing data after the object")
	}
	return out, nil
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%s (at byte %d)", fmt.Sprintf(format, args...), s.pos)
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// str skips a string starting at its opening quote.
func (s *scanner) str() error {
	start := s.pos
	i := s.pos + 1
	for i < len(s.data) {
		// Skip 8 plain bytes at a time: most of a notebook body is long
		// strings without quotes, escapes or control characters.
		for i+8 <= len(s.data) && !specialIn(binary.LittleEndian.Uint64(s.data[i:])) {
			i += 8
		}
		if i >= len(s.data) {
			break
		}
		c := s.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(s.data[start+1 : i]) {
				s.pos = start
				return s.errorf("invalid UTF-8 in a string")
			}
			s.pos = i + 1
			return nil
		case c == '\\':
			n := escapeLen(s.data[i+1:])
			if n == 0 {
				s.pos = i
				return s.errorf("invalid escape in a string")
			}
			i += 1 + n
		case c < 0x20:
			s.pos = i
			return s.errorf("invalid control character in a string")
		default:
			i++
		}
	}
	s.pos = start
	return s.errorf("unterminated string")
}

func (s *scanner) value(depth int) error {
	if depth > maxBodyDepth {
		return s.errorf("nesting deeper than %d levels", maxBodyDepth)
	}
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		s.pos++
		s.space()
		if s.peek() == closer {
			s.pos++
			return nil
		}
		for {
			s.space()
			if c == '{' {
				if s.peek() != '"' {
					return s.errorf("expected a string key")
				}
				if err := s.str(); err != nil {
					return err
				}
				s.space()
				if s.peek() != ':' {
					return s.errorf("expected ':' after a key")
				}
				s.pos++
				s.space()
			}
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.space()
			next := s.peek()
			s.pos++
			if next == closer {
				return nil
			}
			if next != ',' {
				s.pos--
				return s.errorf("expected ',' or '%c'", closer)
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.pos
		for s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
			s.pos++
		}
		if !json.Valid(s.data[start:s.pos]) {
			s.pos = start
			return s.errorf("invalid number")
		}
		return nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
				s.pos += len(lit)
				return nil
			}
		}
		return s.errorf("invalid literal")
	case s.pos >= len(s.data):
		return s.errorf("unexpected end of JSON input")
	}
	return s.errorf("invalid character %q", s.peek())
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialIn reports whether any byte of w is a quote, a backslash or a
// control character (< 0x20): the bytes that end a plain run in a string.
func specialIn(w uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	below20 := (w - ones*0x20) & ^w & highs
	return below20|hasZero(w^(ones*'"'))|hasZero(w^(ones*'\\')) != 0
}

// escapeLen returns the length of the escape after a backslash, 0 if it
// is not a valid JSON escape.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) < 5 {
			return 0
		}
		for _, h := range b[1:5] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return 0
			}
		}
		return 5
	}
	return 0
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}
