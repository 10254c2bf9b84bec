package nbformat

// Compactor drops the whitespace between the tokens of JSON text fed to it
// in pieces, so that a notebook file indented as nbformat writes it (for
// deeply nested values, many times its JSON) is held at the size of its
// JSON. Whitespace inside strings is kept, and a run of whitespace
// between two bytes that could join into one token (1 2, tr ue) becomes a
// single space, so the result is valid JSON exactly when the input is,
// with the same values. Only syntax error positions differ: a reader that
// reports them parses the original bytes again.
//
// The zero value is ready; one Compactor handles one document.
type Compactor struct {
	inString, escape, space bool
	last                    byte // the last byte written outside a string
}

// joins reports whether c can be part of a bare token (a number or a
// literal), which whitespace must keep apart from the next one.
func joins(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':', '"', ' ', '\t', '\n', '\r', 0:
		return false
	}
	return true
}

// Append appends to dst the compacted form of p, the next piece of the
// document.
func (c *Compactor) Append(dst, p []byte) []byte {
	for i := 0; i < len(p); {
		if c.inString {
			// Copy the run up to the next quote or backslash at once.
			j := i
			for j < len(p) && !c.escape && p[j] != '"' && p[j] != '\\' {
				j++
			}
			dst = append(dst, p[i:j]...)
			if j == len(p) {
				return dst
			}
			b := p[j]
			dst = append(dst, b)
			switch {
			case c.escape:
				c.escape = false
			case b == '\\':
				c.escape = true
			case b == '"':
				c.inString = false
				c.last = '"'
			}
			i = j + 1
			continue
		}
		b := p[i]
		i++
		switch b {
		case ' ', '\t', '\n', '\r':
			c.space = true
			continue
		}
		if c.space && joins(c.last) && joins(b) {
			dst = append(dst, ' ')
		}
		c.space = false
		dst = append(dst, b)
		c.last = b
		if b == '"' {
			c.inString = true
		}
	}
	return dst
}
