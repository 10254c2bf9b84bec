package contents_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"quire/internal/bigbuf"
	"quire/internal/contents"
	"quire/internal/nbformat"
)

// TestBufferReuse saves and loads two different notebooks of a few MB in
// turn, so that request bodies, files, arenas and rendered files go
// through the service's buffer cache and come back for the other notebook;
// every load must still give exactly its own notebook, also after the
// model is released.
func TestBufferReuse(t *testing.T) {
	cache := bigbuf.New(bigbuf.DefaultLimit, bigbuf.Idle)
	svc, _ := newService(t, contents.Options{Buffers: cache})
	reused := 0
	want := map[string][]byte{}
	for i, name := range []string{"a.ipynb", "b.ipynb"} {
		raw := bigNotebook((3 + i) << 20)
		// Distinct text per notebook, so a mix-up cannot go unnoticed.
		raw = bytes.ReplaceAll(raw, []byte("print('hello')"), []byte(fmt.Sprintf("print('%s')", strings.Repeat(name[:1], 5))))
		nb, err := nbformat.FromJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		nb.SetTrusted(false)
		if want[name], err = nb.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Save(ctx, name, contents.SaveRequest{Type: "notebook", Content: raw}); err != nil {
			t.Fatal(err)
		}
	}
	var kept []*contents.Model
	for round := range 4 {
		for _, name := range []string{"a.ipynb", "b.ipynb", "a.ipynb"} {
			m, err := svc.Get(ctx, name, contents.GetOptions{Content: true})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := m.StreamJSON(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(got.Bytes(), want[name]) {
				t.Fatalf("round %d: %s does not hold its notebook", round, name)
			}
			if round%2 == 0 {
				before, _ := cache.Kept()
				m.Release()
				if after, _ := cache.Kept(); after > before {
					reused++
				}
				m.Release() // twice is harmless
				if m.Content != nil {
					t.Fatal("Release left the content in the model")
				}
			} else {
				kept = append(kept, m) // never released: left to the GC
			}
		}
		// A save in between takes buffers too.
		if _, _, err := svc.Save(ctx, "c.ipynb", contents.SaveRequest{Type: "notebook", Content: bigNotebook(2 << 20)}); err != nil {
			t.Fatal(err)
		}
	}
	if reused == 0 {
		t.Fatal("no released model gave a buffer back to the cache: the test checked no reuse")
	}
	// Models never released still hold their own notebooks.
	for _, m := range kept {
		var got bytes.Buffer
		if err := m.StreamJSON(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(got.Bytes(), want[m.Name]) {
			t.Fatalf("an unreleased model of %s changed", m.Name)
		}
	}
}
