package nbformat

// Footprint estimates, from above for the notebooks measured, the peak
// memory in bytes that a server's request takes to read, check, sign and
// render the notebook in data (ReadStreaming or FromJSONStreaming,
// Validate, the trust check, Write or AppendJSON), so that it can refuse
// the request before it allocates.
//
// The notebook is held as its bytes plus 24 bytes a cell (its range and,
// while ids are checked, a hash), and one cell at a time is decoded into a
// tree: into a buffer of the cell's size, with some 100 bytes per JSON
// value. A cell's "outputs" array of lazyOutputsMin bytes or more is not
// decoded with it but one output at a time, after it: such a cell counts
// as the rest of it plus its largest output. The garbage collector lets
// the heap grow to twice what is live before it collects (GOGC=100), so
// each term counts twice:
//
//	bytesFactor × len(data) + perCell × cells
//	  + cellBytesFactor × largest cell + perToken × tokens of the largest cell
//	  + fixed
//
// where a cell is any value two levels down (an element of "cells"), and
// tokens are the structural characters ({ [ , :) outside strings. The
// largest cell is the one with the most tokens or the most bytes (which
// may be two different cells: both count). A v3 notebook, read as one
// tree, has its worksheets two levels down and is counted whole. Measured
// by internal/contents TestRequestMemory for notebooks of tiny cells, many
// small outputs, one cell of very many outputs, large outputs, large
// images and deeply nested metadata.
func Footprint(data []byte) int64 {
	return footprint(data, lazyOutputsMin)
}

// footprint is Footprint for a reader that leaves outputs arrays of
// lazyMin bytes or more undecoded (loadStreaming).
func footprint(data []byte, lazyMin int) int64 {
	f := footprinter{outs: -1}
	f.scan(data, lazyMin)
	return FootprintFloor(int64(len(data))) + perCell*f.cells +
		cellBytesFactor*f.maxBytes + perToken*f.maxTokens + fixed
}

// scan reads data, with outputs arrays of lazyMin bytes or more counted
// one output at a time.
func (f *footprinter) scan(data []byte, lazyMin int) {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			end := stringEnd(data, i)
			if (f.depth == 1 || f.depth == 3 && f.inList) && colonAfter(data, end+1) {
				key := string(data[i:min(end+1, len(data))])
				if f.depth == 1 {
					f.cellsKey = key == `"cells"`
				} else {
					f.outputsKey = key == `"outputs"`
				}
			}
			i = end
		case '{', '[':
			f.depth++
			switch f.depth {
			case 2:
				f.inList = c == '[' && f.cellsKey
				if f.inList && f.track {
					f.lazy = f.lazy[:0] // a repeated "cells" key: the last list counts
				}
			case 3:
				f.cells++
				f.tokens, f.start = 0, i
				f.lazyBytes, f.lazyOut, f.lazyTokens = 0, 0, 0
				f.outputsKey = false
			case 4:
				if f.inList && c == '[' && f.outputsKey {
					f.outs, f.outsTokens = i, 0
					f.elem, f.elemTokens = i+1, 0
					f.outBytes, f.outTokens = 0, 0
				}
			}
			f.token()
		case '}', ']':
			if f.depth == 4 && f.outs >= 0 {
				f.endElem(i)
				if n := int64(i + 1 - f.outs); n >= int64(lazyMin) {
					// Left undecoded: its outputs count one at a time.
					f.tokens -= f.outsTokens
					f.lazyBytes += n
					f.lazyOut = max(f.lazyOut, f.outBytes)
					f.lazyTokens = max(f.lazyTokens, f.outTokens)
					if f.track {
						f.lazy = append(f.lazy, f.outs)
					}
				}
				f.outs = -1
			}
			if f.depth == 3 {
				f.maxTokens = max(f.maxTokens, f.tokens+f.lazyTokens)
				f.maxBytes = max(f.maxBytes, int64(i+1-f.start)-f.lazyBytes+f.lazyOut)
			}
			f.depth = max(f.depth-1, 0)
		case ',':
			if f.depth == 4 && f.outs >= 0 {
				f.endElem(i)
				f.elem, f.elemTokens = i+1, 0
			}
			f.token()
		case ':':
			f.token()
		}
	}
}

// footprinter is footprint's state.
type footprinter struct {
	depth, start int
	cells        int64
	tokens       int64 // of the current cell, but its large outputs arrays
	// The largest cell, counting a large outputs array as its largest
	// output: its bytes, its tokens.
	maxBytes, maxTokens int64
	// The last key read in the top-level object is "cells", in the
	// current cell "outputs"; the depth-2 array is the cells list.
	cellsKey, outputsKey, inList bool
	// The outputs array being read (outs ≥ 0: where it starts): its
	// tokens, where its current element starts and that element's
	// tokens, and its largest element.
	outs                int
	outsTokens          int64
	elem                int
	elemTokens          int64
	outBytes, outTokens int64
	// The current cell's large outputs arrays: their bytes, and their
	// largest output's bytes and tokens.
	lazyBytes, lazyOut, lazyTokens int64
	// With track set (tests), lazy gathers where the outputs arrays
	// counted one output at a time start.
	track bool
	lazy  []int
}

// token counts a structural character at f.depth.
func (f *footprinter) token() {
	if f.depth >= 3 {
		f.tokens++
	}
	if f.outs >= 0 {
		f.outsTokens++
		if f.depth >= 5 {
			f.elemTokens++
		}
	}
}

// endElem ends the outputs array's element that ends before i.
func (f *footprinter) endElem(i int) {
	f.outBytes = max(f.outBytes, int64(i-f.elem))
	f.outTokens = max(f.outTokens, f.elemTokens)
}

const (
	bytesFactor     = 3
	perCell         = 48
	cellBytesFactor = 2
	perToken        = 256
	fixed           = 8 << 20
)

// colonAfter reports whether the first byte from i on that is not JSON
// whitespace is ':' (the string before i is an object's key).
func colonAfter(data []byte, i int) bool {
	for ; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
		case ':':
			return true
		default:
			return false
		}
	}
	return false
}

// FootprintFloor is the least Footprint of n bytes of JSON, known before
// they are read: a caller charges it first, so that a request refused for
// want of memory has not read anything, and the rest once the bytes are
// there.
func FootprintFloor(n int64) int64 { return bytesFactor * n }

// StreamMin is the size from which ReadFor and FromJSONFor read a notebook
// cell by cell (ReadStreaming); below it they read it whole as a tree
// (Read, FromJSON), which decodes every cell once instead of once per
// walk (a GET checks, signs and renders the notebook) and so is two to
// three times faster. A tree costs up to some fifteen times its JSON (a
// notebook of tiny cells), so a request on a notebook under StreamMin
// takes at most about 60 MiB; past it, the memory of a request stays
// within four times the notebook's size, whatever its shape.
const StreamMin = 4 << 20

// ReadFor reads notebook file bytes as a tree under StreamMin bytes, cell
// by cell from there on.
func ReadFor(data []byte) (*Notebook, error) {
	if len(data) < StreamMin {
		return Read(data)
	}
	return ReadStreaming(data)
}

// FromJSONFor reads a REST "content" value as a tree under StreamMin
// bytes, cell by cell from there on.
func FromJSONFor(raw []byte) (*Notebook, error) {
	if len(raw) < StreamMin {
		return FromJSON(raw)
	}
	return FromJSONStreaming(raw)
}

// FootprintFor is the Footprint of reading data with ReadFor or
// FromJSONFor: FootprintTree under StreamMin, Footprint from there on.
func FootprintFor(data []byte) int64 {
	if len(data) < StreamMin {
		return FootprintTree(data)
	}
	return Footprint(data)
}

// FootprintTree estimates, from above, the peak memory of reading data
// whole as a tree (Read or FromJSON) and checking, signing and rendering
// it: a tree's cost follows the number of JSON values more than the
// number of bytes, and a file written with indentation grows with the
// nesting depth of every value, so it counts
//
//	treeBytesFactor × len(data) + treePerToken × tokens + treeIndentFactor × Σ depth
//
// where tokens are the structural characters ({ [ , :) outside strings
// and Σ depth sums the nesting depth at each (constants measured with
// the bench's hugenotebook shapes when every notebook was read as a tree).
func FootprintTree(data []byte) int64 {
	var tokens, indent, depth int64
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			i = stringEnd(data, i)
		case '{', '[':
			depth++
			tokens++
			indent += depth
		case '}', ']':
			depth = max(depth-1, 0)
		case ',', ':':
			tokens++
			indent += depth
		}
	}
	return treeBytesFactor*int64(len(data)) + treePerToken*tokens + treeIndentFactor*indent
}

const (
	treeBytesFactor  = 4
	treePerToken     = 128
	treeIndentFactor = 3
)

// stringEnd returns the index of the quote that closes the string opening
// at data[i] (len(data) if none): structure inside strings never counts.
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		if c := data[i]; c == '\\' {
			i++
		} else if c == '"' {
			return i
		}
	}
	return len(data)
}
