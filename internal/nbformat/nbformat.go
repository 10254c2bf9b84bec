// Package nbformat reads, validates, upgrades and writes Jupyter notebooks
// exactly as Python's nbformat does, so files saved by Quire are
// byte-for-byte what Jupyter would write.
//
// A notebook is held as a tree of plain JSON values: map[string]any,
// []any, string, Number (the original numeric lexeme, never reformatted),
// bool and nil. In memory, multiline strings are joined (the "in-memory"
// form the REST API sends); Marshal splits them again as nbformat does.
// ReadStreaming and FromJSONStreaming keep the cells apart, as ranges of
// the JSON they came from, decoded one cell at a time whenever they are
// walked (Cells, Validate, Marshal, Write, AppendJSON), and a cell's large
// outputs array one output at a time (EachOutput): a server's memory per
// request then follows the notebook's bytes, not its number of values.
// Write renders the file form in bounded memory.
//
// Differences from nbformat 5.x, all on inputs Jupyter itself never writes:
// nbformat 1 and 2 and a missing "nbformat" key are refused rather than
// converted; "nbformat" and "nbformat_minor" must be integers (Python
// crashes or misreads otherwise); a lone surrogate escape (\ud800) is kept
// and written back escaped, where Python can read it but fails to save the
// file; a cell_type or output_type that is not a string is refused even for
// minor versions newer than 4.5.
package nbformat

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"unsafe"
)

// Number is a JSON number kept as its original text, so that 0.1, 1e300,
// -0.0 and integers beyond 2^53 survive a read/write unchanged.
type Number string

// Notebook is a notebook in memory (v4, multiline strings joined).
//
// The strings of a notebook from Read or FromJSON are views of one buffer
// the size of the input: keeping any one of them (a cell id, say) keeps the
// whole buffer alive, so copy with strings.Clone what must outlive the
// notebook. A notebook from ReadStreaming or FromJSONStreaming has its
// cells outside Doc (CellsApart): they are reached through Cells, and what
// a cell holds is valid only until the next cell is decoded.
type Notebook struct {
	// Doc is the whole top-level object: cells, metadata, nbformat,
	// nbformat_minor.
	Doc map[string]any
	// trusted is MarkTrusted's mark; nil when not marked.
	trusted *bool
	// cells, if set, holds the cells instead of Doc (ReadStreaming).
	cells *cellList
}

// SyntaxError reports bytes that are not a JSON notebook at all.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

// ValidationError reports a notebook that parses but breaks the schema.
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return e.Msg }

func invalidf(format string, args ...any) error {
	return &ValidationError{Msg: fmt.Sprintf(format, args...)}
}

// Read parses notebook file bytes (any nbformat 3 or 4.x), upgrading v3 to
// v4 and joining multiline strings. Structural problems that make the
// document unusable (not an object, cells not a list, …) are errors;
// softer schema violations are returned by Validate.
//
// As nbformat.reads does, Read strips transient keys (metadata.signature,
// metadata.orig_nbformat, metadata.orig_nbformat_minor, every cell's
// metadata.trusted) from v4 files, and gives cells of a 4.5+ notebook that
// lack an id, or repeat one, a fresh random id.
func Read(data []byte) (*Notebook, error) {
	return load(data, true, nil)
}

// ReadArena is Read decoding every string into arena (used if its capacity
// holds len(data)) instead of a new buffer; see FromJSONArena.
func ReadArena(data, arena []byte) (*Notebook, error) {
	return load(data, true, arena)
}

// FromJSON builds a notebook from the REST API's "content" value (a JSON
// object in in-memory or on-disk form). It joins multiline strings like
// Read but keeps transient keys: a save needs the cells' metadata.trusted
// to decide whether to sign the notebook (Marshal drops them).
func FromJSON(raw []byte) (*Notebook, error) {
	return load(raw, false, nil)
}

// FromJSONArena is FromJSON decoding every string into arena (used if its
// capacity holds len(raw)) instead of a new buffer. The notebook's strings
// point into arena: the caller may reuse arena only once the notebook and
// every string taken from it are gone.
func FromJSONArena(raw, arena []byte) (*Notebook, error) {
	return load(raw, false, arena)
}

func load(data []byte, strip bool, buf []byte) (*Notebook, error) {
	v, arena, err := decodeInto(data, buf)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf("notebook is not a JSON object")
	}
	major, err := majorVersion(doc)
	if err != nil {
		return nil, err
	}
	switch major {
	case 3:
		if err := upgradeV3(doc); err != nil {
			return nil, err
		}
	case 4:
		minor, _, err := minorVersion(doc)
		if err != nil {
			return nil, err
		}
		if err := prepare(doc, minor, strip, arena); err != nil {
			return nil, err
		}
	}
	nb := &Notebook{Doc: doc}
	if err := nb.normalizeIDs(); err != nil {
		return nil, err
	}
	return nb, nil
}

// majorVersion returns the notebook's "nbformat", which must be 3 or 4.
func majorVersion(doc map[string]any) (int, error) {
	raw, ok := doc["nbformat"]
	if !ok {
		return 0, invalidf(`notebook has no "nbformat" version key`)
	}
	n, ok := asNumber(raw)
	if !ok || !n.IsInt() {
		return 0, invalidf(`notebook "nbformat" must be an integer, not %s`, describe(raw))
	}
	v, ok := n.Int64()
	if !ok || v < 3 || v > 4 {
		if v == 1 || v == 2 {
			return 0, invalidf("nbformat %d notebooks are not supported (convert with: jupyter nbconvert --to notebook)", v)
		}
		return 0, invalidf("unsupported nbformat version %s", string(n))
	}
	return int(v), nil
}

// minorVersion returns "nbformat_minor" (0 when missing, as nbformat
// assumes); a present value must be an integer. Huge values saturate.
func minorVersion(doc map[string]any) (minor int, present bool, err error) {
	raw, ok := doc["nbformat_minor"]
	if !ok {
		return 0, false, nil
	}
	n, ok := asNumber(raw)
	if !ok || !n.IsInt() {
		return 0, true, invalidf(`notebook "nbformat_minor" must be an integer, not %s`, describe(raw))
	}
	v, ok := n.Int64()
	if !ok || v > math.MaxInt32 || v < math.MinInt32 {
		if strings.HasPrefix(string(n), "-") {
			return math.MinInt32, true, nil
		}
		return math.MaxInt32, true, nil
	}
	return int(v), true, nil
}

// Version returns the notebook's nbformat and nbformat_minor (-1 when not
// an integer).
func (nb *Notebook) Version() (major, minor int) {
	major, minor = -1, -1
	if n, ok := asNumber(nb.Doc["nbformat"]); ok {
		if v, ok := n.Int64(); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			major = int(v)
		}
	}
	if m, _, err := minorVersion(nb.Doc); err == nil {
		minor = m
	}
	return major, minor
}

// describe names a JSON value's type for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case Number:
		return "the number " + string(v)
	case []any, *outputList:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func isJSONMime(key string) bool {
	return key == "application/json" || strings.HasPrefix(key, "application/") && strings.HasSuffix(key, "+json")
}

// joinStrings returns the concatenation of a, or false if an element is not
// a string. When the strings lie back to back in arena (the decoder's; see
// decoder.arena), as the lines of a decoded multiline string do, the result
// is the slice of arena they span: nothing is copied.
func joinStrings(a []any, arena string) (string, bool) {
	n := 0
	for _, v := range a {
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		n += len(s)
	}
	if s, ok := span(a, arena, n); ok {
		return s, true
	}
	var b strings.Builder
	b.Grow(n)
	for _, v := range a {
		b.WriteString(v.(string))
	}
	return b.String(), true
}

// span returns the n bytes of arena that the strings of a cover, if they
// lie in it back to back. Only offsets are computed from the pointers; the
// result is an ordinary substring of arena.
func span(a []any, arena string, n int) (string, bool) {
	if arena == "" {
		return "", false
	}
	base := uintptr(unsafe.Pointer(unsafe.StringData(arena)))
	start, next := -1, 0
	for _, v := range a {
		s := v.(string)
		if s == "" {
			continue
		}
		off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - base
		if off >= uintptr(len(arena)) || uintptr(len(arena))-off < uintptr(len(s)) {
			return "", false // not in the arena (unsigned: also before it)
		}
		if start < 0 {
			start = int(off)
		} else if int(off) != next {
			return "", false
		}
		next = int(off) + len(s)
	}
	if start < 0 {
		return "", true // only empty strings
	}
	return arena[start : start+n], true
}

// rejoinBundle joins list-of-strings values in a mimebundle, except under
// JSON mime types; lists holding anything else are left alone, as nbformat
// does.
func rejoinBundle(b map[string]any, arena string) {
	for k, v := range b {
		if a, ok := v.([]any); ok && !isJSONMime(k) {
			if s, ok := joinStrings(a, arena); ok {
				b[k] = s
			}
		}
	}
}

// multiline joins a "multiline string" value at where; ok is false when it
// is neither a string nor a list of strings.
func multiline(v any, arena string) (any, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []any:
		s, ok := joinStrings(v, arena)
		if !ok {
			return v, false
		}
		return s, true
	}
	return v, false
}

func knownCell(t string) bool { return t == "code" || t == "markdown" || t == "raw" }

func knownOutput(t string) bool {
	return t == "execute_result" || t == "display_data" || t == "stream" || t == "error"
}

// prepare checks the structure a v4 notebook needs to be usable, joins
// multiline strings (nbformat's rejoin_lines) and, when strip is set, drops
// transient keys (strip_transient).
func prepare(doc map[string]any, minor int, strip bool, arena string) error {
	if err := prepareTop(doc, strip, true); err != nil {
		return err
	}
	cells := doc["cells"].([]any) // prepareTop checked
	for i, c := range cells {
		if err := prepareCell(i, c, minor, strip, arena); err != nil {
			return err
		}
	}
	return nil
}

// prepareTop is prepare's part for the top-level object; hasCells says
// whether doc must hold the cells list (not when they are kept apart, as
// raw JSON: see cellList).
func prepareTop(doc map[string]any, strip, hasCells bool) error {
	meta, ok := doc["metadata"].(map[string]any)
	if !ok {
		if _, present := doc["metadata"]; !present {
			return invalidf(`notebook has no "metadata"`)
		}
		return invalidf(`notebook "metadata" must be an object, not %s`, describe(doc["metadata"]))
	}
	if hasCells {
		if _, ok := doc["cells"].([]any); !ok {
			if _, present := doc["cells"]; !present {
				return invalidf(`notebook has no "cells"`)
			}
			return invalidf(`notebook "cells" must be an array, not %s`, describe(doc["cells"]))
		}
	}
	if strip {
		delete(meta, "orig_nbformat")
		delete(meta, "orig_nbformat_minor")
		delete(meta, "signature")
	}
	return nil
}

// prepareCell is prepare's part for cell i.
func prepareCell(i int, c any, minor int, strip bool, arena string) error {
	future := minor > 5 // newer minors may hold cell and output types we do not know
	cell, ok := c.(map[string]any)
	if !ok {
		return invalidf("cell %d must be an object, not %s", i, describe(c))
	}
	cm, ok := cell["metadata"].(map[string]any)
	if !ok {
		return invalidf(`cell %d: "metadata" must be an object, not %s`, i, describe(cell["metadata"]))
	}
	if strip {
		delete(cm, "trusted")
	}
	ct, ok := cell["cell_type"].(string)
	if !ok {
		return invalidf(`cell %d: "cell_type" must be a string, not %s`, i, describe(cell["cell_type"]))
	}
	known := knownCell(ct)
	if !known && !future {
		return invalidf(`cell %d: unknown "cell_type" %q`, i, ct)
	}
	if src, present := cell["source"]; present {
		s, ok := multiline(src, arena)
		if !ok {
			if _, isList := src.([]any); isList || known {
				return invalidf(`cell %d: "source" must be a string or an array of strings`, i)
			}
		}
		cell["source"] = s
	}
	if att, present := cell["attachments"]; present {
		am, ok := att.(map[string]any)
		if !ok {
			return invalidf(`cell %d: "attachments" must be an object, not %s`, i, describe(att))
		}
		for name, b := range am {
			bm, ok := b.(map[string]any)
			if !ok {
				return invalidf("cell %d: attachment %q must be an object, not %s", i, name, describe(b))
			}
			rejoinBundle(bm, arena)
		}
	}
	if ct != "code" {
		return nil
	}
	switch outs := cell["outputs"].(type) {
	case []any:
		for j, o := range outs {
			if err := prepareOutput(i, j, o, future, arena); err != nil {
				return err
			}
		}
	case *outputList:
		// Its outputs are prepared as they are walked, and checked once,
		// when the notebook is loaded.
		outs.prepare, outs.future = true, future
		if !outs.l.checked {
			return outs.each(func(int, any) error { return nil })
		}
	default:
		return invalidf(`cell %d: "outputs" must be an array, not %s`, i, describe(cell["outputs"]))
	}
	return nil
}

// prepareOutput is prepareCell's part for output j of code cell i.
func prepareOutput(i, j int, o any, future bool, arena string) error {
	out, ok := o.(map[string]any)
	if !ok {
		return invalidf("cell %d output %d must be an object, not %s", i, j, describe(o))
	}
	ot, ok := out["output_type"].(string)
	if !ok {
		return invalidf(`cell %d output %d: "output_type" must be a string, not %s`, i, j, describe(out["output_type"]))
	}
	if !knownOutput(ot) && !future {
		return invalidf(`cell %d output %d: unknown "output_type" %q`, i, j, ot)
	}
	switch ot {
	case "execute_result", "display_data":
		if d, present := out["data"]; present {
			dm, ok := d.(map[string]any)
			if !ok {
				return invalidf(`cell %d output %d: "data" must be an object, not %s`, i, j, describe(d))
			}
			rejoinBundle(dm, arena)
		}
	case "":
	default:
		t, present := out["text"]
		if !present {
			if ot == "stream" {
				return invalidf(`cell %d output %d: stream output has no "text"`, i, j)
			}
			return nil
		}
		s, ok := multiline(t, arena)
		if !ok {
			if _, isList := t.([]any); isList || ot == "stream" {
				return invalidf(`cell %d output %d: "text" must be a string or an array of strings`, i, j)
			}
		}
		out["text"] = s
	}
	return nil
}

// newCellID returns 8 random hex digits, as nbformat's uuid4().hex[:8].
func newCellID() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}

// idKey returns a key under which two ids compare equal exactly when they
// are equal in Python (1 == 1.0 == True), or false for unhashable ids.
func idKey(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return "s" + v, true
	case nil:
		return "null", true
	case bool:
		if v {
			return "n1", true
		}
		return "n0", true
	case Number:
		if v.IsInt() {
			s, _ := v.Python()
			return "n" + s, true
		}
		f, err := v.Float64()
		if err != nil || math.IsNaN(f) {
			return "nan" + newCellID(), true // NaN never equals another NaN
		}
		if !math.IsInf(f, 0) && f == math.Trunc(f) {
			i, _ := new(big.Float).SetFloat64(f).Int(nil)
			return "n" + i.String(), true
		}
		return "n" + pyFloatRepr(f), true
	}
	return "", false
}

// normalizeIDs does what nbformat's validate() does to 4.5+ notebooks on
// every read and write: give each cell without an id a random one, then
// replace repeated ids with random ones.
func (nb *Notebook) normalizeIDs() error {
	major, minor := nb.Version()
	if major != 4 || minor < 5 {
		return nil
	}
	cells, _ := nb.Doc["cells"].([]any)
	for _, c := range cells {
		if cell, ok := c.(map[string]any); ok {
			if _, has := cell["id"]; !has {
				cell["id"] = newCellID()
			}
		}
	}
	seen := make(map[string]bool, len(cells))
	for i, c := range cells {
		cell, ok := c.(map[string]any)
		if !ok {
			continue
		}
		key, ok := idKey(cell["id"])
		if !ok {
			return invalidf(`cell %d: "id" must be a string, not %s`, i, describe(cell["id"]))
		}
		if seen[key] {
			id := newCellID()
			cell["id"] = id
			key = "s" + id
		}
		seen[key] = true
	}
	return nil
}

// MarshalJSON renders the in-memory form (joined strings) for the API:
// compact, keys sorted, numbers as their original lexemes (NaN and
// Infinity, which JSON cannot hold, as null), transient keys kept.
func (nb *Notebook) MarshalJSON() ([]byte, error) {
	if nb == nil {
		return []byte("null"), nil
	}
	return nb.AppendJSON(make([]byte, 0, nb.SizeHint()), nil)
}

// SizeHint estimates the length of MarshalJSON's output, for sizing a
// buffer that AppendJSON then fills without growing.
func (nb *Notebook) SizeHint() int {
	if nb == nil {
		return 4
	}
	n := sizeHint(nb.Doc, false)
	if nb.cells != nil {
		// The cells go out about as compact as they came in (closer to
		// it than not, from an indented file).
		n += nb.cells.size() + nb.cells.size()/16 + 16*len(nb.cells.spans)
	}
	return n
}

// AppendJSON appends what MarshalJSON renders to dst. If w is not nil,
// dst is written to w each time it has grown by about 128 KiB and then
// reused, so a notebook of any size goes out in bounded memory; the
// returned bytes are those not yet written. An error may come from w or
// from a value that cannot be encoded (possible only in notebooks built in
// Go rather than read); either way, part of the output may already be
// written.
func (nb *Notebook) AppendJSON(dst []byte, w io.Writer) ([]byte, error) {
	if nb == nil {
		return append(dst, "null"...), nil
	}
	e := &encoder{buf: dst, w: w, trusted: nb.trusted, cells: nb.cells}
	top := kPlain
	if nb.trusted != nil || nb.cells != nil {
		top = kTop // the kinds lead the encoder to the cells (and their metadata)
	}
	if err := e.value(nb.Doc, top); err != nil {
		return e.buf, err
	}
	return e.buf, nil
}

// Marshal renders file bytes identical to nbformat.write: indent 1, sorted
// keys, ensure_ascii=False, multiline strings split, trailing newline.
//
// Like nbformat.write, Marshal first gives the cells of a 4.5+ notebook
// missing or repeated ids fresh ones, in nb itself.
func Marshal(nb *Notebook) ([]byte, error) {
	if nb == nil || nb.Doc == nil {
		return nil, fmt.Errorf("nbformat: marshal of a nil notebook")
	}
	return MarshalAppend(make([]byte, 0, nb.FileSize()), nb)
}

// MarshalAppend is Marshal appending to dst, for a caller that brings a
// buffer (of FileSize capacity, to avoid growing it).
func MarshalAppend(dst []byte, nb *Notebook) ([]byte, error) {
	if nb == nil || nb.Doc == nil {
		return nil, fmt.Errorf("nbformat: marshal of a nil notebook")
	}
	if err := nb.normalizeIDs(); err != nil {
		return nil, err
	}
	e := &encoder{buf: dst, file: true, cells: nb.cells}
	if err := e.value(nb.Doc, kTop); err != nil {
		return nil, err
	}
	return append(e.buf, '\n'), nil
}

// Write writes to w what Marshal returns, in pieces of about 128 KiB as
// it renders them, so that a notebook of any size (and a file indented
// many times larger than its JSON) is written in bounded memory. Part of
// the file may be written when an error is returned.
func Write(w io.Writer, nb *Notebook) error {
	if nb == nil || nb.Doc == nil {
		return fmt.Errorf("nbformat: write of a nil notebook")
	}
	if err := nb.normalizeIDs(); err != nil {
		return err
	}
	e := &encoder{buf: make([]byte, 0, flushSize+flushSize/4), file: true, cells: nb.cells, w: w}
	if err := e.value(nb.Doc, kTop); err != nil {
		return err
	}
	_, err := w.Write(append(e.buf, '\n'))
	return err
}

// FileSize estimates, from above for notebooks read or decoded here, the
// length of what Marshal writes.
func (nb *Notebook) FileSize() int {
	if nb == nil || nb.Doc == nil {
		return 0
	}
	n := sizeHint(nb.Doc, true)
	if nb.cells != nil {
		n += 2*nb.cells.size() + 16*len(nb.cells.spans) // indentation: a guess
	}
	return n
}

// New returns an empty v4.5 notebook.
func New() *Notebook {
	return &Notebook{Doc: map[string]any{
		"cells": []any{}, "metadata": map[string]any{},
		"nbformat": Number("4"), "nbformat_minor": Number("5"),
	}}
}

// SetTrusted sets metadata.trusted on every code cell (transient; Marshal
// never writes it).
//
// A notebook from ReadStreaming cannot change its cells: SetTrusted is
// MarkTrusted for it.
func (nb *Notebook) SetTrusted(trusted bool) {
	if nb.cells != nil {
		nb.MarkTrusted(trusted)
		return
	}
	nb.trusted = nil
	cells, _ := nb.Doc["cells"].([]any)
	for _, c := range cells {
		cell, ok := c.(map[string]any)
		if !ok || cell["cell_type"] != "code" {
			continue
		}
		meta, ok := cell["metadata"].(map[string]any)
		if !ok {
			meta = map[string]any{}
			cell["metadata"] = meta
		}
		meta["trusted"] = trusted
	}
}

// MarkTrusted makes MarshalJSON and AppendJSON render the notebook as if
// SetTrusted(trusted) had been called, without changing Doc: setting the
// key in a million empty cell metadata objects would grow each of them
// (about 280 bytes a cell), for a value that is only ever sent. Marshal
// (the file form) never writes it either way. SetTrusted undoes it.
func (nb *Notebook) MarkTrusted(trusted bool) {
	nb.trusted = &trusted
}

// MarkedTrusted reports whether MarkTrusted(true) was the last word on nb:
// the contents service found its signature valid when it read it.
func (nb *Notebook) MarkedTrusted() bool {
	return nb != nil && nb.trusted != nil && *nb.trusted
}

// Clone returns a deep copy of nb, holding its cells in Doc even when nb
// keeps them apart (ReadStreaming), and without MarkTrusted's mark.
func (nb *Notebook) Clone() *Notebook {
	if nb.cells == nil {
		return &Notebook{Doc: cloneValue(nb.Doc).(map[string]any)}
	}
	doc := cloneValue(nb.Doc).(map[string]any)
	cells := make([]any, 0, len(nb.cells.spans))
	// decode cannot fail after a successful load.
	_ = nb.Cells(func(_ int, c any) error {
		cells = append(cells, cloneDeep(c))
		return nil
	})
	doc["cells"] = cells
	return &Notebook{Doc: doc}
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneValue(x)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, x := range v {
			a[i] = cloneValue(x)
		}
		return a
	}
	return v
}

// Equal reports whether a and b hold the same JSON values, comparing
// numbers by their lexemes.
func Equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, x := range a {
			y, ok := b[k]
			if !ok || !Equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !Equal(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
