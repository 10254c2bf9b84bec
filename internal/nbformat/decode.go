package nbformat

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// The decoder accepts exactly what Python's json.loads accepts on text read
// as UTF-8, so a file Jupyter opens is a file Quire opens and vice versa:
//
//   - whitespace is space, tab, CR and LF only;
//   - numbers follow the JSON grammar and are kept as their lexeme (Number);
//     NaN, Infinity and -Infinity are accepted as Python does;
//   - integers longer than 4300 digits are refused (Python 3.11+ refuses to
//     convert them);
//   - duplicate keys: the last value wins;
//   - raw control characters (< U+0020) inside strings are errors;
//   - invalid UTF-8 and a leading byte-order mark are errors (Python reads
//     notebooks with encoding="utf-8", which keeps the BOM, and json.loads
//     then refuses it);
//   - \uXXXX escapes of surrogate pairs are combined; a lone surrogate, which
//     Python keeps but a Go string cannot hold as a rune, is stored as its
//     3-byte generalized UTF-8 (WTF-8) form and written back as the same
//     \uXXXX escape, so nothing is lost;
//   - nesting deeper than maxDepth is an error (Python's recursion limit is
//     reached at about the same depth).
const (
	maxDepth     = 1000
	maxIntDigits = 4300
)

type decoder struct {
	data  []byte
	pos   int
	depth int
	// arena holds the bytes of every decoded string, key and number,
	// back to back; values are unsafe.String views of it. Its capacity is
	// len(data), which decoded text never exceeds (an escape is never
	// shorter than what it stands for), so it is allocated once and never
	// moves; bytes are only appended, never changed once handed out. It
	// has no pointers, so the garbage collector never scans it. Strings
	// decoded one after another are adjacent in it, which lets joinStrings
	// join the lines of a multiline string without copying them.
	arena []byte
	// Scratch stacks for the members of the arrays and objects being
	// decoded, so each gets one allocation of its final size.
	vals    []any
	members []member
	// discard checks the syntax without building values: objects and
	// arrays decode to nil, so nothing but the arena is written.
	discard bool
	// cells, when set, receives the element ranges of a "cells" array
	// directly in the top-level object, which is then only checked
	// (scanCells) and stands as cellsMark in the result (ReadStreaming).
	cells *cellList
	// scan is the list whose cells scanCells is checking: it records
	// their large "outputs" arrays (scanOutputs).
	scan *cellList
	// outs, when set, is the list a cell is decoded from: an "outputs"
	// array it recorded as large is left undecoded, as an *outputList.
	outs *cellList
}

type member struct {
	key string
	val any
}

// decode parses one JSON document. It returns the arena the strings in the
// result point into (see decoder.arena), as a string.
func decode(data []byte) (any, string, error) {
	return decodeInto(data, nil)
}

// decodeInto is decode with the arena in the caller's buffer, whose
// capacity is used if it holds len(data) (an arena never needs more).
func decodeInto(data, arena []byte) (any, string, error) {
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return nil, "", &SyntaxError{Msg: "notebook is not valid JSON: unexpected UTF-8 byte-order mark at line 1 column 1"}
	}
	if cap(arena) < len(data) {
		arena = make([]byte, 0, len(data))
	}
	d := &decoder{data: data, arena: arena[:0]}
	d.skipSpace()
	v, err := d.value()
	if err != nil {
		return nil, "", err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, "", d.errorf(d.pos, "extra data after the JSON value")
	}
	return v, unsafe.String(unsafe.SliceData(d.arena), len(d.arena)), nil
}

// view returns the arena bytes from start to its end as a string.
func (d *decoder) view(start int) string {
	if start == len(d.arena) {
		return ""
	}
	return unsafe.String(&d.arena[start], len(d.arena)-start)
}

// errorf builds a SyntaxError naming the line and column (1-based, in
// characters) of byte offset off.
func (d *decoder) errorf(off int, format string, args ...any) error {
	if off > len(d.data) {
		off = len(d.data)
	}
	line, lineStart := 1, 0
	for i := 0; i < off; i++ {
		if d.data[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	col := utf8.RuneCount(d.data[lineStart:off]) + 1
	return &SyntaxError{Msg: fmt.Sprintf("notebook is not valid JSON: %s at line %d column %d (byte %d)",
		fmt.Sprintf(format, args...), line, col, off)}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf(d.pos, "expecting value")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		return d.str()
	case 't':
		return d.literal("true", true)
	case 'f':
		return d.literal("false", false)
	case 'n':
		return d.literal("null", nil)
	case 'N':
		return d.literal("NaN", Number("NaN"))
	case 'I':
		return d.literal("Infinity", Number("Infinity"))
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, d.errorf(d.pos, "expecting value")
	}
}

func (d *decoder) literal(word string, v any) (any, error) {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return nil, d.errorf(d.pos, "expecting value")
	}
	d.pos += len(word)
	return v, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf(d.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // {
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		if d.discard {
			return nil, nil
		}
		return map[string]any{}, nil
	}
	base := len(d.members)
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf(d.pos, "expecting property name enclosed in double quotes")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf(d.pos, "expecting ':' delimiter")
		}
		d.pos++
		d.skipSpace()
		var v any
		switch {
		case d.cells != nil && d.depth == 1 && k == "cells" && d.pos < len(d.data) && d.data[d.pos] == '[':
			v, err = d.scanCells(d.cells)
		case d.scan != nil && d.depth == 3 && k == "outputs" && d.pos < len(d.data) && d.data[d.pos] == '[':
			err = d.scanOutputs(d.scan) // in discard mode: v stays nil
		case d.outs != nil && d.depth == 3 && k == "outputs" && d.outs.lazy[d.pos] > 0:
			v = d.outs.outputList(d.pos)
			d.pos = d.outs.lazy[d.pos]
		default:
			v, err = d.value()
		}
		if err != nil {
			return nil, err
		}
		if !d.discard {
			d.members = append(d.members, member{k, v})
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf(d.pos, "expecting ',' delimiter")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			d.depth--
			if d.discard {
				return nil, nil
			}
			ms := d.members[base:]
			m := make(map[string]any, len(ms))
			for _, kv := range ms {
				m[kv.key] = kv.val // a duplicate key: the last one wins, as in Python
			}
			clear(ms)
			d.members = d.members[:base]
			return m, nil
		default:
			return nil, d.errorf(d.pos, "expecting ',' delimiter")
		}
	}
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // [
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return []any{}, nil
	}
	base := len(d.vals)
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if !d.discard {
			d.vals = append(d.vals, v)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf(d.pos, "expecting ',' delimiter")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			d.depth--
			if d.discard {
				return nil, nil
			}
			a := make([]any, len(d.vals)-base)
			copy(a, d.vals[base:])
			clear(d.vals[base:])
			d.vals = d.vals[:base]
			return a, nil
		default:
			return nil, d.errorf(d.pos, "expecting ',' delimiter")
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)? or -Infinity.
func (d *decoder) number() (any, error) {
	start := d.pos
	i := d.pos
	data := d.data
	if data[i] == '-' {
		i++
		if i < len(data) && data[i] == 'I' {
			d.pos = i
			if _, err := d.literal("Infinity", nil); err != nil {
				return nil, err
			}
			return Number("-Infinity"), nil
		}
	}
	if i >= len(data) || !isDigit(data[i]) {
		return nil, d.errorf(start, "expecting value")
	}
	if data[i] == '0' {
		i++
	} else {
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	isInt := true
	if i+1 < len(data) && data[i] == '.' && isDigit(data[i+1]) {
		isInt = false
		i += 2
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		j := i + 1
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		if j < len(data) && isDigit(data[j]) {
			isInt = false
			for j < len(data) && isDigit(data[j]) {
				j++
			}
			i = j
		}
	}
	if isInt {
		digits := i - start
		if data[start] == '-' {
			digits--
		}
		if digits > maxIntDigits {
			return nil, d.errorf(start, "integer with more than %d digits", maxIntDigits)
		}
	}
	d.pos = i
	mark := len(d.arena)
	d.arena = append(d.arena, data[start:i]...)
	return Number(d.view(mark)), nil
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// hex4 reads the four hex digits at off, or returns -1.
func (d *decoder) hex4(off int) rune {
	if off+4 > len(d.data) {
		return -1
	}
	var r rune
	for _, c := range d.data[off : off+4] {
		h := hexVal(c)
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// plainRun returns the end of the run of bytes from i on that a JSON
// string holds as they are: not '"', '\\' or a control character. It
// looks at eight bytes at a time.
func plainRun(data []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		q := x ^ ('"' * ones)
		b := x ^ ('\\' * ones)
		// The lowest flagged byte is always a true hit (false ones can
		// only follow a true one), so TrailingZeros finds the first.
		m := ((x-0x20*ones)&^x | (q-ones)&^q | (b-ones)&^b) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(data); i++ {
		if c := data[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// str scans a string starting at the opening quote and returns it as a
// view of the arena.
func (d *decoder) str() (string, error) {
	data := d.data
	mark := len(d.arena)
	i := d.pos + 1
	for {
		run := i
		i = plainRun(data, i)
		if !utf8.Valid(data[run:i]) {
			return "", d.invalidUTF8(run, i)
		}
		d.arena = append(d.arena, data[run:i]...)
		if i >= len(data) {
			return "", d.errorf(d.pos, "unterminated string starting")
		}
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return d.view(mark), nil
		case c < 0x20:
			return "", d.errorf(i, "invalid control character in string")
		}
		// Backslash escape.
		if i+1 >= len(data) {
			return "", d.errorf(d.pos, "unterminated string starting")
		}
		switch e := data[i+1]; e {
		case '"', '\\', '/':
			d.arena = append(d.arena, e)
			i += 2
		case 'b':
			d.arena = append(d.arena, '\b')
			i += 2
		case 'f':
			d.arena = append(d.arena, '\f')
			i += 2
		case 'n':
			d.arena = append(d.arena, '\n')
			i += 2
		case 'r':
			d.arena = append(d.arena, '\r')
			i += 2
		case 't':
			d.arena = append(d.arena, '\t')
			i += 2
		case 'u':
			r := d.hex4(i + 2)
			if r < 0 {
				return "", d.errorf(i, "invalid \\uXXXX escape")
			}
			i += 6
			if r >= 0xD800 && r <= 0xDBFF && i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
				if lo := d.hex4(i + 2); lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			d.arena = appendWTF8(d.arena, r)
		default:
			return "", d.errorf(i, "invalid \\escape")
		}
	}
}

// appendWTF8 appends r as UTF-8, or a lone surrogate as its 3-byte form.
func appendWTF8(buf []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(buf, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(buf, r)
}

func (d *decoder) invalidUTF8(from, to int) error {
	s := d.data[from:to]
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			break
		}
		s = s[n:]
	}
	return d.errorf(to-len(s), "invalid UTF-8")
}
