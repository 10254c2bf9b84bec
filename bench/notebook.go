package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// notebook is a generated nbformat 4.5 notebook: its compact JSON and the
// facts the scenarios check responses against.
type notebook struct {
	json  []byte
	cells int
	blobs int
}

func (nb *notebook) describe() string {
	sum := sha256.Sum256(nb.json)
	return fmt.Sprintf("%.1f MB of compact JSON, nbformat 4.5, %d code cells with stream outputs, %d with a base64 PNG-like display_data; sha256 %s",
		float64(len(nb.json))/1e6, nb.cells, nb.blobs, hex.EncodeToString(sum[:8]))
}

// The field order is alphabetical, as nbformat writes it.
type nbCell struct {
	CellType       string         `json:"cell_type"`
	ExecutionCount int            `json:"execution_count"`
	ID             string         `json:"id"`
	Metadata       map[string]any `json:"metadata"`
	Outputs        []any          `json:"outputs"`
	Source         string         `json:"source"`
}

type nbStream struct {
	Name       string `json:"name"`
	OutputType string `json:"output_type"`
	Text       string `json:"text"`
}

type nbDisplay struct {
	Data       map[string]string `json:"data"`
	Metadata   map[string]any    `json:"metadata"`
	OutputType string            `json:"output_type"`
}

const (
	blobCount    = 4    // PNG-like images in the notebook
	blobShare    = 0.25 // of the target size
	linesPerCell = 100  // stream output lines per cell
)

// makeNotebook returns a valid notebook of about target bytes of compact
// JSON. It is deterministic: the same target gives the same bytes.
func makeNotebook(target int) (*notebook, error) {
	rng := rand.New(rand.NewPCG(2026, 11))
	blobB64 := int(float64(target) * blobShare / blobCount)
	blobRaw := max(blobB64*3/4, 16)

	var cells []json.RawMessage
	size, blobs := 0, 0
	blobEvery := 0 // set once the first cell's size is known
	for i := 0; size < target; i++ {
		var text strings.Builder
		for j := range linesPerCell {
			fmt.Fprintf(&text, "epoch %3d step %6d loss=%.6f acc=%.4f lr=%.2e\n",
				i, i*linesPerCell+j, rng.Float64()*4, rng.Float64(), rng.Float64()*1e-3)
		}
		c := nbCell{
			CellType:       "code",
			ExecutionCount: i + 1,
			ID:             fmt.Sprintf("cell-%06d", i),
			Metadata:       map[string]any{},
			Outputs:        []any{nbStream{Name: "stdout", OutputType: "stream", Text: text.String()}},
			Source:         fmt.Sprintf("for step in range(%d):\n    loss = train(model, batch(step))\n    log(step, loss)", i*linesPerCell),
		}
		if blobEvery > 0 && i%blobEvery == blobEvery/2 && blobs < blobCount {
			c.Outputs = append(c.Outputs, nbDisplay{
				Data: map[string]string{
					"image/png":  pngLike(rng, blobRaw),
					"text/plain": "<Figure size 640x480 with 1 Axes>",
				},
				Metadata:   map[string]any{},
				OutputType: "display_data",
			})
			blobs++
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		if blobEvery == 0 {
			perCell := max(len(raw), 1)
			blobEvery = max(int(float64(target)*(1-blobShare))/perCell/blobCount, 1)
		}
		cells = append(cells, raw)
		size += len(raw) + 1
	}
	doc := map[string]any{
		"cells": cells,
		"metadata": map[string]any{
			"kernelspec":    map[string]string{"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
			"language_info": map[string]string{"name": "python"},
		},
		"nbformat":       4,
		"nbformat_minor": 5,
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return &notebook{json: data, cells: len(cells), blobs: blobs}, nil
}

// pngLike returns base64 of n bytes that start with the PNG signature and
// continue with incompressible noise, like a real image's compressed data.
func pngLike(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	for i := 8; i < n; i++ {
		b[i] = byte(rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)
}
