package contents_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/fsroot"
	"quire/internal/nbformat"
	"quire/internal/trust"
)

// memShape builds a compact notebook of n cells, each made by cell(i).
func memShape(n int, cell func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"cells":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(cell(i))
	}
	b.WriteString(`],"metadata":{"kernelspec":{"display_name":"Python 3","language":"python","name":"python3"}},"nbformat":4,"nbformat_minor":5}`)
	return b.Bytes()
}

// manyOutputs is how many outputs the "one cell, many outputs" shape has:
// 150,000 (9 MiB; the test process's own few MiB of live heap weigh less
// than at 4.8 MiB, the least past nbformat.StreamMin, where they take it
// to 3.7–4.0×), or QUIRE_TEST_MANY_OUTPUTS (200000 gives bench/RESULTS.md's
// 12.1 MiB notebook).
func manyOutputs(t *testing.T) int {
	n := 150000
	if s := os.Getenv("QUIRE_TEST_MANY_OUTPUTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("QUIRE_TEST_MANY_OUTPUTS=%q: want a count of outputs", s)
		}
		n = v
	}
	return n
}

// memShapes are the notebook shapes of issue #14 hole 5 (bench/RESULTS.md),
// scaled down: tiny cells, many small outputs, one cell of very many
// outputs, deeply nested metadata, large outputs, large images.
func memShapes(t *testing.T) map[string]func() []byte {
	deep := ""
	for k := range 40 {
		if deep == "" {
			deep = fmt.Sprintf(`{"k%d":[1,2.5,"v",{"a":true,"b":null}]}`, k)
		} else {
			deep = fmt.Sprintf(`{"k%d":[1,2.5,"v",%s,{"a":true,"b":null}]}`, k, deep)
		}
	}
	outs := make([]string, 250)
	for j := range outs {
		outs[j] = fmt.Sprintf(`{"name":"stdout","output_type":"stream","text":"line %d\n"}`, j)
	}
	line := strings.Repeat("y", 70) + `\n`
	img := strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAE", 4<<20/27)
	return map[string]func() []byte{
		"tiny cells": func() []byte {
			return memShape(200000, func(i int) string {
				return fmt.Sprintf(`{"cell_type":"code","execution_count":%d,"id":"c%07d","metadata":{},"outputs":[],"source":"x = %d"}`, i+1, i, i)
			})
		},
		"many small outputs": func() []byte {
			return memShape(1000, func(i int) string {
				return fmt.Sprintf(`{"cell_type":"code","execution_count":%d,"id":"c%07d","metadata":{},"outputs":[%s],"source":"f()"}`, i+1, i, strings.Join(outs, ","))
			})
		},
		"one cell, many outputs": func() []byte {
			n := manyOutputs(t)
			return memShape(1, func(int) string {
				var b strings.Builder
				for j := range n {
					if j > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"name":"stdout","output_type":"stream","text":"line %d\n"}`, j)
				}
				return `{"cell_type":"code","execution_count":1,"id":"c0000000","metadata":{},"outputs":[` + b.String() + `],"source":"for i in range(n): print(i)"}`
			})
		},
		"nested metadata": func() []byte {
			return memShape(10000, func(i int) string {
				return fmt.Sprintf(`{"cell_type":"markdown","id":"c%07d","metadata":{"deep":%s},"source":"# t"}`, i, deep)
			})
		},
		"large outputs": func() []byte {
			return memShape(4, func(i int) string {
				return fmt.Sprintf(`{"cell_type":"code","execution_count":%d,"id":"c%07d","metadata":{},"outputs":[{"name":"stdout","output_type":"stream","text":"%s"}],"source":"print(1)"}`, i+1, i, strings.Repeat(line, 65000))
			})
		},
		"large images": func() []byte {
			return memShape(3, func(i int) string {
				return fmt.Sprintf(`{"cell_type":"code","execution_count":%d,"id":"c%07d","metadata":{},"outputs":[{"data":{"image/png":"%s","text/plain":"<Figure>"},"metadata":{},"output_type":"display_data"}],"source":"plot()"}`, i+1, i, img)
			})
		},
	}
}

var heapMetric = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heapObjects is the heap's live and not yet swept objects, in bytes: what
// the garbage collector lets grow to about twice the live heap.
func heapObjects() uint64 {
	metrics.Read(heapMetric)
	return heapMetric[0].Value.Uint64()
}

// heapPeak runs f and returns the most its run added to the heap (live
// and garbage not yet collected), sampled every few tens of
// microseconds (runtime/metrics does not stop the world).
func heapPeak(f func()) int64 {
	runtime.GC() // the services here have no buffer cache: every buffer is a fresh allocation
	base := heapObjects()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				done <- peak
				return
			default:
				time.Sleep(20 * time.Microsecond)
			}
		}
	}()
	f()
	close(stop)
	peak := max(<-done, heapObjects())
	if testing.Verbose() {
		fmt.Printf("heap before %.1f MiB, peak %.1f MiB\n", float64(base)/(1<<20), float64(peak)/(1<<20))
	}
	return int64(peak) - int64(base)
}

// TestRequestMemory: the heap a notebook request adds (GET with content
// and the response rendered; PUT, its body counted; PUT over a file this
// server has not read, which reads it first to learn its trusted
// outputs; the trust POST) stays within 4× the notebook's compact JSON,
// whatever its shape. The GET must also show at least the notebook's
// size (it holds its bytes), so the sampling cannot pass by missing the
// peak. nbformat.Footprint, the budget's charge, must cover each peak.
func TestRequestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds notebooks of tens of megabytes")
	}
	const limit = 4.0
	for name, gen := range memShapes(t) {
		t.Run(name, func(t *testing.T) {
			// Of its own length, as the server's body buffer (from
			// bigbuf: at most a quarter more), not a bytes.Buffer's
			// doubled one, which would pace the garbage collector.
			nb := bytes.Clone(gen())
			dir := t.TempDir()
			root, err := fsroot.Open(dir, fsroot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			notary, err := trust.Open(trust.Options{DataDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer notary.Close()
			store := fsstore.New(root, fsstore.Options{TrashDir: t.TempDir()})
			outputs := trust.NewOutputs(0, nil)
			svc := contents.New(store, notary, contents.Options{Outputs: outputs}, nil)
			size := float64(len(nb))
			// The budget's charge: of the content for a PUT, of the file's
			// JSON (compacted as read, its multiline strings still split)
			// for a GET.
			footprint := nbformat.Footprint(nb)
			check := func(what string, peak int64, least float64) {
				t.Helper()
				ratio := float64(peak) / size
				t.Logf("%s: %.1f MiB notebook, peak %.1f MiB = %.2f× (Footprint %.2f×)", what, size/(1<<20), float64(peak)/(1<<20), ratio, float64(footprint)/size)
				if ratio > limit {
					t.Errorf("%s: peak %.2f× the notebook, over %.0f×", what, ratio, limit)
				}
				if ratio < least {
					t.Errorf("%s: peak %.2f× is below %.2f×: the sampling missed it", what, ratio, least)
				}
				if peak > footprint {
					t.Errorf("%s: peak %d over Footprint %d", what, peak, footprint)
				}
			}

			var err2 error
			// The body buffer the HTTP layer reads the content into is part
			// of a PUT's cost: counted as len(nb).
			put := heapPeak(func() {
				_, _, err2 = svc.Save(ctx, "a.ipynb", contents.SaveRequest{Type: "notebook", Content: nb})
			})
			if err2 != nil {
				t.Fatal(err2)
			}
			check("PUT", put+int64(len(nb)), 1)

			// A server that has not seen the file (a restart) reads it
			// before replacing it.
			svc = contents.New(store, notary, contents.Options{Outputs: outputs}, nil)
			put = heapPeak(func() {
				_, _, err2 = svc.Save(ctx, "a.ipynb", contents.SaveRequest{Type: "notebook", Content: nb})
			})
			if err2 != nil {
				t.Fatal(err2)
			}
			check("PUT over an unread file", put+int64(len(nb)), 1)
			nb = nil // not live during the GET: the GC's pace follows the live heap

			file, err := os.ReadFile(filepath.Join(dir, "a.ipynb"))
			if err != nil {
				t.Fatal(err)
			}
			var c nbformat.Compactor
			footprint = nbformat.Footprint(c.Append(nil, file))
			file = nil
			var got bytes.Buffer
			get := heapPeak(func() {
				m, err := svc.Get(ctx, "a.ipynb", contents.GetOptions{Content: true})
				if err != nil {
					err2 = err
					return
				}
				err2 = m.StreamJSON(io.Discard)
				m.Release()
			})
			if err2 != nil {
				t.Fatal(err2)
			}
			check("GET", get, 0.9)

			trustPOST := heapPeak(func() { err2 = svc.Trust(ctx, "a.ipynb") })
			if err2 != nil {
				t.Fatal(err2)
			}
			check("trust POST", trustPOST, 0.9)

			// And the answer is the notebook: the bytes are still those
			// of the tree reader.
			m, err := svc.Get(ctx, "a.ipynb", contents.GetOptions{Content: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.StreamJSON(&got); err != nil {
				t.Fatal(err)
			}
			m.Release()
			want, err := nbformat.Read(gen())
			if err != nil {
				t.Fatal(err)
			}
			want.MarkTrusted(true)
			wj, _ := want.MarshalJSON()
			if !bytes.Contains(got.Bytes(), wj) {
				t.Errorf("GET's content differs from the notebook read whole")
			}
		})
	}
}
