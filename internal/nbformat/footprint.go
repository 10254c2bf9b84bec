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
// value. The garbage collector lets the heap grow to twice what is live
// before it collects (GOGC=100), so each term counts twice:
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
// small outputs, large outputs, large images and deeply nested metadata.
func Footprint(data []byte) int64 {
	var cells, tokens, maxTokens, maxBytes int64
	depth, start := 0, 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			i = stringEnd(data, i)
		case '{', '[':
			depth++
			if depth == 3 {
				cells++
				tokens, start = 0, i
			}
			if depth >= 3 {
				tokens++
			}
		case '}', ']':
			if depth == 3 {
				maxTokens = max(maxTokens, tokens)
				maxBytes = max(maxBytes, int64(i+1-start))
			}
			depth = max(depth-1, 0)
		case ',', ':':
			if depth >= 3 {
				tokens++
			}
		}
	}
	return FootprintFloor(int64(len(data))) + perCell*cells +
		cellBytesFactor*maxBytes + perToken*maxTokens + fixed
}

const (
	bytesFactor     = 3
	perCell         = 48
	cellBytesFactor = 2
	perToken        = 256
	fixed           = 8 << 20
)

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
