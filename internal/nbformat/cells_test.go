package nbformat_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"quire/internal/nbformat"
)

// compactID matches an 8-hex-digit id in the API form (MarshalJSON).
var compactID = regexp.MustCompile(`"id":"[0-9a-f]{8}"`)

func maskIDs(b []byte) string {
	s := randomID.ReplaceAllString(string(b), `"id": "RANDOM"`)
	return compactID.ReplaceAllString(s, `"id":"RANDOM"`)
}

// sameStreaming fails t unless the streaming reader gives for data what
// the tree reader gives: the same error, or a notebook that validates,
// marshals, writes and renders the same (ids the readers invented aside:
// they are random). With lazyMin > 0 the streaming reader leaves outputs
// arrays of lazyMin bytes or more undecoded (the server's threshold is
// nbformat.LazyOutputsMin). It returns how many arrays it left so.
func sameStreaming(t *testing.T, data []byte, fromJSON bool, lazyMin int) int {
	t.Helper()
	read, stream := nbformat.Read, nbformat.ReadStreaming
	if fromJSON {
		read, stream = nbformat.FromJSON, nbformat.FromJSONStreaming
	}
	if lazyMin > 0 {
		stream = func(b []byte) (*nbformat.Notebook, error) { return nbformat.ReadStreamingLazy(b, lazyMin) }
		if fromJSON {
			stream = func(b []byte) (*nbformat.Notebook, error) { return nbformat.FromJSONStreamingLazy(b, lazyMin) }
		}
	}
	a, aerr := read(data)
	b, berr := stream(data)
	if fmt.Sprint(aerr) != fmt.Sprint(berr) {
		t.Fatalf("errors differ:\ntree:   %v\nstream: %v\n%.300s", aerr, berr, data)
	}
	if aerr != nil {
		return 0
	}
	// Footprint counts one output at a time only what the reader leaves
	// undecoded (it may miss an array under a key spelled with escapes,
	// which only charges more).
	lazy := nbformat.LazyOutputs(b)
	if b.CellsApart() {
		threshold := lazyMin
		if threshold == 0 {
			threshold = nbformat.LazyOutputsMin
		}
		_, counted := nbformat.FootprintLazy(data, threshold)
		for _, start := range counted {
			if _, found := slices.BinarySearch(lazy, start); !found {
				t.Fatalf("Footprint counts the outputs array at byte %d one output at a time; the reader decodes it (%v)\n%.300s", start, lazy, data)
			}
		}
	}
	if am, an := a.Version(); true {
		if bm, bn := b.Version(); am != bm || an != bn {
			t.Fatalf("Version: %d.%d vs %d.%d", am, an, bm, bn)
		}
	}
	if a.NumCells() != b.NumCells() {
		t.Fatalf("NumCells: %d vs %d", a.NumCells(), b.NumCells())
	}
	// The problems within one cell come in map order: compare them sorted.
	problems := func(err error) string {
		p := strings.Split(strings.TrimPrefix(fmt.Sprint(err), "notebook does not match the nbformat schema: "), "; ")
		slices.Sort(p)
		return strings.Join(p, "; ")
	}
	if av, bv := problems(a.Validate()), problems(b.Validate()); av != bv {
		t.Fatalf("Validate differs:\ntree:   %s\nstream: %s", av, bv)
	}
	if ac, bc := fmt.Sprint(a.CheckCells()), fmt.Sprint(b.CheckCells()); ac != bc {
		t.Fatalf("CheckCells differs: %s vs %s", ac, bc)
	}
	count := func(nb *nbformat.Notebook) (n int) {
		nb.RichOutputs(func(map[string]any) bool { n++; return true })
		return n
	}
	if count(a) != count(b) {
		t.Fatalf("RichOutputs: %d vs %d", count(a), count(b))
	}
	if ao, bo := eachOutputs(t, a), eachOutputs(t, b); !slices.Equal(ao, bo) {
		t.Fatalf("EachOutput differs:\ntree:   %q\nstream: %q", ao, bo)
	}
	am, aerr := nbformat.Marshal(a)
	bm, berr := nbformat.Marshal(b)
	if fmt.Sprint(aerr) != fmt.Sprint(berr) {
		t.Fatalf("Marshal errors differ: %v vs %v", aerr, berr)
	}
	if maskIDs(am) != maskIDs(bm) {
		t.Fatalf("Marshal differs:\n%s\n---\n%s", am, bm)
	}
	var w bytes.Buffer
	if err := nbformat.Write(&w, b); fmt.Sprint(err) != fmt.Sprint(berr) {
		t.Fatalf("Write error %v, Marshal's %v", err, berr)
	} else if err == nil && !bytes.Equal(w.Bytes(), bm) {
		t.Fatalf("Write differs from Marshal:\n%s\n---\n%s", w.Bytes(), bm)
	}
	for _, mark := range []int{0, 1, 2} {
		if mark > 0 {
			a.MarkTrusted(mark == 1)
			b.MarkTrusted(mark == 1)
		}
		aj, aerr := a.MarshalJSON()
		bj, berr := b.MarshalJSON()
		if fmt.Sprint(aerr) != fmt.Sprint(berr) || maskIDs(aj) != maskIDs(bj) {
			t.Fatalf("MarshalJSON (mark %d) differs (%v, %v):\n%s\n---\n%s", mark, aerr, berr, aj, bj)
		}
		var s bytes.Buffer
		rest, err := b.AppendJSON(nil, &s)
		if err == nil {
			s.Write(rest)
			if !bytes.Equal(s.Bytes(), bj) {
				t.Fatalf("AppendJSON to a writer differs from MarshalJSON")
			}
		}
	}
	if aj, bj := maskIDs(must(a.Clone().MarshalJSON())), maskIDs(must(b.Clone().MarshalJSON())); aj != bj {
		t.Fatalf("Clone differs:\n%s\n---\n%s", aj, bj)
	}
	return len(lazy)
}

// eachOutputs renders what EachOutput gives for each cell: its index,
// whether it has an outputs array, and each output as JSON, which also
// copies it out of the streamed notebook's buffer.
func eachOutputs(t *testing.T, nb *nbformat.Notebook) []string {
	t.Helper()
	var got []string
	err := nb.Cells(func(i int, c any) error {
		cell, _ := c.(map[string]any)
		if cell == nil {
			return nil
		}
		isArray, err := nbformat.EachOutput(cell, func(j int, out any) error {
			b, err := json.Marshal(out)
			got = append(got, fmt.Sprintf("%d/%d %s %v", i, j, b, err))
			return nil
		})
		got = append(got, fmt.Sprintf("%d: array %v, %v", i, isArray, err))
		return nil
	})
	if err != nil {
		t.Fatalf("Cells: %v", err)
	}
	return got
}

func must(b []byte, err error) []byte {
	if err != nil {
		return []byte("error: " + err.Error())
	}
	return b
}

func TestStreamingMatchesRead(t *testing.T) {
	cases := []string{
		``, `[]`, `{}`, `{"cells":[]}`, "\xef\xbb\xbf{}", `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[1],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"code"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"code","metadata":{},"outputs":[],"source":"x","id":"a"},{"cell_type":"code","metadata":{},"outputs":[],"source":"x","id":"a"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"markdown","metadata":{},"source":"x","id":1},{"cell_type":"markdown","metadata":{},"source":"x","id":1.0}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"markdown","metadata":{},"source":"x","id":[1]},{"cell_type":"bogus","metadata":{},"source":"x"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"markdown","metadata":{},"source":"x"}],"cells":{},"metadata":{},"nbformat":4,"nbformat_minor":4}`,
		`{"cells":{},"cells":[{"cell_type":"markdown","metadata":{"trusted":true},"source":["a\n","b"]}],"metadata":{"signature":"x"},"nbformat":4,"nbformat_minor":4}`,
		`{"cells":[{"cell_type":"markdown","metadata":{},"source":"x"} 1],"metadata":{},"nbformat":4}`,
		`{"cells":[{"cell_type":"markdown","metadata":{},"source":"x"}],"metadata":{},"nbformat":4} x`,
		`{"metadata":{"a":"b"},"cells":[{"cell_type":"markdown","metadata":{},"source":"x\u0000"}],"nbformat":4,"nbformat_minor":2}`,
		`{"cells":[{"cell_type":"code","metadata":{},"source":"x","outputs":[{"output_type":"display_data","data":{"text/html":["<b>","</b>"]},"metadata":{}}]}],"metadata":{},"nbformat":3,"nbformat_minor":0}`,
		v3Notebook,
		string(bigNotebook(1)),
	}
	cases = append(cases, manyOutputCases()...)
	cases = append(cases, corpus(1500)...)
	lazy := 0
	for i, c := range cases {
		for _, fromJSON := range []bool{false, true} {
			// The server's threshold, and lower ones: every outputs
			// array, or those of a few outputs, left undecoded.
			for _, lazyMin := range []int{0, 1, 200} {
				t.Run(fmt.Sprintf("%d/%v/%d", i, fromJSON, lazyMin), func(t *testing.T) {
					lazy += sameStreaming(t, []byte(c), fromJSON, lazyMin)
				})
			}
		}
	}
	if lazy < 1000 {
		t.Errorf("only %d outputs arrays were left undecoded: the cases miss that path", lazy)
	}
}

// manyOutputCases are notebooks whose cells have many outputs, valid or
// not, for the outputs arrays the streaming reader leaves undecoded.
func manyOutputCases() []string {
	outs := func(n int, out func(j int) string) string {
		var b strings.Builder
		for j := range n {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(out(j))
		}
		return "[" + b.String() + "]"
	}
	stream := func(j int) string {
		return fmt.Sprintf(`{"name":"stdout","output_type":"stream","text":["line %d\n","more\r\n"]}`, j)
	}
	rich := func(j int) string {
		return fmt.Sprintf(`{"output_type":"display_data","metadata":{"image/png":{"width":%d.0}},"data":{"text/html":["<b>","%d</b>"],"application/json":["a","b"],"image/png":"iVBOR\u0041"}}`, j, j)
	}
	mixed := func(j int) string {
		switch j % 4 {
		case 0:
			return stream(j)
		case 1:
			return rich(j)
		case 2:
			return fmt.Sprintf(`{"output_type":"execute_result","execution_count":%d,"metadata":{},"data":{"text/plain":"%d"}}`, j, j)
		}
		return `{"output_type":"error","ename":"E","evalue":"v","traceback":["a","b"]}`
	}
	nb := func(minor int, cells ...string) string {
		return fmt.Sprintf(`{"cells":[%s],"metadata":{},"nbformat":4,"nbformat_minor":%d}`, strings.Join(cells, ","), minor)
	}
	code := func(id, outputs string) string {
		return `{"cell_type":"code","execution_count":1,"id":"` + id + `","metadata":{"trusted":true},"outputs":` + outputs + `,"source":["a\n","b"]}`
	}
	big := outs(3000, mixed) // past nbformat.LazyOutputsMin
	return []string{
		nb(5, code("a", big)),
		nb(5, code("a", outs(40, stream)), code("b", outs(500, rich)), code("c", "[]"), code("d", " [ ] ")),
		nb(4, code("a", outs(3000, stream))),
		// Errors in an output, as the tree reader reports them.
		nb(5, code("a", outs(20, stream)), code("b", outs(30, func(j int) string {
			if j == 17 {
				return `{"output_type":"stream","name":"stdout"}`
			}
			return stream(j)
		}))),
		nb(5, code("a", outs(30, func(j int) string {
			if j == 9 {
				return `[1]`
			}
			return mixed(j)
		}))),
		nb(5, code("a", outs(30, func(j int) string {
			if j == 29 {
				return `{"output_type":"bogus"}`
			}
			return mixed(j)
		}))),
		nb(7, code("a", outs(30, func(j int) string {
			if j%3 == 0 {
				return `{"output_type":"future","text":["a","b"]}`
			}
			return mixed(j)
		}))),
		nb(5, code("a", outs(30, func(j int) string {
			if j == 4 {
				return `{"output_type":"stream","name":"stdout","text":["a",1]}`
			}
			return stream(j)
		}))),
		// Schema violations Validate lists by cell and output.
		nb(5, code("a", outs(30, func(j int) string {
			if j%7 == 3 {
				return `{"output_type":"stream","name":5,"text":"x","extra":1}`
			}
			return mixed(j)
		}))),
		// Outputs of cells that are not code cells are kept as they are.
		nb(5, `{"cell_type":"markdown","id":"m","metadata":{},"source":"x","outputs":`+outs(30, stream)+`}`),
		nb(7, `{"cell_type":"future","id":"m","metadata":{},"outputs":`+outs(30, stream)+`}`),
		// A repeated "outputs" key: the last one counts.
		nb(5, `{"cell_type":"code","execution_count":1,"id":"a","metadata":{},"outputs":`+outs(30, stream)+`,"source":"","outputs":`+outs(20, rich)+`}`),
		nb(5, `{"cell_type":"code","execution_count":1,"id":"a","metadata":{},"outputs":`+outs(30, stream)+`,"source":"","outputs":{}}`),
		nb(5, `{"cell_type":"code","execution_count":1,"id":"a","metadata":{},"outputs":`+outs(30, stream)+`,"source":"","outputs":[]}`),
		// A repeated "cells" key, each with outputs.
		`{"cells":[` + code("a", outs(30, stream)) + `],"metadata":{},"cells":[` + code("b", outs(25, rich)) + `],"nbformat":4,"nbformat_minor":5}`,
		// Repeated ids: the second pass over the cells.
		nb(5, code("a", outs(30, stream)), code("a", outs(30, rich)), code("a", big)),
		// A lone surrogate in an output, and one string spanning lines.
		nb(5, code("a", outs(30, func(j int) string {
			return `{"name":"stdout","output_type":"stream","text":"\ud800 x\u2028y\n"}`
		}))),
	}
}

// FuzzStreaming: ReadStreaming and FromJSONStreaming never panic and give
// what Read and FromJSON give, also when they leave small outputs arrays
// undecoded.
func FuzzStreaming(f *testing.F) {
	for _, s := range corpus(40) {
		f.Add([]byte(s))
	}
	f.Add([]byte(v3Notebook))
	for _, s := range manyOutputCases() {
		// The large ones are left to TestStreamingMatchesRead: a seed
		// taking seconds looks hung to the fuzzing engine.
		if len(s) < 32<<10 {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lazyMin := range []int{0, 1, 100} {
			sameStreaming(t, data, false, lazyMin)
			sameStreaming(t, data, true, lazyMin)
		}
		sameCompacted(t, data)
	})
}

func compact(data []byte, piece int) []byte {
	var c nbformat.Compactor
	var out []byte
	for len(data) > 0 {
		n := min(piece, len(data))
		out = c.Append(out, data[:n])
		data = data[n:]
	}
	return out
}

// sameCompacted fails t unless data compacted in pieces reads as data
// does: refused both (a syntax error may be elsewhere) or accepted both,
// to the same file.
func sameCompacted(t *testing.T, data []byte) {
	t.Helper()
	for _, piece := range []int{1, 3, 64 << 10} {
		c := compact(data, piece)
		if len(c) > len(data) {
			t.Fatalf("compacted is longer: %q → %q", data, c)
		}
		a, aerr := nbformat.Read(data)
		b, berr := nbformat.ReadStreaming(c)
		if (aerr == nil) != (berr == nil) {
			t.Fatalf("piece %d: Read: %v; compacted: %v\n%q\n%q", piece, aerr, berr, data, c)
		}
		var se *nbformat.SyntaxError
		if aerr != nil && !errors.As(aerr, &se) && aerr.Error() != berr.Error() {
			t.Fatalf("piece %d: errors differ: %v vs %v", piece, aerr, berr)
		}
		if aerr != nil {
			continue
		}
		am, _ := nbformat.Marshal(a)
		bm, _ := nbformat.Marshal(b)
		if maskIDs(am) != maskIDs(bm) {
			t.Fatalf("piece %d: Marshal differs:\n%s\n---\n%s", piece, am, bm)
		}
	}
}

func TestCompactor(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{" { \"a\" : [ 1 , 2 ] }\n", `{"a":[1,2]}`},
		{"[1 2]", "[1 2]"},
		{"[tr\nue]", "[tr ue]"},
		{"[\"a b\\\" c\" , \"\\\\\" ]", `["a b\" c","\\"]`},
		{"[-\t1, 1. 5, 1 e5]", "[- 1,1. 5,1 e5]"},
		{"{\"x\":\"\n\"}", "{\"x\":\"\n\"}"},
		{"\xef\xbb\xbf {}", "\xef\xbb\xbf{}"},
	} {
		for _, piece := range []int{1, 2, 100} {
			if got := string(compact([]byte(tc.in), piece)); got != tc.want {
				t.Errorf("Compact(%q) by %d = %q, want %q", tc.in, piece, got, tc.want)
			}
		}
	}
	var cases []string
	cases = append(cases, corpus(300)...)
	for _, s := range corpus(300) {
		file, err := nbformat.Read([]byte(s))
		if err == nil {
			if b, err := nbformat.Marshal(file); err == nil {
				cases = append(cases, string(b))
			}
		}
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) { sameCompacted(t, []byte(c)) })
	}
}
