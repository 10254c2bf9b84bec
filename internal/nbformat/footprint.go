package nbformat

// Footprint estimates, from above for the notebooks measured, the peak
// memory in bytes that reading, checking and writing the notebook in
// data takes (Read or FromJSON, Validate, the trust check, Marshal or
// AppendJSON), so that a server can refuse a request before it allocates.
//
// A notebook in memory is a tree of maps and slices: its cost follows the
// number of JSON values more than the number of bytes (a million tiny
// cells cost ten times their size, a few large outputs about twice), and
// a file written with indentation grows with the nesting depth of every
// value. Footprint counts both in one pass without allocating:
//
//	bytesFactor × len(data) + perToken × tokens + indentFactor × Σ depth
//
// where tokens are the structural characters ({ [ , :) outside strings
// and Σ depth sums the nesting depth at each of them (the indentation
// Marshal writes). The constants come from measured peaks of Quire's
// process (RSS) for notebooks of a million tiny cells, many small outputs,
// large outputs, large images and deeply nested metadata (bench:
// hugenotebook), with Go's default GC setting.
func Footprint(data []byte) int64 {
	var tokens, indent int64
	depth := int64(0)
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
			tokens++
			indent += depth
		case '}', ']':
			depth = max(depth-1, 0)
		case ',', ':':
			tokens++
			indent += depth
		}
	}
	return FootprintFloor(int64(len(data))) + perToken*tokens + indentFactor*indent
}

const (
	bytesFactor  = 4
	perToken     = 128
	indentFactor = 3
)

// FootprintFloor is the least Footprint of n bytes, known before they are
// read: a caller charges it first, so that a request refused for want of
// memory has not read anything, and the rest once the bytes are there.
func FootprintFloor(n int64) int64 { return bytesFactor * n }
