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

// FootprintLazy is Footprint for ReadStreamingLazy(data, min), and where
// the outputs arrays it counts one output at a time start.
func FootprintLazy(data []byte, min int) (int64, []int) {
	f := footprinter{outs: -1, track: true}
	f.scan(data, min)
	return footprint(data, min), f.lazy
}

// LazyOutputsMin is the size from which ReadStreaming leaves an outputs
// array undecoded.
const LazyOutputsMin = lazyOutputsMin
