package nbformat_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"quire/internal/nbformat"
)

// logNotebook returns about size bytes of a notebook in API form shaped
// like bench/'s workload: code cells with 100-line stream outputs, and a
// quarter of the bytes in four base64 images.
func logNotebook(size int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	img := make([]byte, size/4/4*3/4)
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	blob := base64.StdEncoding.EncodeToString(img)
	var cells []any
	for total, i := 0, 0; total < size; i++ {
		var text strings.Builder
		for j := range 100 {
			fmt.Fprintf(&text, "epoch %3d step %6d loss=%.6f acc=%.4f lr=%.2e\n", i, i*100+j, r.Float64()*4, r.Float64(), r.Float64()*1e-3)
		}
		outs := []any{map[string]any{"output_type": "stream", "name": "stdout", "text": text.String()}}
		total += text.Len() + 200
		if i%40 == 20 && total < size*3/4 {
			outs = append(outs, map[string]any{"output_type": "display_data", "metadata": map[string]any{},
				"data": map[string]any{"image/png": blob, "text/plain": "<Figure size 640x480 with 1 Axes>"}})
			total += len(blob)
		}
		cells = append(cells, map[string]any{
			"cell_type": "code", "execution_count": i + 1, "id": fmt.Sprintf("cell-%06d", i), "metadata": map[string]any{},
			"source":  fmt.Sprintf("for step in range(%d):\n    loss = train(model, batch(step))\n    log(step, loss)", i*100),
			"outputs": outs,
		})
	}
	b, _ := json.Marshal(map[string]any{"cells": cells, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	return b
}

// TestAppendJSONStreams: written through a Writer in pieces, a large
// notebook comes out exactly as MarshalJSON renders it whole.
func TestAppendJSONStreams(t *testing.T) {
	nb, err := nbformat.FromJSON(logNotebook(2 << 20))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := nb.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var w countingWriter
	rest, err := nb.AppendJSON([]byte("x"), &w)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(rest)
	if got := w.buf.Bytes(); !bytes.Equal(got[1:], whole) || got[0] != 'x' {
		t.Fatalf("streamed %d bytes, whole %d: they differ", len(got)-1, len(whole))
	}
	if w.writes < 10 || w.max > 1<<20 {
		t.Errorf("%d writes of at most %d bytes; want pieces of about 128 KiB", w.writes, w.max)
	}
}

type countingWriter struct {
	buf         bytes.Buffer
	writes, max int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.max = max(w.max, len(p))
	return w.buf.Write(p)
}

func BenchmarkLogs(b *testing.B) {
	api := logNotebook(20 << 20)
	nb, err := nbformat.FromJSON(api)
	if err != nil {
		b.Fatal(err)
	}
	file, err := nbformat.Marshal(nb)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Read", func(b *testing.B) {
		b.SetBytes(int64(len(file)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nbformat.Read(file); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromJSON", func(b *testing.B) {
		b.SetBytes(int64(len(api)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nbformat.FromJSON(api); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Marshal", func(b *testing.B) {
		b.SetBytes(int64(len(file)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nbformat.Marshal(nb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("StreamJSON", func(b *testing.B) {
		b.SetBytes(int64(len(api)))
		b.ReportAllocs()
		buf := make([]byte, 0, 160<<10)
		for b.Loop() {
			if _, err := nb.AppendJSON(buf, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
