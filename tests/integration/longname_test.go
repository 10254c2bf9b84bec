//go:build integration

package integration

import (
	"strings"
	"testing"
)

// A name over 255 bytes answers 400 naming the limit, not 500 "Unhandled
// error", on the contents routes and on kernels and sessions given such a
// path (issue #14 hole 7).
func TestLongNames(t *testing.T) {
	in := startQuire(t, opts{})
	long := strings.Repeat("n", 256)
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "api/contents/" + long, nil},
		{"PUT", "api/contents/" + long, map[string]any{"type": "file", "format": "text", "content": "x"}},
		{"PATCH", "api/contents/" + long, map[string]any{"path": "b.txt"}},
		{"POST", "api/contents/" + long, map[string]any{"type": "notebook"}},
		{"DELETE", "api/contents/" + long, nil},
		{"GET", "files/" + long, nil},
		{"POST", "api/kernels", map[string]any{"name": "python3", "path": long + "/x.ipynb"}},
		{"POST", "api/sessions", map[string]any{"path": long + ".ipynb", "type": "notebook", "kernel": map[string]any{"name": "python3"}}},
	} {
		status, b, _ := apiJSON(t, in, tc.method, tc.path, tc.body)
		if status != 400 || !strings.Contains(messageOf(b), "255 bytes") {
			t.Errorf("%s %.40s…: %d %s, want 400 naming the 255-byte limit", tc.method, tc.path, status, b)
		}
	}
}
