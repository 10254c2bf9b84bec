package nbformat

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind says where in the notebook a value sits, so the file encoder can
// split multiline strings and drop transient keys in one pass, without
// copying the notebook as nbformat's deepcopy + split_lines does.
type kind uint8

const (
	kPlain       kind = iota
	kTop              // the notebook object
	kTopMeta          // notebook metadata: drop orig_nbformat*, signature
	kCells            // the cells list
	kCell             // one cell
	kCellMeta         // cell metadata: drop trusted
	kAttachments      // {filename: mimebundle}
	kBundle           // mimebundle: split text/*, application/javascript, image/svg+xml
	kOutputs          // a code cell's outputs
	kOutput           // one output
	kSplit            // a multiline string: written as splitlines(keepends=True)
)

type encoder struct {
	buf    []byte
	file   bool // nbformat file form: indent 1, python numbers, split, strip
	indent int
	keys   []string // scratch stack of the sorted keys of open objects
	// trusted, if set (API form only), is written as metadata.trusted of
	// every code cell, as SetTrusted would have put it there (see
	// Notebook.MarkTrusted).
	trusted *bool
	// w, if set, receives buf each time it grows past flushSize; buf then
	// starts over, so memory stays bounded however big the notebook.
	w io.Writer
	// cells, if set, are the cells of the notebook object (kTop), which
	// has no "cells" key of its own.
	cells *cellList
}

// flushSize is how much the encoder collects before writing to its w.
const flushSize = 128 << 10

// flush writes buf to w once it holds flushSize bytes.
func (e *encoder) flush() error {
	if e.w == nil || len(e.buf) < flushSize {
		return nil
	}
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

// spaces is a newline and enough indentation for any notebook nbformat
// writes; deeper levels fall back to a loop.
const spaces = "\n                                                                "

func (e *encoder) newline() {
	if e.indent < len(spaces) {
		e.buf = append(e.buf, spaces[:1+e.indent]...)
		return
	}
	e.buf = append(e.buf, '\n')
	for range e.indent {
		e.buf = append(e.buf, ' ')
	}
}

// value writes v; k is only used in file mode.
func (e *encoder) value(v any, k kind) error {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if v {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case string:
		if k == kSplit && e.file {
			return e.lines(v)
		}
		if e.w != nil && len(v) > flushSize {
			return e.longString(v)
		}
		e.buf = appendString(e.buf, v)
	case Number:
		return e.number(v)
	case map[string]any:
		return e.object(v, k)
	case []any:
		return e.array(v, k)
	case *outputList:
		return e.list(k, v.each)
	// Conveniences for values built in Go rather than decoded.
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case float64:
		return e.float(v)
	case json.Number:
		return e.number(Number(v))
	case []string:
		a := make([]any, len(v))
		for i, s := range v {
			a[i] = s
		}
		return e.array(a, kPlain)
	case map[string]string:
		m := make(map[string]any, len(v))
		for key, s := range v {
			m[key] = s
		}
		return e.object(m, k)
	default:
		return fmt.Errorf("nbformat: cannot encode value of type %T", v)
	}
	return nil
}

func (e *encoder) float(f float64) error {
	if e.file {
		e.buf = append(e.buf, pyFloatRepr(f)...)
		return nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, 64)
	return nil
}

func (e *encoder) number(n Number) error {
	if e.file {
		s, err := n.Python()
		if err != nil {
			return err
		}
		e.buf = append(e.buf, s...)
		return nil
	}
	switch n {
	case "NaN", "Infinity", "-Infinity":
		// Not JSON: browsers' JSON.parse would refuse the whole model.
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if !validNumber(string(n)) {
		return fmt.Errorf("nbformat: invalid number %q", string(n))
	}
	e.buf = append(e.buf, n...)
	return nil
}

// child returns the kind of the value under key in an object of kind k.
func child(k kind, key string, obj map[string]any) kind {
	switch k {
	case kTop:
		switch key {
		case "metadata":
			return kTopMeta
		case "cells":
			return kCells
		}
	case kCell:
		switch key {
		case "source":
			return kSplit
		case "metadata":
			return kCellMeta
		case "attachments":
			return kAttachments
		case "outputs":
			if obj["cell_type"] == "code" {
				return kOutputs
			}
		}
	case kAttachments:
		return kBundle
	case kBundle:
		if len(key) >= 5 && key[:5] == "text/" || key == "application/javascript" || key == "image/svg+xml" {
			return kSplit
		}
	case kOutput:
		switch obj["output_type"] {
		case "execute_result", "display_data":
			if key == "data" {
				return kBundle
			}
		case "stream":
			if key == "text" {
				return kSplit
			}
		}
	}
	return kPlain
}

// skip reports whether key is transient in an object of kind k.
func skip(k kind, key string) bool {
	switch k {
	case kTopMeta:
		return key == "orig_nbformat" || key == "orig_nbformat_minor" || key == "signature"
	case kCellMeta:
		return key == "trusted"
	}
	return false
}

func (e *encoder) object(m map[string]any, k kind) error {
	// A code cell under MarkTrusted has a metadata object with "trusted",
	// whatever it held; its metadata is written by cellMeta.
	markCell := e.trusted != nil && k == kCell && m["cell_type"] == "code"
	base := len(e.keys)
	for key := range m {
		if e.file && skip(k, key) {
			continue
		}
		e.keys = append(e.keys, key)
	}
	if _, ok := m["metadata"]; markCell && !ok {
		e.keys = append(e.keys, "metadata")
	}
	apart := k == kTop && e.cells != nil
	if apart {
		e.keys = append(e.keys, "cells")
	}
	n := len(e.keys) - base
	if n == 0 {
		e.buf = append(e.buf, "{}"...)
		return nil
	}
	// Byte order of UTF-8 (and of WTF-8 lone surrogates) is code point
	// order, which is how Python's sort_keys orders str keys.
	slices.Sort(e.keys[base:])
	e.buf = append(e.buf, '{')
	e.indent++
	for i := range n {
		key := e.keys[base+i] // re-read: nested objects may grow e.keys
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if e.file {
			e.newline()
		}
		e.buf = appendString(e.buf, key)
		if e.file {
			e.buf = append(e.buf, ": "...)
		} else {
			e.buf = append(e.buf, ':')
		}
		ck := kPlain
		if e.file || e.trusted != nil {
			ck = child(k, key, m)
		}
		var err error
		switch {
		case apart && key == "cells":
			err = e.cellList(ck)
		case markCell && key == "metadata":
			err = e.cellMeta(m[key])
		default:
			err = e.value(m[key], ck)
		}
		if err != nil {
			return err
		}
		if err := e.flush(); err != nil {
			return err
		}
	}
	clear(e.keys[base:])
	e.keys = e.keys[:base]
	e.indent--
	if e.file {
		e.newline()
	}
	e.buf = append(e.buf, '}')
	return nil
}

// cellMeta writes a code cell's metadata under MarkTrusted: v with
// "trusted" set, or {"trusted": …} alone if v is not an object (as
// SetTrusted replaces it).
func (e *encoder) cellMeta(v any) error {
	m, _ := v.(map[string]any)
	base := len(e.keys)
	for key := range m {
		if key != "trusted" {
			e.keys = append(e.keys, key)
		}
	}
	e.keys = append(e.keys, "trusted")
	n := len(e.keys) - base
	slices.Sort(e.keys[base:])
	e.buf = append(e.buf, '{')
	for i := range n {
		key := e.keys[base+i]
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, key)
		e.buf = append(e.buf, ':')
		if key == "trusted" {
			e.buf = strconv.AppendBool(e.buf, *e.trusted)
			continue
		}
		if err := e.value(m[key], kPlain); err != nil {
			return err
		}
		if err := e.flush(); err != nil {
			return err
		}
	}
	clear(e.keys[base:])
	e.keys = e.keys[:base]
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) array(a []any, k kind) error {
	return e.list(k, func(f func(int, any) error) error {
		for i, v := range a {
			if err := f(i, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// cellList writes e.cells as array writes a list of kind k, decoding one
// cell at a time.
func (e *encoder) cellList(k kind) error {
	return e.list(k, func(f func(int, any) error) error {
		for i := range e.cells.spans {
			v, err := e.cells.decode(i)
			if err != nil {
				return err
			}
			if err := f(i, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// list writes the elements that each gives, in order, as a list of kind k.
func (e *encoder) list(k kind, each func(f func(i int, v any) error) error) error {
	ck := kPlain
	switch k {
	case kCells:
		ck = kCell
	case kOutputs:
		ck = kOutput
	}
	n := 0
	err := each(func(_ int, v any) error {
		if n == 0 {
			e.buf = append(e.buf, '[')
			e.indent++
		} else {
			e.buf = append(e.buf, ',')
		}
		n++
		if e.file {
			e.newline()
		}
		if err := e.value(v, ck); err != nil {
			return err
		}
		return e.flush()
	})
	if err != nil {
		return err
	}
	if n == 0 {
		e.buf = append(e.buf, "[]"...)
		return nil
	}
	e.indent--
	if e.file {
		e.newline()
	}
	e.buf = append(e.buf, ']')
	return nil
}

// lines writes s as the list str.splitlines(keepends=True) returns, in
// one pass that both finds the line breaks and escapes. With a writer, it
// flushes between lines, so that a multi-megabyte output does not make
// buf that large.
func (e *encoder) lines(s string) error {
	if s == "" {
		e.buf = append(e.buf, "[]"...)
		return nil
	}
	e.buf = append(e.buf, '[')
	e.indent++
	e.newline()
	e.buf = append(e.buf, '"')
	buf := e.buf
	run := 0 // start of the bytes not yet copied to buf
	for i := 0; ; {
		i = plainASCII(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		brk := 0 // length of a line break at i
		if c < utf8.RuneSelf {
			buf = append(buf, s[run:i]...)
			buf = append(buf, escapes[c]...)
			i++
			run = i
			if !lineBreak[c] {
				continue
			}
			if c == '\r' && i < len(s) && s[i] == '\n' {
				buf = append(buf, `\n`...)
				i++
				run = i
			}
			brk = 1
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				buf = append(buf, s[run:i]...)
				buf, i = appendInvalid(buf, s, i)
				run = i
				continue
			}
			i += n
			if r != 0x85 && r != 0x2028 && r != 0x2029 {
				continue
			}
			buf = append(buf, s[run:i]...)
			run = i
			brk = n
		}
		if brk > 0 && i < len(s) {
			// End this line and start the next.
			buf = append(buf, '"', ',')
			e.buf = buf
			if err := e.flush(); err != nil {
				return err
			}
			e.newline()
			buf = append(e.buf, '"')
		}
	}
	buf = append(buf, s[run:]...)
	e.buf = append(buf, '"')
	e.indent--
	e.newline()
	e.buf = append(e.buf, ']')
	return nil
}

// lineBreak marks the ASCII characters str.splitlines breaks after.
var lineBreak = [utf8.RuneSelf]bool{'\n': true, '\r': true, '\v': true, '\f': true, 0x1c: true, 0x1d: true, 0x1e: true}

// lineEnd returns the length of the line break starting at s[i] as Python's
// str.splitlines sees it (\n \r \r\n \v \f \x1c \x1d \x1e \x85 U+2028
// U+2029), or 0.
func lineEnd(s string, i int) int {
	switch c := s[i]; c {
	case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e:
		return 1
	case '\r':
		if i+1 < len(s) && s[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xC2:
		if i+1 < len(s) && s[i+1] == 0x85 {
			return 2
		}
	case 0xE2:
		if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

// forLines calls f for each line of s, with its line break kept.
func forLines(s string, f func(string)) {
	start := 0
	for i := 0; i < len(s); {
		n := lineEnd(s, i)
		if n == 0 {
			i++
			continue
		}
		i += n
		f(s[start:i])
		start = i
	}
	if start < len(s) {
		f(s[start:])
	}
}

// SplitLines splits s as Python's s.splitlines(keepends=True) does; the
// empty string gives an empty (non-nil) slice.
func SplitLines(s string) []string {
	out := []string{}
	forLines(s, func(l string) { out = append(out, l) })
	return out
}

// escapes maps ASCII bytes that json.dumps escapes to their escape.
var escapes = func() (t [128]string) {
	const hex = "0123456789abcdef"
	for c := range 0x20 {
		t[c] = `\u00` + string(hex[c>>4]) + string(hex[c&0xF])
	}
	t['\b'], t['\f'], t['\n'], t['\r'], t['\t'] = `\b`, `\f`, `\n`, `\r`, `\t`
	t['"'], t['\\'] = `\"`, `\\`
	return t
}()

// plainASCII returns the end of the run of bytes from i on that a JSON
// string holds as they are and that need no UTF-8 check: printable ASCII
// other than '"' and '\\'. It looks at eight bytes at a time.
func plainASCII(s string, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(s); i += 8 {
		// The compiler turns this into one 8-byte load.
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ ('"' * ones)
		b := x ^ ('\\' * ones)
		// Flags bytes < 0x20, '"', '\\' and bytes >= 0x80. The lowest
		// flagged byte is always a true hit (false ones only follow a true
		// one), so TrailingZeros finds the first.
		m := ((x-0x20*ones)&^x | (q-ones)&^q | (b-ones)&^b | x) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// appendString quotes s as json.dumps(ensure_ascii=False) does: only ",
// \ and control characters are escaped; everything else is kept as UTF-8.
// Lone surrogates (WTF-8) become \udXXX; other invalid bytes U+FFFD.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	buf = appendEscaped(buf, s)
	return append(buf, '"')
}

// appendEscaped appends the inside of appendString's quotes.
func appendEscaped(buf []byte, s string) []byte {
	run := 0
	for i := 0; ; {
		i = plainASCII(s, i)
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			buf = append(buf, s[run:i]...)
			buf = append(buf, escapes[c]...)
			i++
			run = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n != 1 {
			i += n
			continue
		}
		buf = append(buf, s[run:i]...)
		buf, i = appendInvalid(buf, s, i)
		run = i
	}
	return append(buf, s[run:]...)
}

// appendInvalid escapes the invalid UTF-8 at s[i]: a lone surrogate's
// WTF-8 as \udXXX, anything else as U+FFFD. It returns where to go on.
func appendInvalid(buf []byte, s string, i int) ([]byte, int) {
	if s[i] == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
		r := rune(0xD000) | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
		buf = append(buf, `\u`...)
		buf = strconv.AppendUint(buf, uint64(r), 16)
		return buf, i + 3
	}
	return append(buf, "\ufffd"...), i + 1
}

// longString writes a string longer than flushSize in pieces, flushing
// between them, so that a multi-megabyte output (an image) does not
// make buf that large.
func (e *encoder) longString(s string) error {
	e.buf = append(e.buf, '"')
	for len(s) > 0 {
		n := min(len(s), flushSize)
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n-- // never cut a character (or a WTF-8 surrogate) in two
		}
		if n == 0 {
			n = min(len(s), flushSize) // not UTF-8 at all: any cut will do
		}
		e.buf = appendEscaped(e.buf, s[:n])
		s = s[n:]
		if err := e.flush(); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '"')
	return nil
}

// sizeHint estimates the encoded size of v, so the output buffer is
// allocated once instead of being copied as it grows (a 20 MB notebook is
// mostly a few huge strings). In file form each line of a multiline string
// costs a newline, indentation, quotes, a comma and its escaped break.
func sizeHint(v any, file bool) int {
	switch v := v.(type) {
	case string:
		n := len(v) + len(v)/16 + 8
		if file {
			n += 12 * strings.Count(v, "\n")
		}
		return n
	case map[string]any:
		n := 2
		for k, x := range v {
			n += len(k) + 24 + sizeHint(x, file)
		}
		return n
	case []any:
		n := 2
		for _, x := range v {
			n += 16 + sizeHint(x, file)
		}
		return n
	}
	return 24
}
