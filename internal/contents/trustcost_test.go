package contents_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/fsroot"
	"quire/internal/nbformat"
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

// richNotebook is a notebook of about size bytes whose code cells each
// hold an HTML display_data (what a plotting notebook looks like), every
// code cell flagged trusted.
func richNotebook(size int) []byte {
	var cells []any
	html := "<div>" + strings.Repeat("<span>cell</span>", 80) + "</div>\n"
	for total := 0; total < size; total += 2 * len(html) {
		cells = append(cells, map[string]any{
			"cell_type": "code", "execution_count": 1, "id": fmt.Sprintf("c%d", len(cells)),
			"metadata": map[string]any{"trusted": true}, "source": "plot()",
			"outputs": []any{map[string]any{"output_type": "display_data", "metadata": map[string]any{},
				"data": map[string]any{"text/html": html + fmt.Sprint(len(cells)), "text/plain": html}}},
		})
	}
	b, _ := json.Marshal(map[string]any{"cells": cells, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	return b
}

// BenchmarkTrustRich20MB measures saving and loading a trusted 20 MB
// notebook made of rich outputs: each save checks every output against
// the remembered ones before signing, each load remembers them.
func BenchmarkTrustRich20MB(b *testing.B) {
	nb := richNotebook(20 << 20)
	root, err := fsroot.Open(b.TempDir(), fsroot.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	n, err := trust.Open(trust.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	svc := contents.New(fsstore.New(root, fsstore.Options{TrashDir: b.TempDir()}), n, contents.Options{Outputs: trust.NewOutputs(0, nil)}, nil)
	if _, _, err := svc.Save(ctx, "rich.ipynb", contents.SaveRequest{Type: "notebook", Content: nb}); err != nil {
		b.Fatal(err)
	}
	if err := svc.Trust(ctx, "rich.ipynb"); err != nil {
		b.Fatal(err)
	}
	b.Run("PUT", func(b *testing.B) {
		b.SetBytes(int64(len(nb)))
		for b.Loop() {
			if _, _, err := svc.Save(ctx, "rich.ipynb", contents.SaveRequest{Type: "notebook", Content: nb}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GET", func(b *testing.B) {
		b.SetBytes(int64(len(nb)))
		for b.Loop() {
			m, err := svc.Get(ctx, "rich.ipynb", contents.GetOptions{Content: true})
			if err != nil {
				b.Fatal(err)
			}
			if m.Content.(*nbformat.Notebook).Doc["cells"].([]any)[0].(map[string]any)["metadata"].(map[string]any)["trusted"] != true {
				b.Fatal("not trusted")
			}
		}
	})
}
