package contents_test

import (
	"encoding/json"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/fsroot"
	"quire/internal/trust"
)

// trustedNotebook is bigNotebook with every code cell marked trusted, so
// that a save signs it.
func trustedNotebook(size int) []byte {
	var nb map[string]any
	if err := json.Unmarshal(bigNotebook(size), &nb); err != nil {
		panic(err)
	}
	for _, c := range nb["cells"].([]any) {
		c.(map[string]any)["metadata"] = map[string]any{"trusted": true}
	}
	b, _ := json.Marshal(nb)
	return b
}

// BenchmarkTrustCost20MB measures what notebook trust adds to a 20 MB
// notebook save (sign + store) and load (signature + lookup): compare the
// "trust" and "none" sub-benchmarks.
func BenchmarkTrustCost20MB(b *testing.B) {
	nb := trustedNotebook(20 << 20)
	for _, withTrust := range []bool{false, true} {
		name := "none"
		if withTrust {
			name = "trust"
		}
		dir := b.TempDir()
		root, err := fsroot.Open(dir, fsroot.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var notary contents.Notary
		if withTrust {
			n, err := trust.Open(trust.Options{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			notary = n
		}
		svc := contents.New(fsstore.New(root, fsstore.Options{TrashDir: b.TempDir()}), notary, contents.Options{}, nil)
		b.Run("PUT/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(nb)))
			for b.Loop() {
				if _, _, err := svc.Save(ctx, "big.ipynb", contents.SaveRequest{Type: "notebook", Content: nb}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("GET/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(nb)))
			for b.Loop() {
				if _, err := svc.Get(ctx, "big.ipynb", contents.GetOptions{Content: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		root.Close()
	}
}
