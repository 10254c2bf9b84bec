package nbformat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"quire/internal/nbformat"
)

// FuzzRead: Read never panics; whatever it accepts Marshal writes, and the
// written file reads back to the same file (Marshal∘Read is idempotent);
// MarshalJSON is always valid JSON.
func FuzzRead(f *testing.F) {
	for _, s := range corpus(40) {
		f.Add([]byte(s))
	}
	f.Add([]byte(v3Notebook))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := nbformat.Read(data)
		if err != nil {
			return
		}
		_ = nb.Validate()
		js, err := nb.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON after Read: %v", err)
		}
		if !json.Valid(js) {
			t.Fatalf("MarshalJSON is not valid JSON: %s", js)
		}
		first, err := nbformat.Marshal(nb)
		if err != nil {
			t.Fatalf("Marshal after Read: %v", err)
		}
		nb2, err := nbformat.Read(first)
		if err != nil {
			t.Fatalf("Read(Marshal(Read(x))): %v\n%s", err, first)
		}
		second, err := nbformat.Marshal(nb2)
		if err != nil {
			t.Fatalf("Marshal(Read(Marshal(Read(x)))): %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not idempotent:\n%s\n---\n%s", first, second)
		}
	})
}

// bigNotebook returns a notebook of about mb megabytes: many code cells,
// each with text outputs and a base64 image.
func bigNotebook(mb int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, 60<<10)
	for i := range img {
		img[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[r.IntN(64)]
	}
	var b strings.Builder
	b.WriteString(`{"cells":[`)
	for i := 0; b.Len() < mb<<20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cell_type":"code","id":"cell-%d","execution_count":%d,"metadata":{"scrolled":true,"tags":["t%d"]},`+
			`"source":["import numpy as np\n","x = np.linspace(0, %d, 100)\n","plt.plot(x, np.sin(x))"],"outputs":[`+
			`{"output_type":"stream","name":"stdout","text":["step %d\n","loss 0.%d\n","héllo wörld 😀\n"]},`+
			`{"output_type":"execute_result","execution_count":%d,"metadata":{},"data":{"text/plain":["[<matplotlib.lines.Line2D at 0x7f>]"]}},`+
			`{"output_type":"display_data","metadata":{"image/png":{"width":640,"height":480}},"data":{"image/png":"%s\n","text/plain":["<Figure size 640x480 with 1 Axes>"]}}]}`,
			i, i+1, i%7, i, i, i, i+1, img)
	}
	b.WriteString(`],"metadata":{"kernelspec":{"name":"python3","display_name":"Python 3"},"language_info":{"name":"python"}},"nbformat":4,"nbformat_minor":5}`)
	return []byte(b.String())
}

func BenchmarkRead20MB(b *testing.B) {
	data := bigNotebook(20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nbformat.Read(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshal20MB(b *testing.B) {
	nb, err := nbformat.Read(bigNotebook(20))
	if err != nil {
		b.Fatal(err)
	}
	out, _ := nbformat.Marshal(nb)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nbformat.Marshal(nb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalJSON20MB(b *testing.B) {
	nb, err := nbformat.Read(bigNotebook(20))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nb.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
