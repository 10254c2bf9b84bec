package nbformat

import (
	"maps"
	"slices"
)

// Test hooks: the streaming readers with a lower lazyOutputsMin, so that
// small notebooks take the path of cells with large outputs arrays.

// ReadStreamingLazy is ReadStreaming leaving "outputs" arrays of min
// bytes or more undecoded.
func ReadStreamingLazy(data []byte, min int) (*Notebook, error) {
	return loadStreaming(data, true, min)
}

// FromJSONStreamingLazy is FromJSONStreaming leaving "outputs" arrays of
// min bytes or more undecoded.
func FromJSONStreamingLazy(raw []byte, min int) (*Notebook, error) {
	return loadStreaming(raw, false, min)
}

// LazyOutputs returns where the outputs arrays nb holds undecoded start,
// in order.
func LazyOutputs(nb *Notebook) []int {
	if nb.cells == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(nb.cells.lazy))
}

// LazyOutputsMin is the size from which ReadStreaming leaves an outputs
// array undecoded.
const LazyOutputsMin = lazyOutputsMin
