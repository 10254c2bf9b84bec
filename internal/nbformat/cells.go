package nbformat

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"unsafe"
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

// cellList is the cells of a notebook read by ReadStreaming.
type cellList struct {
	data  []byte // the document; the spans index it
	spans []cellSpan
	// ids are the ids given at load to cells of a 4.5+ notebook that had
	// none or repeated an earlier one (normalizeIDs), by cell index.
	ids   map[int]string
	minor int
	strip bool
	// dec decodes one cell at a time into scratch, which holds the
	// largest cell: what a decoded cell points into is overwritten by the
	// next decode.
	dec     decoder
	scratch []byte
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
	return loadStreaming(data, true)
}

// FromJSONStreaming is FromJSON for a notebook too large to hold as a
// tree; see ReadStreaming.
func FromJSONStreaming(raw []byte) (*Notebook, error) {
	return loadStreaming(raw, false)
}

// cellsMark stands for the cells list in the top-level object while it is
// scanned, until load takes it out of Doc.
type cellsMark struct{}

func loadStreaming(data []byte, strip bool) (*Notebook, error) {
	d := &decoder{data: data, arena: make([]byte, 0, 4096)}
	d.skipSpace()
	if hasBOM(data) || d.pos >= len(data) || data[d.pos] != '{' {
		return load(data, strip, nil) // not an object: Read's error
	}
	l := &cellList{data: data, strip: strip}
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
// decode it, recording each element's range in l.
func (d *decoder) scanCells(l *cellList) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	l.spans = l.spans[:0]
	d.pos++ // [
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return cellsMark{}, nil
	}
	d.discard = true
	defer func() { d.discard = false }()
	mark := len(d.arena)
	for {
		start := d.pos
		if _, err := d.value(); err != nil {
			return nil, err
		}
		d.arena = d.arena[:mark] // nothing points into it
		l.spans = append(l.spans, cellSpan{start, d.pos})
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
			l.spans = shrink(l.spans)
			return cellsMark{}, nil
		default:
			return nil, d.errorf(d.pos, "expecting ',' delimiter")
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
// normalizeIDs gave it). It and its strings are valid until the next
// decode.
func (l *cellList) decode(i int) (any, error) {
	sp := l.spans[i]
	if n := sp.end - sp.start; cap(l.scratch) < n {
		l.scratch = make([]byte, 0, n) // decoded text is never longer
	}
	d := &l.dec
	d.data, d.pos, d.depth, d.arena = l.data, sp.start, 2, l.scratch[:0]
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	arena := ""
	if len(d.arena) > 0 {
		arena = unsafe.String(unsafe.SliceData(d.arena), len(d.arena))
	}
	if err := prepareCell(i, v, l.minor, l.strip, arena); err != nil {
		return nil, err
	}
	if id, ok := l.ids[i]; ok {
		v.(map[string]any)["id"] = id
	}
	return v, nil
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
// only during the call: copy (strings.Clone) what must outlive it.
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
		outputs, _ := cell["outputs"].([]any)
		for _, o := range outputs {
			out, _ := o.(map[string]any)
			if out != nil && Rich(out) && !f(out) {
				return errStop
			}
		}
		return nil
	})
	return err == nil
}
