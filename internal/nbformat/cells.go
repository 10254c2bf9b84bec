package nbformat

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
)

// A notebook from ReadStreaming or FromJSONStreaming keeps its cells apart
// from Doc, as the byte ranges of the JSON they were read from, and
// decodes one cell at a time whenever they are walked (Validate, Cells,
// the encoders). A notebook held as a tree costs about three times its
// JSON for many small values (each map, slice and string header a few
// dozen bytes); this way it costs its bytes, 16 bytes a cell, and the
// tree of the one cell being looked at.

// cellSpan is the byte range of one cell's JSON value in cellList.data.
type cellSpan struct{ start, end int }

// A cell is decoded whole but for a large "outputs" array (lazyOutputsMin
// bytes of JSON or more): a cell of 200,000 small outputs would otherwise
// be a tree of ten times its bytes. Such an array stands in the decoded
// cell as an *outputList, whose outputs are decoded one at a time, each
// into the same buffer, whenever it is walked (EachOutput); nothing is
// kept per output. A tree of an array under the threshold is at most some
// 2 MiB (30 times its bytes for the smallest outputs), half a notebook of
// StreamMin bytes, the least that is read cell by cell.
const lazyOutputsMin = 64 << 10

// cellList is the cells of a notebook read by ReadStreaming.
type cellList struct {
	data  []byte // the document; the spans index it
	spans []cellSpan
	// ids are the ids given at load to cells of a 4.5+ notebook that had
	// none or repeated an earlier one (normalizeIDs), by cell index.
	ids   map[int]string
	minor int
	strip bool
	// lazyMin is the size from which an "outputs" array is left
	// undecoded (lazyOutputsMin; tests lower it). lazy maps the start of
	// each such array (a cell's "outputs" value) to its end, and need
	// gives, for each cell holding one, the buffer its decoding takes:
	// the rest of the cell and its largest output. lazyBytes and maxOut
	// gather these for the cell being scanned.
	lazyMin           int
	lazy              map[int]int
	need              map[int]int
	lazyBytes, maxOut int
	// checked is set once every cell has been prepared at load: the
	// outputs of a large array are checked then, not at every walk.
	checked bool
	// dec decodes one cell at a time into scratch, which holds the
	// largest cell (or, for a cell with a large outputs array, the rest
	// of the cell and its largest output): what a decoded cell points
	// into is overwritten by the next decode. gen counts the decodes, so
	// that an outputList of an earlier one is known stale.
	dec     decoder
	scratch []byte
	gen     uint64
}

// ReadStreaming is Read for a notebook too large to hold as a tree: the
// result keeps its cells as ranges of data (which must not change while
// the notebook is in use) and decodes them one at a time when walked.
// Errors, Validate, Marshal, Write, AppendJSON and Cells give exactly what
// they give for Read(data). A notebook that is not a v4 object with a
// cells list (v3, or one refused anyway) is read as Read does.
//
// A streamed notebook is not safe for concurrent use: each walk decodes
// into the same buffer.
func ReadStreaming(data []byte) (*Notebook, error) {
	return loadStreaming(data, true, lazyOutputsMin)
}

// FromJSONStreaming is FromJSON for a notebook too large to hold as a
// tree; see ReadStreaming.
func FromJSONStreaming(raw []byte) (*Notebook, error) {
	return loadStreaming(raw, false, lazyOutputsMin)
}

// cellsMark stands for the cells list in the top-level object while it is
// scanned, until load takes it out of Doc.
type cellsMark struct{}

// loadStreaming reads a notebook cell by cell, leaving "outputs" arrays of
// lazyMin bytes or more undecoded.
func loadStreaming(data []byte, strip bool, lazyMin int) (*Notebook, error) {
	d := &decoder{data: data, arena: make([]byte, 0, 4096)}
	d.skipSpace()
	if hasBOM(data) || d.pos >= len(data) || data[d.pos] != '{' {
		return load(data, strip, nil) // not an object: Read's error
	}
	l := &cellList{data: data, strip: strip, lazyMin: max(lazyMin, 1)}
	d.cells = l // the top level's "cells" go to l as ranges
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf(d.pos, "extra data after the JSON value")
	}
	doc := v.(map[string]any)
	if _, ok := doc["cells"].(cellsMark); !ok {
		return load(data, strip, nil) // no cells list: refused as Read refuses it
	}
	major, err := majorVersion(doc)
	if err != nil {
		return nil, err
	}
	if major != 4 {
		return load(data, strip, nil) // v3: upgraded as a tree
	}
	minor, _, err := minorVersion(doc)
	if err != nil {
		return nil, err
	}
	delete(doc, "cells")
	if err := prepareTop(doc, strip, false); err != nil {
		return nil, err
	}
	l.minor = minor
	if err := l.prepare(minor >= 5); err != nil {
		return nil, err
	}
	return &Notebook{Doc: doc, cells: l}, nil
}

func hasBOM(data []byte) bool {
	return len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF
}

// scanCells checks the syntax of the cells array at d.pos as array would
// decode it, recording each element's range in l, and the large outputs
// arrays of its cells (scanOutputs).
func (d *decoder) scanCells(l *cellList) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	// A repeated "cells" key: the last one is the list.
	l.spans, l.lazy, l.need = l.spans[:0], nil, nil
	d.pos++ // [
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return cellsMark{}, nil
	}
	d.discard, d.scan = true, l
	defer func() { d.discard, d.scan = false, nil }()
	mark := len(d.arena)
	err := d.elements(func() error {
		start := d.pos
		l.lazyBytes, l.maxOut = 0, 0
		if _, err := d.value(); err != nil {
			return err
		}
		d.arena = d.arena[:mark] // nothing points into it
		if l.lazyBytes > 0 {
			if l.need == nil {
				l.need = map[int]int{}
			}
			l.need[len(l.spans)] = d.pos - start - l.lazyBytes + l.maxOut
		}
		l.spans = append(l.spans, cellSpan{start, d.pos})
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.spans = shrink(l.spans)
	return cellsMark{}, nil
}

// scanOutputs checks the syntax of the "outputs" array at d.pos, a cell's
// value, as array would decode it; if it takes lazyMin bytes or more, l
// records it as one to leave undecoded.
func (d *decoder) scanOutputs(l *cellList) error {
	start := d.pos
	if err := d.enter(); err != nil {
		return err
	}
	d.pos++ // [
	d.skipSpace()
	maxOut := 0
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
	} else {
		mark := len(d.arena)
		err := d.elements(func() error {
			from := d.pos
			if _, err := d.value(); err != nil {
				return err
			}
			d.arena = d.arena[:mark] // nothing points into it (discard mode)
			maxOut = max(maxOut, d.pos-from)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if d.pos-start < l.lazyMin {
		return nil
	}
	if l.lazy == nil {
		l.lazy = map[int]int{}
	}
	l.lazy[start] = d.pos
	l.lazyBytes += d.pos - start
	l.maxOut = max(l.maxOut, maxOut)
	return nil
}

// elements reads the elements of a non-empty array whose "[" is behind
// d.pos: each reads one element's value at d.pos. After the "]", d.pos is
// past it and the depth entered for the array is left. (array has the
// same loop inline: it is the decoder's hot path.)
func (d *decoder) elements(each func() error) error {
	for {
		if err := each(); err != nil {
			return err
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return d.errorf(d.pos, "expecting ',' delimiter")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.errorf(d.pos, "expecting ',' delimiter")
		}
	}
}

// shrink returns s in a slice of its own length when appending left much
// spare capacity (up to half of it, for a million cells 8 MiB).
func shrink(s []cellSpan) []cellSpan {
	if cap(s)-len(s) < 1024 {
		return s
	}
	return append(make([]cellSpan, 0, len(s)), s...)
}

// prepare runs prepareCell on every cell and, when ids is set (a 4.5+
// notebook), gives each cell without an id, or with one an earlier cell
// has, a fresh one, as normalizeIDs does for a tree. As for a tree, a
// structural error comes before an id error, whichever cell comes first.
//
// Repeated ids are found from a 64-bit hash of each (8 bytes a cell, where
// a set of the ids would cost some 50): only cells whose hash repeats are
// compared exactly, in a second pass.
func (l *cellList) prepare(ids bool) error {
	var hashes []uint64
	var h idHasher
	if ids {
		h.seed = maphash.MakeSeed()
		hashes = make([]uint64, 0, len(l.spans))
	}
	var idErr error
	for i := range l.spans {
		c, err := l.decode(i)
		if err != nil {
			return err
		}
		if !ids || idErr != nil {
			continue
		}
		cell := c.(map[string]any) // prepareCell checked
		id, has := cell["id"]
		if !has {
			id = l.newID(i)
		}
		sum, ok := h.sum(id)
		if !ok {
			idErr = invalidf(`cell %d: "id" must be a string, not %s`, i, describe(id))
			continue
		}
		hashes = append(hashes, sum)
	}
	l.checked = true // every cell's outputs were checked
	if idErr != nil || !ids {
		return idErr
	}
	slices.Sort(hashes)
	var twice map[uint64]bool
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			if twice == nil {
				twice = map[uint64]bool{}
			}
			twice[hashes[i]] = true
		}
	}
	hashes = nil
	if twice == nil {
		return nil
	}
	seen := map[string]bool{}
	for i := range l.spans {
		c, err := l.decode(i) // with the ids given above
		if err != nil {
			return err
		}
		id := c.(map[string]any)["id"]
		if sum, _ := h.sum(id); !twice[sum] {
			continue
		}
		key, _ := idKey(id) // a copy: nothing of the cell is kept
		if seen[key] {
			key = "s" + l.newID(i)
		}
		seen[key] = true
	}
	return nil
}

// idHasher hashes cell ids so that ids equal in Python (idKey) hash alike.
type idHasher struct {
	seed maphash.Seed
	h    maphash.Hash
}

// sum hashes id, or returns false for an id of a type Python cannot hash.
func (h *idHasher) sum(id any) (uint64, bool) {
	h.h.SetSeed(h.seed)
	if s, ok := id.(string); ok {
		h.h.WriteByte('s') // as idKey, without building its string
		h.h.WriteString(s)
		return h.h.Sum64(), true
	}
	key, ok := idKey(id)
	if !ok {
		return 0, false
	}
	h.h.WriteString(key)
	return h.h.Sum64(), true
}

// newID gives cell i a fresh id.
func (l *cellList) newID(i int) string {
	if l.ids == nil {
		l.ids = map[int]string{}
	}
	id := newCellID()
	l.ids[i] = id
	return id
}

// decode returns cell i as Read would hold it (prepared, with the id
// normalizeIDs gave it), but for a large outputs array, which it holds as
// an *outputList. It and its strings are valid until the next decode.
func (l *cellList) decode(i int) (any, error) {
	sp := l.spans[i]
	n := sp.end - sp.start
	if need, ok := l.need[i]; ok {
		n = need
	}
	if cap(l.scratch) < n {
		l.scratch = make([]byte, 0, n) // decoded text is never longer
	}
	l.gen++
	d := &l.dec
	d.data, d.pos, d.depth, d.arena = l.data, sp.start, 2, l.scratch[:0]
	d.outs = nil
	if len(l.lazy) > 0 {
		d.outs = l
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	// The arena never outgrows scratch (need is an upper bound); were it
	// to, the outputs below must follow the cell's text where it now is.
	l.scratch = d.arena[:0]
	if cell, ok := v.(map[string]any); ok && d.outs != nil {
		if o, ok := cell["outputs"].(*outputList); ok {
			o.cell, o.mark = i, len(d.arena) // its outputs go after the cell's own text
		}
	}
	if err := prepareCell(i, v, l.minor, l.strip, d.view(0)); err != nil {
		return nil, err
	}
	if id, ok := l.ids[i]; ok {
		v.(map[string]any)["id"] = id
	}
	return v, nil
}

// outputList is a large "outputs" array of a cell decoded from a
// cellList, left undecoded: its outputs are decoded one at a time when it
// is walked (each), into the cell's buffer after the cell's own text.
type outputList struct {
	l          *cellList
	start, end int    // the array's JSON in l.data
	gen        uint64 // l.gen of the decode that made it
	cell       int    // the cell's index, for errors
	mark       int    // where in l.scratch the outputs are decoded
	// prepare is set for a code cell's outputs, which are prepared as
	// prepareCell prepares those of a tree; future as there.
	prepare, future bool
}

// outputList returns the outputs array starting at start, which l
// recorded as large, for the cell being decoded.
func (l *cellList) outputList(start int) *outputList {
	return &outputList{l: l, start: start, end: l.lazy[start], gen: l.gen}
}

// each calls f with each output in order, decoded (and prepared, for a
// code cell) as the tree reader holds it, stopping at f's first error. An
// output and its strings are valid only during the call. The list must
// belong to the cell decoded last, and is not walked again from within f.
func (o *outputList) each(f func(j int, out any) error) error {
	l := o.l
	if o.gen != l.gen {
		panic(fmt.Sprintf("nbformat: outputs of cell %d walked after another cell was decoded", o.cell))
	}
	d := &l.dec
	d.outs = nil
	pos := o.start + 1 // [
	for j := 0; ; j++ {
		d.data, d.pos = l.data, pos
		d.skipSpace()
		if j == 0 && (d.pos >= o.end || d.data[d.pos] == ']') {
			return nil
		}
		// The cell's depth is 3: an output's, as in a tree, 5.
		d.depth, d.arena = 4, l.scratch[o.mark:o.mark]
		v, err := d.value()
		if err != nil {
			return err
		}
		d.skipSpace()
		// ',' or ']': the syntax was checked at load.
		last := d.pos >= o.end || d.data[d.pos] != ','
		pos = d.pos + 1 // d is free for f's own walks
		if o.prepare {
			if err := prepareOutput(o.cell, j, v, o.future, d.view(0)); err != nil {
				return err
			}
		}
		if err := f(j, v); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// EachOutput calls f with each element of cell's "outputs" array in
// order, stopping at f's first error, and reports whether the cell has an
// outputs array at all (when it has not, f is never called). It is the
// way to a cell's outputs for any notebook: a cell from Cells of a
// notebook read by ReadStreaming holds a large outputs array undecoded,
// and its outputs are then decoded one at a time, each valid only during
// its call (as with Cells, copy what must outlive it), and only while the
// cell itself is (during the Cells call that gave it); f must not walk the
// same cell's outputs again. The outputs are those Read would hold: for a
// code cell, multiline strings joined.
func EachOutput(cell map[string]any, f func(j int, out any) error) (bool, error) {
	switch outs := cell["outputs"].(type) {
	case []any:
		for j, o := range outs {
			if err := f(j, o); err != nil {
				return true, err
			}
		}
		return true, nil
	case *outputList:
		return true, outs.each(f)
	}
	return false, nil
}

// size is the length of the cells' JSON, separators left out.
func (l *cellList) size() int {
	n := 0
	for _, sp := range l.spans {
		n += sp.end - sp.start
	}
	return n
}

// Cells calls f with each cell in order (a map[string]any for any
// notebook Read or FromJSON accepted), stopping at f's first error. For a
// notebook from ReadStreaming the cell and every string in it are valid
// only during the call: copy (strings.Clone) what must outlive it. Read a
// cell's outputs with EachOutput, not as cell["outputs"]: a large outputs
// array is held undecoded.
func (nb *Notebook) Cells(f func(i int, cell any) error) error {
	if nb.cells == nil {
		cells, _ := nb.Doc["cells"].([]any)
		for i, c := range cells {
			if err := f(i, c); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range nb.cells.spans {
		c, err := nb.cells.decode(i)
		if err != nil {
			return err
		}
		if err := f(i, c); err != nil {
			return err
		}
	}
	return nil
}

// CellsApart reports whether the notebook keeps its cells apart from Doc
// (ReadStreaming): Doc then has no "cells" key, and Cells is the only way
// to them.
func (nb *Notebook) CellsApart() bool { return nb != nil && nb.cells != nil }

// NumCells is the number of cells.
func (nb *Notebook) NumCells() int {
	if nb.cells != nil {
		return len(nb.cells.spans)
	}
	cells, _ := nb.Doc["cells"].([]any)
	return len(cells)
}

// cloneDeep copies v with its strings, so that nothing of it points into
// a decoder's arena.
func cloneDeep(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[strings.Clone(k)] = cloneDeep(x)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, x := range v {
			a[i] = cloneDeep(x)
		}
		return a
	case *outputList:
		var a []any
		// each cannot fail on a list it has walked at load.
		_ = v.each(func(_ int, x any) error {
			a = append(a, cloneDeep(x))
			return nil
		})
		if a == nil {
			a = []any{}
		}
		return a
	case string:
		return strings.Clone(v)
	case Number:
		return Number(strings.Clone(string(v)))
	}
	return v
}

// CheckCells refuses cells a v4.0–4.5 notebook cannot hold: non-objects
// and unknown cell types (newer minors may carry unknown types, which are
// kept). Jupyter would save these with a validation message; a server can
// refuse them so that a buggy client cannot write a notebook Jupyter then
// rejects.
func (nb *Notebook) CheckCells() error {
	if _, ok := nb.Doc["cells"].([]any); !ok && nb.cells == nil {
		return fmt.Errorf(`"cells" must be a list`)
	}
	if _, minor := nb.Version(); minor > 5 {
		return nil
	}
	return nb.Cells(func(i int, c any) error {
		cell, ok := c.(map[string]any)
		if !ok {
			return fmt.Errorf("cell %d is not an object", i)
		}
		switch ct := cell["cell_type"].(type) {
		case string:
			if !knownCell(ct) {
				return fmt.Errorf("cell %d has unknown cell_type %q", i, ct)
			}
		default:
			return fmt.Errorf("cell %d has no string cell_type", i)
		}
		return nil
	})
}

// Rich reports whether out is an output nbformat's check_cells distrusts:
// an execute_result or display_data with a key beyond output_type,
// execution_count and metadata.
func Rich(out map[string]any) bool {
	if t := out["output_type"]; t != "execute_result" && t != "display_data" {
		return false
	}
	for k := range out {
		if k != "output_type" && k != "execution_count" && k != "metadata" {
			return true
		}
	}
	return false
}

// errStop ends a walk of the cells early.
var errStop = errors.New("stop")

// RichOutputs calls f for each rich output (Rich) of nb's code cells
// until f returns false; it reports whether every call returned true. As
// with Cells, what f is given is valid only during the call.
func (nb *Notebook) RichOutputs(f func(out map[string]any) bool) bool {
	err := nb.Cells(func(_ int, c any) error {
		cell, _ := c.(map[string]any)
		if cell == nil || cell["cell_type"] != "code" {
			return nil
		}
		_, err := EachOutput(cell, func(_ int, o any) error {
			out, _ := o.(map[string]any)
			if out != nil && Rich(out) && !f(out) {
				return errStop
			}
			return nil
		})
		return err
	})
	return err == nil
}
