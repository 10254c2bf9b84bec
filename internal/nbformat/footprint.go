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
			// Skip the string: to the next unescaped quote.
			for i++; i < len(data); i++ {
				if c := data[i]; c == '\\' {
					i++
				} else if c == '"' {
					break
				}
			}
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
