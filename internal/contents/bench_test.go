package contents_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/fsroot"
	"quire/internal/trust"
)

// BenchmarkNotebookRequest times a PUT and a GET (the response rendered)
// of the two notebook shapes that stress reading cell by cell at their
// bench/RESULTS.md sizes: 10⁶ tiny cells (105.6 MiB) and one code cell of
// 200,000 small stream outputs (12.1 MiB). Run with -benchtime 3x or so:
// each operation takes a second or more.
func BenchmarkNotebookRequest(b *testing.B) {
	shapes := []struct {
		name string
		gen  func() []byte
	}{
		{"tiny cells", func() []byte {
			return memShape(1000000, func(i int) string {
				return fmt.Sprintf(`{"cell_type":"code","execution_count":1,"id":"c%07d","metadata":{},"outputs":[],"source":"x = 0"}`, i)
			})
		}},
		{"one cell, many outputs", func() []byte {
			return memShape(1, func(int) string {
				var s strings.Builder
				for j := range 200000 {
					if j > 0 {
						s.WriteByte(',')
					}
					fmt.Fprintf(&s, `{"name":"stdout","output_type":"stream","text":"line %d\n"}`, j)
				}
				return `{"cell_type":"code","execution_count":1,"id":"c0000000","metadata":{},"outputs":[` + s.String() + `],"source":"for i in range(n): print(i)"}`
			})
		}},
	}
	for _, shape := range shapes {
		b.Run(shape.name, func(b *testing.B) {
			nb := shape.gen()
			root, err := fsroot.Open(b.TempDir(), fsroot.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer root.Close()
			notary, err := trust.Open(trust.Options{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer notary.Close()
			store := fsstore.New(root, fsstore.Options{TrashDir: b.TempDir()})
			svc := contents.New(store, notary, contents.Options{Outputs: trust.NewOutputs(0, nil)}, nil)
			put := func() {
				if _, _, err := svc.Save(ctx, "a.ipynb", contents.SaveRequest{Type: "notebook", Content: nb}); err != nil {
					b.Fatal(err)
				}
			}
			put()
			b.Run("PUT", func(b *testing.B) {
				b.SetBytes(int64(len(nb)))
				for b.Loop() {
					put()
				}
			})
			b.Run("GET", func(b *testing.B) {
				b.SetBytes(int64(len(nb)))
				for b.Loop() {
					m, err := svc.Get(ctx, "a.ipynb", contents.GetOptions{Content: true})
					if err != nil {
						b.Fatal(err)
					}
					if err := m.StreamJSON(io.Discard); err != nil {
						b.Fatal(err)
					}
					m.Release()
				}
			})
		})
	}
}
