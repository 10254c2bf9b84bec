package trust_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"quire/internal/nbformat"
	"quire/internal/trust"
)

// FuzzSignature: for any notebook nbformat.Read accepts, Signature is
// deterministic, fails only where Python's would (a lone surrogate), and
// changes when any output value changes.
//
// "Changes" means the value's own stream changes. The stream has no
// separators or type tags (nbformat's design, which Quire must copy to
// interoperate), so edits that keep it are invisible: the string "1" for
// the number 1, "True" for true, ["a","b"] for "ab", or {"ab":"c"} for
// {"a":"bc"}. The mutation below always changes the stream: a string s
// becomes s+"~" (longer), any other leaf becomes "\x00~", which no
// Python str() of a number, bool or None produces.
func FuzzSignature(f *testing.F) {
	f.Add([]byte(`{"cells":[{"cell_type":"code","execution_count":1,"id":"a1","metadata":{"scrolled":false},"outputs":[{"output_type":"execute_result","execution_count":1,"data":{"text/plain":"0.5"},"metadata":{}}],"source":"1/2"}],"metadata":{"x":1.0},"nbformat":4,"nbformat_minor":5}`))
	f.Add([]byte(`{"cells":[{"cell_type":"code","execution_count":null,"metadata":{},"outputs":[{"output_type":"stream","name":"stdout","text":["a\n","b"]},{"output_type":"error","ename":"E","evalue":"","traceback":[]}],"source":[]}],"metadata":{},"nbformat":4,"nbformat_minor":4}`))
	f.Add([]byte(`{"cells":[],"metadata":{"x":"\ud800"},"nbformat":4,"nbformat_minor":5}`))
	g := gen{rand.New(rand.NewPCG(5, 6))}
	for range 8 {
		if s := g.notebook(); len(s) < 64<<10 {
			f.Add([]byte(s))
		}
	}
	n, err := trust.Open(trust.Options{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	defer n.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := nbformat.Read(data)
		if err != nil {
			return
		}
		s1, err := n.Signature(nb)
		if err != nil {
			if !strings.Contains(err.Error(), "surrogate") {
				t.Fatalf("Signature: %v", err)
			}
			return
		}
		if s2, _ := n.Signature(nb); s1 != s2 {
			t.Fatalf("Signature not deterministic: %s, %s", s1, s2)
		}
		// Read cell by cell, the file as written (with the ids a read may
		// have invented) signs as read whole.
		if file, err := nbformat.Marshal(nb); err == nil {
			whole, err1 := nbformat.Read(file)
			streamed, err2 := nbformat.ReadStreaming(file)
			if err1 != nil || err2 != nil {
				t.Fatalf("reading the written file: %v, %v", err1, err2)
			}
			w, err1 := n.Signature(whole)
			s, err2 := n.Signature(streamed)
			if w != s || (err1 == nil) != (err2 == nil) {
				t.Fatalf("streamed signature %s (%v), whole %s (%v)", s, err2, w, err1)
			}
		}
		if !mutateOutput(nb) {
			return
		}
		s3, err := n.Signature(nb)
		if err == nil && s3 == s1 {
			t.Fatalf("changing an output value kept signature %s", s1)
		}
	})
}

// mutateOutput changes the first leaf value (depth first, keys in sorted
// order) of the first output of any code cell; false if there is none.
func mutateOutput(nb *nbformat.Notebook) bool {
	cells, _ := nb.Doc["cells"].([]any)
	for _, c := range cells {
		cell, _ := c.(map[string]any)
		if cell == nil {
			continue
		}
		outs, _ := cell["outputs"].([]any)
		for i := range outs {
			if mutateLeaf(&outs[i]) {
				return true
			}
		}
	}
	return false
}

func mutateLeaf(v *any) bool {
	switch x := (*v).(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			e := x[k]
			if mutateLeaf(&e) {
				x[k] = e
				return true
			}
		}
		return false
	case []any:
		for i := range x {
			if mutateLeaf(&x[i]) {
				return true
			}
		}
		return false
	case string:
		*v = x + "~"
	default:
		*v = "\x00~"
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
