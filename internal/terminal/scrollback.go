package terminal

import "unicode/utf8"

// scrollback keeps the last limit bytes of a terminal's output, for a
// client that connects later. It grows with the output (append's doubling,
// capped at limit), so an idle terminal holds nothing; once full it is a
// ring and allocates no more.
type scrollback struct {
	limit int
	buf   []byte // len(buf) ≤ limit
	start int    // when len(buf) == limit: index of the oldest byte
}

func newScrollback(limit int) *scrollback { return &scrollback{limit: max(limit, 0)} }

// write adds p, dropping the oldest bytes past the limit.
func (s *scrollback) write(p []byte) {
	if s.limit == 0 {
		return
	}
	if len(p) >= s.limit {
		p = p[len(p)-s.limit:]
		if cap(s.buf) < s.limit {
			s.buf = make([]byte, s.limit)
		}
		s.buf = s.buf[:s.limit]
		copy(s.buf, p)
		s.start = 0
		return
	}
	if room := s.limit - len(s.buf); room > 0 {
		n := min(room, len(p))
		if len(s.buf)+n > cap(s.buf) {
			// Grow by doubling but never past the limit.
			grown := make([]byte, len(s.buf), min(max(2*cap(s.buf), len(s.buf)+n, 256), s.limit))
			copy(grown, s.buf)
			s.buf = grown
		}
		s.buf = append(s.buf, p[:n]...)
		p = p[n:]
	}
	for len(p) > 0 { // full: overwrite the oldest bytes
		n := copy(s.buf[s.start:], p)
		p = p[n:]
		s.start = (s.start + n) % s.limit
	}
}

// bytes returns a copy of the kept output, oldest first, starting at a
// character boundary (the ring may have cut a character in two).
func (s *scrollback) bytes() []byte {
	out := make([]byte, 0, len(s.buf))
	out = append(out, s.buf[s.start:]...)
	out = append(out, s.buf[:s.start]...)
	for i := 0; i < len(out) && i < utf8.UTFMax-1; i++ {
		if utf8.RuneStart(out[0]) {
			break
		}
		out = out[1:]
	}
	return out
}

// size is the number of bytes kept; allocated is what the buffer holds.
func (s *scrollback) size() int      { return len(s.buf) }
func (s *scrollback) allocated() int { return cap(s.buf) }
