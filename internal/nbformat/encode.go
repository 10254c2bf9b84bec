package nbformat

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
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
}

func (e *encoder) newline() {
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
		e.buf = appendString(e.buf, v)
	case Number:
		return e.number(v)
	case map[string]any:
		return e.object(v, k)
	case []any:
		return e.array(v, k)
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
	keys := make([]string, 0, len(m))
	for key := range m {
		if e.file && skip(k, key) {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		e.buf = append(e.buf, "{}"...)
		return nil
	}
	// Byte order of UTF-8 (and of WTF-8 lone surrogates) is code point
	// order, which is how Python's sort_keys orders str keys.
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	e.indent++
	for i, key := range keys {
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
		if e.file {
			ck = child(k, key, m)
		}
		if err := e.value(m[key], ck); err != nil {
			return err
		}
	}
	e.indent--
	if e.file {
		e.newline()
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) array(a []any, k kind) error {
	if len(a) == 0 {
		e.buf = append(e.buf, "[]"...)
		return nil
	}
	ck := kPlain
	switch k {
	case kCells:
		ck = kCell
	case kOutputs:
		ck = kOutput
	}
	e.buf = append(e.buf, '[')
	e.indent++
	for i, v := range a {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if e.file {
			e.newline()
		}
		if err := e.value(v, ck); err != nil {
			return err
		}
	}
	e.indent--
	if e.file {
		e.newline()
	}
	e.buf = append(e.buf, ']')
	return nil
}

// lines writes s as the list str.splitlines(keepends=True) returns.
func (e *encoder) lines(s string) error {
	if s == "" {
		e.buf = append(e.buf, "[]"...)
		return nil
	}
	e.buf = append(e.buf, '[')
	e.indent++
	first := true
	forLines(s, func(line string) {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.newline()
		e.buf = appendString(e.buf, line)
	})
	e.indent--
	e.newline()
	e.buf = append(e.buf, ']')
	return nil
}

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

// appendString quotes s as json.dumps(ensure_ascii=False) does: only ",
// \ and control characters are escaped; everything else is kept as UTF-8.
// Lone surrogates (WTF-8) become \udXXX; other invalid bytes U+FFFD.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			buf = append(buf, escapes[c]...)
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n != 1 {
			i += n
			continue
		}
		buf = append(buf, s[start:i]...)
		if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
			r := rune(0xD000) | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			buf = append(buf, `\u`...)
			buf = strconv.AppendUint(buf, uint64(r), 16)
			i += 3
		} else {
			buf = append(buf, "\ufffd"...)
			i++
		}
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// sizeHint estimates the encoded size of v, so the output buffer is
// allocated once instead of being copied as it grows (a 20 MB notebook is
// mostly a few huge strings).
func sizeHint(v any) int {
	switch v := v.(type) {
	case string:
		return len(v) + len(v)/16 + 8
	case map[string]any:
		n := 2
		for k, x := range v {
			n += len(k) + 24 + sizeHint(x)
		}
		return n
	case []any:
		n := 2
		for _, x := range v {
			n += 16 + sizeHint(x)
		}
		return n
	}
	return 24
}
