package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A name over 255 bytes or a path over 4095 answers 400 naming the limit
// on every method and route that takes a path, never 500 "Unhandled error"
// (issue #14 hole 7). Names just under the limit whose temporary or
// checkpoint file would be over it answer 400 too.
func TestNameTooLong(t *testing.T) {
	e := newEnv(t, envOpt{})
	long := strings.Repeat("n", 256)
	near := strings.Repeat("m", 250) + ".ipynb" // 256 with the suffix
	nearOK := strings.Repeat("k", 249) + ".ipynb"
	deep := strings.Repeat("d/", 2100) + "f.txt" // 4205 bytes, each name short
	e.write("a.txt", "x")
	e.write(nearOK, `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	save := `{"type":"file","format":"text","content":"x"}`
	for _, tc := range []struct{ method, target, body string }{
		{"GET", "/api/contents/" + long, ""},
		{"GET", "/api/contents/" + long + "/x.txt", ""},
		{"GET", "/api/contents/" + deep, ""},
		{"PUT", "/api/contents/" + long, save},
		{"PUT", "/api/contents/" + near, `{"type":"notebook","content":{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}}`},
		{"PUT", "/api/contents/" + deep, save},
		{"PATCH", "/api/contents/a.txt", `{"path":"` + long + `"}`},
		{"PATCH", "/api/contents/" + long, `{"path":"b.txt"}`},
		{"POST", "/api/contents/" + long, `{"type":"file"}`},
		{"POST", "/api/contents/", `{"copy_from":"` + long + `"}`},
		{"DELETE", "/api/contents/" + long, ""},
		{"GET", "/files/" + long, ""},
		{"GET", "/api/contents/" + long + "/checkpoints", ""},
		{"POST", "/api/contents/" + long + "/checkpoints", ""},
		{"POST", "/api/contents/" + nearOK + "/checkpoints", ""}, // its checkpoint name is 260 bytes
		{"POST", "/api/contents/" + long + "/checkpoints/checkpoint", ""},
		{"DELETE", "/api/contents/" + long + "/checkpoints/checkpoint", ""},
	} {
		name := tc.method + " " + tc.target
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		w := e.do(tc.method, tc.target, tc.body, "Content-Type", "application/json")
		var m struct{ Message string }
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		if w.Code != http.StatusBadRequest || !strings.Contains(m.Message, "255 bytes") {
			t.Errorf("%s: %d %s, want 400 naming the 255-byte limit", name, w.Code, w.Body)
		}
	}
}
