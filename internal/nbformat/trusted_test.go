package nbformat_test

import (
	"bytes"
	"testing"

	"quire/internal/nbformat"
)

// TestMarkTrustedRendersAsSetTrusted: for generated notebooks (valid,
// softly and hardly broken, v3), rendering with MarkTrusted is byte for
// byte what SetTrusted then rendering gives, streamed or not, and Doc is
// left unchanged.
func TestMarkTrustedRendersAsSetTrusted(t *testing.T) {
	// Cases SetTrusted treats apart, which Read refuses but a notebook
	// built in Go may hold: metadata missing or not an object, a cell that
	// is not an object; and metadata holding trusted already.
	odd, err := nbformat.Read([]byte(`{"cells":[` +
		`{"cell_type":"code","id":"a","metadata":{},"outputs":[],"source":"","execution_count":null},` +
		`{"cell_type":"code","id":"b","metadata":{},"outputs":[],"source":"","execution_count":1},` +
		`{"cell_type":"code","id":"c","metadata":{"trusted":"yes","z":1,"a":{"trusted":2}},"outputs":[],"source":"","execution_count":1},` +
		`{"cell_type":"markdown","id":"d","metadata":{},"source":"x"},{"cell_type":"raw","id":"e","metadata":{},"source":"x"}` +
		`],"metadata":{},"nbformat":4,"nbformat_minor":5}`))
	if err != nil {
		t.Fatal(err)
	}
	cells := odd.Doc["cells"].([]any)
	delete(cells[0].(map[string]any), "metadata")
	cells[1].(map[string]any)["metadata"] = []any{nbformat.Number("1")}
	cells[4] = nbformat.Number("7")
	oddJSON, err := odd.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	extra := []string{string(oddJSON)}
	built := map[string]*nbformat.Notebook{string(oddJSON): odd}
	checked := 0
	for i, src := range append(corpus(400), extra...) {
		orig, err := nbformat.Read([]byte(src))
		if nb, ok := built[src]; ok {
			orig, err = nb, nil
		}
		if err != nil {
			continue
		}
		before, err := orig.AppendJSON(nil, nil)
		if err != nil {
			continue
		}
		for _, trusted := range []bool{true, false} {
			a, b := orig.Clone(), orig.Clone()
			a.SetTrusted(trusted)
			want, err := a.AppendJSON(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			b.MarkTrusted(trusted)
			var w bytes.Buffer
			rest, err := b.AppendJSON(nil, &w)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(rest)
			if !bytes.Equal(w.Bytes(), want) {
				t.Fatalf("notebook %d, trusted %v:\nSetTrusted:  %s\nMarkTrusted: %s", i, trusted, want, w.Bytes())
			}
			if !nbformat.Equal(b.Doc, orig.Doc) {
				t.Fatalf("notebook %d: MarkTrusted changed Doc", i)
			}
			if m, _ := b.MarshalJSON(); !bytes.Equal(m, want) {
				t.Fatalf("notebook %d: MarshalJSON under MarkTrusted differs from AppendJSON", i)
			}
			// SetTrusted afterwards decides again, from Doc.
			b.SetTrusted(!trusted)
			a.SetTrusted(!trusted)
			got, _ := b.AppendJSON(nil, nil)
			if want2, _ := a.AppendJSON(nil, nil); !bytes.Equal(got, want2) {
				t.Fatalf("notebook %d: SetTrusted after MarkTrusted renders %s, want %s", i, got, want2)
			}
			checked++
		}
		if again, _ := orig.AppendJSON(nil, nil); !bytes.Equal(again, before) {
			t.Fatalf("notebook %d: the original changed", i)
		}
	}
	if checked < 400 {
		t.Fatalf("only %d notebooks checked", checked)
	}
}
