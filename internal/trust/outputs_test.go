package trust_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"quire/internal/nbformat"
	"quire/internal/trust"
)

// outputOf decodes a notebook output's data and metadata as nbformat does
// (a one-cell notebook read from file bytes: multiline strings joined,
// numbers kept as lexemes).
func outputOf(t *testing.T, out string) (data, metadata any) {
	t.Helper()
	nb := mustRead(t, `{"cells":[{"cell_type":"code","id":"a","metadata":{},"execution_count":1,"source":"","outputs":[`+out+`]}],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	o := nb.Doc["cells"].([]any)[0].(map[string]any)["outputs"].([]any)[0].(map[string]any)
	return o["data"], o["metadata"]
}

// TestOutputDigest: a kernel message's output and the same output as a
// client saves it hash alike; any change to what renders does not.
func TestOutputDigest(t *testing.T) {
	const kernel = `{"data":{"text/html":"<b>a</b>\n<i>é</i>","application/json":{"a":[1,2]},"text/plain":"x"},"metadata":{"text/html":{"isolated":true},"w":1.0,"z":-0.0},"transient":{"display_id":"d"}}`
	for _, tc := range []struct {
		name, out string
		same      bool
	}{
		{"as sent", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>é</i>","application/json":{"a":[1,2]},"text/plain":"x"},"metadata":{"text/html":{"isolated":true},"w":1.0,"z":-0.0}}`, true},
		{"lines split, escapes, keys reordered, numbers as a browser writes them", `{"output_type":"execute_result","execution_count":4,"metadata":{"z":0,"w":1,"text/html":{"isolated":true}},"data":{"text/plain":["x"],"application/json":{"a":[1.0,2e0]},"text/html":["<b>a</b>\n","<i>\u00e9</i>"]}}`, true},
		{"one byte of HTML", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>e</i>","application/json":{"a":[1,2]},"text/plain":"x"},"metadata":{"text/html":{"isolated":true},"w":1,"z":0}}`, false},
		{"metadata changed", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>é</i>","application/json":{"a":[1,2]},"text/plain":"x"},"metadata":{"text/html":{"isolated":false},"w":1,"z":0}}`, false},
		{"metadata dropped", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>é</i>","application/json":{"a":[1,2]},"text/plain":"x"}}`, false},
		{"JSON list is not a multiline string", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>é</i>","application/json":{"a":["1","2"]},"text/plain":"x"},"metadata":{"text/html":{"isolated":true},"w":1,"z":0}}`, false},
		{"mime type added", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>é</i>","application/json":{"a":[1,2]},"text/plain":"x","application/javascript":""},"metadata":{"text/html":{"isolated":true},"w":1,"z":0}}`, false},
		{"string moved across keys", `{"output_type":"display_data","data":{"text/html":"<b>a</b>\n<i>é</i>x","application/json":{"a":[1,2]},"text/plain":""},"metadata":{"text/html":{"isolated":true},"w":1,"z":0}}`, false},
	} {
		o := trust.NewOutputs(0, nil)
		o.RecordOutput("display_data", []byte(kernel))
		if got := o.Known(outputOf(t, tc.out)); got != tc.same {
			t.Errorf("%s: Known = %v, want %v", tc.name, got, tc.same)
		}
	}
	// A missing bundle or metadata is an empty one.
	o := trust.NewOutputs(0, nil)
	o.RecordOutput("execute_result", []byte(`{"execution_count":1}`))
	if !o.Known(map[string]any{}, map[string]any{}) || o.Known(map[string]any{"text/plain": ""}, nil) {
		t.Error("a missing data/metadata is not the empty object")
	}
	// Types that carry no output, and unreadable content, record nothing.
	o = trust.NewOutputs(0, nil)
	for _, m := range [][2]string{
		{"stream", `{"name":"stdout","text":"x"}`},
		{"error", `{"ename":"E","evalue":"","traceback":[]}`},
		{"display_data", `{"data":`},
		{"execute_reply", `{"status":"ok","payload":[{"source":"set_next_input","text":"page"}]}`},
	} {
		o.RecordOutput(m[0], []byte(m[1]))
	}
	if o.Len() != 0 {
		t.Errorf("recorded %d outputs from messages that carry none", o.Len())
	}
}

// TestOutputsBound: the store never holds more than its bound, forgets
// the least recently used first, and each store is separate.
func TestOutputsBound(t *testing.T) {
	const n = 100
	o := trust.NewOutputs(n, nil)
	bundle := func(i int) map[string]any { return map[string]any{"text/html": fmt.Sprint(i)} }
	o.Remember(bundle(0), nil)
	for i := 1; i < 10*n; i++ {
		o.Remember(bundle(i), nil)
		if !o.Known(bundle(0), nil) { // kept in use: never forgotten
			t.Fatalf("output 0, used all along, forgotten after %d others", i)
		}
		if o.Len() > n {
			t.Fatalf("%d outputs held, bound %d", o.Len(), n)
		}
	}
	if o.Known(bundle(1), nil) {
		t.Error("an output unused for 10×bound others is still known")
	}
	if !o.Known(bundle(10*n-1), nil) {
		t.Error("the latest output is forgotten")
	}
	if other := trust.NewOutputs(n, nil); other.Known(bundle(0), nil) || other.Len() != 0 {
		t.Error("a new store knows another store's outputs")
	}
	// Works with the page's numbers for nbformat's types too.
	o.Remember(map[string]any{"text/plain": "1"}, map[string]any{"w": nbformat.Number("2.50")})
	if !o.Known(map[string]any{"text/plain": "1"}, map[string]any{"w": json.Number("2.5")}) {
		t.Error("2.50 and 2.5 differ")
	}
}

// TestOutputsMemory measures the bound's cost in memory, which the
// README's --trusted-outputs row states (about 80 bytes a digest).
func TestOutputsMemory(t *testing.T) {
	const n = 1 << 16
	// Memory freed elsewhere in the process between the two readings (a
	// finished test's goroutines, caches) can make the difference negative:
	// such a reading says nothing, so it is taken again.
	var per float64
	for attempt := 1; ; attempt++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		o := trust.NewOutputs(n, nil)
		for i := range 4 * n {
			o.Remember(map[string]any{"text/plain": fmt.Sprint(i)}, nil)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(o)
		delta := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		per = float64(delta) / n
		t.Logf("attempt %d: %d outputs: %.0f bytes each", attempt, o.Len(), per)
		if delta > 0 {
			break
		}
		if attempt == 3 {
			t.Fatalf("the heap shrank while %d outputs were remembered, %d times: no reading", n, attempt)
		}
	}
	if per > 128 {
		t.Errorf("%.0f bytes per remembered output, documented as about 80", per)
	}
}

// BenchmarkRecordOutput10MB is what a kernel's 10 MB image output costs
// the goroutine reading its iopub socket.
func BenchmarkRecordOutput10MB(b *testing.B) {
	png := make([]byte, 10<<20)
	for i := range png {
		png[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i%64]
	}
	content, _ := json.Marshal(map[string]any{"data": map[string]any{"image/png": string(png), "text/plain": "<Figure>"}, "metadata": map[string]any{"image/png": map[string]any{"width": 640}}})
	o := trust.NewOutputs(0, nil)
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		o.RecordOutput("display_data", content)
	}
}

// FuzzRecordOutput: any kernel content is handled without panicking, and
// an output recorded from it is known again once its data and metadata
// are saved in a notebook (same bytes, read as a save reads them).
func FuzzRecordOutput(f *testing.F) {
	f.Add([]byte(`{"data":{"text/html":"<b>x</b>","text/plain":["a","b"]},"metadata":{"w":1.0}}`))
	f.Add([]byte(`{"data":{"application/json":{"a":["x","y"]},"image/png":"iVBOR\n"},"metadata":{}}`))
	f.Add([]byte(`{"data":{"text/plain":"\ud800"},"metadata":{"n":1e400,"z":-0.0,"big":123456789012345678901234567890}}`))
	f.Add([]byte(`{"data":{},"metadata":null}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		o := trust.NewOutputs(0, nil)
		o.RecordOutput("display_data", content)
		o.RecordOutput("execute_reply", content)
		var c map[string]json.RawMessage // keys exactly, as nbformat reads them
		if json.Unmarshal(content, &c) != nil || o.Len() == 0 || len(c["data"]) == 0 || c["data"][0] != '{' {
			return
		}
		md := c["metadata"]
		if len(md) == 0 || string(md) == "null" {
			md = json.RawMessage("{}")
		}
		nb, err := nbformat.FromJSON([]byte(`{"cells":[{"cell_type":"code","metadata":{},"source":"","execution_count":1,"outputs":[{"output_type":"display_data","data":` +
			string(c["data"]) + `,"metadata":` + string(md) + `}]}],"metadata":{},"nbformat":4,"nbformat_minor":4}`))
		if err != nil {
			return // not a notebook a save would accept
		}
		out := nb.Doc["cells"].([]any)[0].(map[string]any)["outputs"].([]any)[0].(map[string]any)
		if !o.Known(out["data"], out["metadata"]) {
			t.Errorf("recorded output not known once saved: %s", content)
		}
	})
}
