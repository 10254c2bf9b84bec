package nbformat

// DecodeValue parses one JSON document, as Read does a notebook (what
// Python's json.loads accepts), into the values a Notebook holds:
// map[string]any, []any, string, Number, bool and nil. Its strings are
// views of arena when its capacity holds len(data) (see FromJSONArena),
// else of a new buffer. Notebook trust uses it to compare a kernel
// message's output with a saved notebook's exactly as decoded here.
func DecodeValue(data, arena []byte) (any, error) {
	v, _, err := decodeInto(data, arena)
	return v, err
}
