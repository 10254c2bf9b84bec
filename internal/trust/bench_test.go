package trust_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"quire/internal/trust"
)

// bigNotebook returns the text of a notebook of about size bytes: code
// cells with multi-line text, HTML and base64 image outputs and some
// metadata, like a long-running analysis notebook.
func bigNotebook(size int) string {
	var b strings.Builder
	b.WriteString(`{"cells":[`)
	png := strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg", 400)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cell_type":"code","execution_count":%d,"id":"c%d","metadata":{"tags":["t"],"execution":{"iopub.status.busy":"2024-05-01T10:00:00.123456Z"},"scrolled":false},"source":["import numpy as np\n","x = np.linspace(0, 1.5, %d)\n","x.sum()"],"outputs":[`, i, i, i)
		b.WriteString(`{"output_type":"stream","name":"stdout","text":[`)
		for j := range 40 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"step %d: loss=%g accuracy=0.9%d ✓\n"`, j, 1.0/float64(j+1), j)
		}
		fmt.Fprintf(&b, `]},{"output_type":"display_data","metadata":{"image/png":{"width":640,"height":480}},"data":{"image/png":"%s","text/html":["<table>\n","<tr><td>%d</td><td>2.5e-07</td></tr>\n","</table>"],"text/plain":["<Figure size 640x480 with 1 Axes>"]}},`, png, i)
		fmt.Fprintf(&b, `{"output_type":"execute_result","execution_count":%d,"metadata":{},"data":{"text/plain":["%d.75"],"application/json":{"a":[1,2.5,null,true,"x"],"b":1e300}}}]}`, i, i)
	}
	b.WriteString(`],"metadata":{"kernelspec":{"name":"python3","display_name":"Python 3"},"language_info":{"name":"python","version":"3.11.2"}},"nbformat":4,"nbformat_minor":5}`)
	return b.String()
}

// BenchmarkSignature20MB times Signature on a 20 MB notebook. Set
// QUIRE_TRUST_BENCH_OUT to a file name to also write the notebook there
// (to time nbformat on the same input).
func BenchmarkSignature20MB(b *testing.B) {
	text := bigNotebook(20 << 20)
	if p := os.Getenv("QUIRE_TRUST_BENCH_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	n := openWithSecret(b, "bench", trust.Options{})
	nb := mustRead(b, text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Signature(nb); err != nil {
			b.Fatal(err)
		}
	}
}
