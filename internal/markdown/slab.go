package markdown

// slab hands out zeroed values from chunks, so that the thousands of small
// nodes a document makes cost a few allocations. Every node lives as long
// as the render, so chunks are never freed early.
type slab[T any] struct{ buf []T }

func (s *slab[T]) new() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, min(max(2*cap(s.buf), 16), 256))
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}
