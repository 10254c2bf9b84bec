package nbformat_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/nbformat"
)

func mustRead(t *testing.T, s string) *nbformat.Notebook {
	t.Helper()
	nb, err := nbformat.Read([]byte(s))
	if err != nil {
		t.Fatalf("Read(%s): %v", s, err)
	}
	return nb
}

func mustMarshal(t *testing.T, nb *nbformat.Notebook) string {
	t.Helper()
	b, err := nbformat.Marshal(nb)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return string(b)
}

// withMeta returns an empty 4.5 notebook whose metadata is the given JSON.
func withMeta(meta string) string {
	return `{"cells":[],"metadata":` + meta + `,"nbformat":4,"nbformat_minor":5}`
}

func TestNumberPython(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"42", "42"}, {"-7", "-7"},
		{"12345678901234567890", "12345678901234567890"},
		{"-123456789012345678901234567890", "-123456789012345678901234567890"},
		{"0.1", "0.1"}, {"1.0", "1.0"}, {"1.0e0", "1.0"}, {"1E5", "100000.0"}, {"1e5", "100000.0"},
		{"-0.0", "-0.0"}, {"0.0", "0.0"}, {"0e0", "0.0"}, {"1e300", "1e+300"}, {"1e400", "Infinity"},
		{"-1e400", "-Infinity"}, {"1e-400", "0.0"}, {"-1e-400", "-0.0"}, {"5e-324", "5e-324"},
		{"1e16", "1e+16"}, {"1e15", "1000000000000000.0"}, {"1.5e16", "1.5e+16"},
		{"123456789.123", "123456789.123"}, {"0.0001", "0.0001"}, {"0.00001", "1e-05"},
		{"1e-7", "1e-07"}, {"2.5E-3", "0.0025"}, {"1e22", "1e+22"}, {"9999999999999999.0", "1e+16"},
		{"3.141592653589793", "3.141592653589793"}, {"1.7976931348623157e308", "1.7976931348623157e+308"},
		{"123456789012345678.5", "1.2345678901234568e+17"}, {"0.30000000000000004", "0.30000000000000004"},
		{"NaN", "NaN"}, {"Infinity", "Infinity"}, {"-Infinity", "-Infinity"},
	} {
		got, err := nbformat.Number(tc.in).Python()
		if err != nil || got != tc.want {
			t.Errorf("Number(%q).Python() = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "-", "01", "1.", ".5", "1e", "+1", "0x10", "1e+", "nan"} {
		if got, err := nbformat.Number(bad).Python(); err == nil {
			t.Errorf("Number(%q).Python() = %q, want an error", bad, got)
		}
	}
}

func TestNumbersKeepLexeme(t *testing.T) {
	lexemes := []string{"0.1", "1e300", "-0.0", "1E5", "12345678901234567890", "-0", "1.50", "5e-324", "1e400"}
	nb := mustRead(t, withMeta(`{"x":[`+strings.Join(lexemes, ",")+`]}`))
	got := nb.Doc["metadata"].(map[string]any)["x"].([]any)
	for i, l := range lexemes {
		if got[i] != nbformat.Number(l) {
			t.Errorf("element %d = %#v, want Number(%q)", i, got[i], l)
		}
	}
	js, err := nb.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `"x":[` + strings.Join(lexemes, ",") + `]`; !strings.Contains(string(js), want) {
		t.Errorf("MarshalJSON = %s, want it to contain %s", js, want)
	}
	file := mustMarshal(t, nb)
	want := "[\n   0.1,\n   1e+300,\n   -0.0,\n   100000.0,\n   12345678901234567890,\n   0,\n   1.5,\n   5e-324,\n   Infinity\n  ]"
	if !strings.Contains(file, want) {
		t.Errorf("Marshal =\n%s\nwant it to contain\n%s", file, want)
	}
}

func TestEscaping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"<&>"`, `"<&>"`},
		{`"\u2028\u2029"`, "\"\u2028\u2029\""},
		{`"\u00e9\ud83d\ude00"`, `"é😀"`},
		{`"\"\\\/"`, `"\"\\/"`},
		{`"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{`"\u0000\u001b\u001F\u007f"`, "\"\\u0000\\u001b\\u001f\x7f\""},
		{`"\ud800"`, `"\ud800"`},               // lone high surrogate
		{`"\udc00x\ud800"`, `"\udc00x\ud800"`}, // lone low, then lone high at the end
		{`"\ud800\u0041"`, `"\ud800A"`},
	} {
		nb := mustRead(t, withMeta(`{"k":`+tc.in+`}`))
		file := mustMarshal(t, nb)
		if want := `"k": ` + tc.want; !strings.Contains(file, want) {
			t.Errorf("%s: Marshal =\n%s\nwant it to contain %s", tc.in, file, want)
		}
		js, err := nb.MarshalJSON()
		if err != nil || !json.Valid(js) {
			t.Errorf("%s: MarshalJSON = %s, %v: not valid JSON", tc.in, js, err)
		}
	}
}

func TestSplitLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"a", []string{"a"}},
		{"a\n", []string{"a\n"}},
		{"a\nb", []string{"a\n", "b"}},
		{"\n\n", []string{"\n", "\n"}},
		{"a\r\nb\rc", []string{"a\r\n", "b\r", "c"}},
		{"a\r\r\n", []string{"a\r", "\r\n"}},
		{"a\vb\fc", []string{"a\v", "b\f", "c"}},
		{"1\x1c2\x1d3\x1e4\x1f5", []string{"1\x1c", "2\x1d", "3\x1e", "4\x1f5"}},
		{"a\u0085b", []string{"a\u0085", "b"}},
		{"a\u2028b\u2029c", []string{"a\u2028", "b\u2029", "c"}},
		{"é\n😀", []string{"é\n", "😀"}},
	} {
		if got := nbformat.SplitLines(tc.in); !cmp.Equal(got, tc.want) {
			t.Errorf("SplitLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarshalSplitsAndStrips(t *testing.T) {
	nb := mustRead(t, `{"cells":[
	 {"cell_type":"code","id":"c1","metadata":{"trusted":true,"keep":1},"execution_count":1,"source":["x\n","y"],
	  "outputs":[
	   {"output_type":"stream","name":"stdout","text":["a\n","b\n"]},
	   {"output_type":"display_data","metadata":{},"data":{"image/png":"QUJD\nREVG\n","text/plain":"p\nq","image/svg+xml":"<svg>\n</svg>","application/json":{"a":"b\nc"},"application/javascript":"x\ny","text/html":""}},
	   {"output_type":"error","ename":"E","evalue":"v","traceback":["t\n1"]}]},
	 {"cell_type":"markdown","id":"m1","metadata":{},"source":"","attachments":{"i.png":{"image/png":"AA\nBB","text/plain":"one\ntwo"}}}],
	 "metadata":{"signature":"x","orig_nbformat":3,"orig_nbformat_minor":0},"nbformat":4,"nbformat_minor":5}`)
	want := `{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "c1",
   "metadata": {
    "keep": 1
   },
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "a\n",
      "b\n"
     ]
    },
    {
     "data": {
      "application/javascript": [
       "x\n",
       "y"
      ],
      "application/json": {
       "a": "b\nc"
      },
      "image/png": "QUJD\nREVG\n",
      "image/svg+xml": [
       "<svg>\n",
       "</svg>"
      ],
      "text/html": [],
      "text/plain": [
       "p\n",
       "q"
      ]
     },
     "metadata": {},
     "output_type": "display_data"
    },
    {
     "ename": "E",
     "evalue": "v",
     "output_type": "error",
     "traceback": [
      "t\n1"
     ]
    }
   ],
   "source": [
    "x\n",
    "y"
   ]
  },
  {
   "attachments": {
    "i.png": {
     "image/png": "AA\nBB",
     "text/plain": [
      "one\n",
      "two"
     ]
    }
   },
   "cell_type": "markdown",
   "id": "m1",
   "metadata": {},
   "source": []
  }
 ],
 "metadata": {},
 "nbformat": 4,
 "nbformat_minor": 5
}
`
	if got := mustMarshal(t, nb); got != want {
		t.Errorf("Marshal mismatch (-want +got):\n%s", cmp.Diff(want, got))
	}
	// In memory, strings are joined.
	cell := nb.Doc["cells"].([]any)[0].(map[string]any)
	if cell["source"] != "x\ny" {
		t.Errorf("source = %#v, want joined", cell["source"])
	}
	if _, ok := cell["metadata"].(map[string]any)["trusted"]; ok {
		t.Errorf("Read kept metadata.trusted")
	}
}

func TestKeyOrder(t *testing.T) {
	// Python sorts str keys by code point; UTF-16 order would put U+10000
	// before U+E000 and U+FFFF.
	nb := mustRead(t, withMeta(`{"\uffff":1,"\ud800\udc00":2,"\ue000":3,"Z":4,"a":5,"é":6,"":7}`))
	got := mustMarshal(t, nb)
	want := "\"metadata\": {\n  \"\": 7,\n  \"Z\": 4,\n  \"a\": 5,\n  \"é\": 6,\n  \"\ue000\": 3,\n  \"\uffff\": 1,\n  \"\U00010000\": 2\n }"
	if !strings.Contains(got, want) {
		t.Errorf("Marshal =\n%s\nwant it to contain\n%s", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	type kind int
	const (
		syntax kind = iota
		invalid
	)
	for _, tc := range []struct {
		in   string
		kind kind
		msg  string
	}{
		{``, syntax, "line 1 column 1"},
		{`{"cells":[],`, syntax, "line 1 column 13"},
		{"{\n  \"a\": tru}", syntax, "line 2 column 8"},
		{`{"a":1,}`, syntax, "property name"},
		{`{"a":01}`, syntax, "delimiter"},
		{`{"a":1.}`, syntax, "delimiter"},
		{`{"a":"x` + "\x01" + `"}`, syntax, "control character"},
		{`{"a":"` + "\xff" + `"}`, syntax, "invalid UTF-8 at line 1 column 7"},
		{"\xef\xbb\xbf{}", syntax, "byte-order mark"},
		{`{"a":"\x"}`, syntax, "escape"},
		{`{"a":"\u12"}`, syntax, "escape"},
		{`{} {}`, syntax, "extra data"},
		{`{"a":` + strings.Repeat("1", 4301) + `}`, syntax, "4300 digits"},
		{strings.Repeat("[", 1001) + strings.Repeat("]", 1001), syntax, "nesting"},
		{`[]`, invalid, "not a JSON object"},
		{`{"cells":[],"metadata":{}}`, invalid, `no "nbformat"`},
		{`{"cells":[],"metadata":{},"nbformat":"4"}`, invalid, "must be an integer"},
		{`{"cells":[],"metadata":{},"nbformat":4.0,"nbformat_minor":5}`, invalid, "must be an integer"},
		{`{"cells":[],"metadata":{},"nbformat":2}`, invalid, "nbformat 2 notebooks are not supported"},
		{`{"cells":[],"metadata":{},"nbformat":5,"nbformat_minor":0}`, invalid, "unsupported nbformat version 5"},
		{`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":"5"}`, invalid, "nbformat_minor"},
		{`{"cells":{},"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `"cells" must be an array`},
		{`{"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `no "cells"`},
		{`{"cells":[],"nbformat":4,"nbformat_minor":5}`, invalid, `no "metadata"`},
		{`{"cells":[1],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, "cell 0 must be an object"},
		{`{"cells":[{"cell_type":"code","source":"","outputs":[],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: "metadata"`},
		{`{"cells":[{"cell_type":"foo","metadata":{}}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: unknown "cell_type" "foo"`},
		{`{"cells":[{"cell_type":"markdown","metadata":{},"source":5}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: "source"`},
		{`{"cells":[{"cell_type":"markdown","metadata":{},"source":["a",1]}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: "source"`},
		{`{"cells":[{"cell_type":"code","metadata":{},"source":"","outputs":{},"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: "outputs"`},
		{`{"cells":[{"cell_type":"code","metadata":{},"source":"","outputs":[{"output_type":"stream","name":"stdout"}],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0 output 0: stream output has no "text"`},
		{`{"cells":[{"cell_type":"code","metadata":{},"source":"","outputs":[{"output_type":"pyout"}],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0 output 0: unknown "output_type"`},
		{`{"cells":[{"cell_type":"code","id":[1],"metadata":{},"source":"","outputs":[],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: "id"`},
		{`{"cells":[{"cell_type":"markdown","metadata":{},"source":"","attachments":[]}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, invalid, `cell 0: "attachments"`},
		{`{"nbformat":3,"metadata":{}}`, invalid, `"worksheets"`},
	} {
		_, err := nbformat.Read([]byte(tc.in))
		var se *nbformat.SyntaxError
		var ve *nbformat.ValidationError
		switch {
		case err == nil:
			t.Errorf("Read(%.60q) succeeded, want an error containing %q", tc.in, tc.msg)
			continue
		case tc.kind == syntax && !errors.As(err, &se):
			t.Errorf("Read(%.60q) = %T %v, want a SyntaxError", tc.in, err, err)
		case tc.kind == invalid && !errors.As(err, &ve):
			t.Errorf("Read(%.60q) = %T %v, want a ValidationError", tc.in, err, err)
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Read(%.60q) = %v, want it to contain %q", tc.in, err, tc.msg)
		}
	}
}

func TestFutureMinorKeepsUnknownCells(t *testing.T) {
	in := `{"cells":[{"cell_type":"future","metadata":{},"blob":[1,2]},{"cell_type":"code","id":"x","metadata":{},"source":"","outputs":[{"output_type":"hologram","x":1}],"execution_count":null,"new_key":true}],"metadata":{},"nbformat":4,"nbformat_minor":7,"extra":1}`
	nb := mustRead(t, in)
	if err := nb.Validate(); err != nil {
		t.Errorf("Validate of a 4.7 notebook with unknown parts: %v", err)
	}
	out := mustMarshal(t, nb)
	for _, want := range []string{`"cell_type": "future"`, `"blob": [`, `"output_type": "hologram"`, `"new_key": true`, `"extra": 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("Marshal lost %s:\n%s", want, out)
		}
	}
}

const v3Notebook = `{
 "metadata": {"name": "old", "signature": "sha256:x"},
 "nbformat": 3, "nbformat_minor": 0,
 "worksheets": [{"metadata": {}, "cells": [
   {"cell_type": "heading", "level": 2, "metadata": {}, "source": ["Title", "more"]},
   {"cell_type": "code", "collapsed": true, "language": "python", "input": ["x = 1\n", "x"],
    "prompt_number": 3, "metadata": {},
    "outputs": [
     {"output_type": "pyout", "prompt_number": 3, "metadata": {}, "text": ["1\n", "2"], "png": "QUJD", "json": "{\"a\": 1.5E3}"},
     {"output_type": "stream", "stream": "stderr", "text": ["warn"]},
     {"output_type": "pyerr", "ename": "E", "evalue": "v", "traceback": []}]},
   {"cell_type": "html", "metadata": {}, "source": "<b>x</b>"}]}]
}`

func TestV3Upgrade(t *testing.T) {
	nb := mustRead(t, v3Notebook)
	ids := regexp.MustCompile(`^[0-9a-f]{8}$`)
	cells := nb.Doc["cells"].([]any)
	for i, c := range cells {
		id, _ := c.(map[string]any)["id"].(string)
		if !ids.MatchString(id) {
			t.Errorf("cell %d id = %q, want 8 hex digits", i, id)
		}
		delete(c.(map[string]any), "id")
	}
	want := map[string]any{
		"nbformat": nbformat.Number("4"), "nbformat_minor": nbformat.Number("5"),
		"metadata": map[string]any{"orig_nbformat": nbformat.Number("3"), "orig_nbformat_minor": nbformat.Number("0")},
		"cells": []any{
			map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": "## Title more"},
			map[string]any{"cell_type": "code", "metadata": map[string]any{"collapsed": true}, "source": "x = 1\nx",
				"execution_count": nbformat.Number("3"),
				"outputs": []any{
					map[string]any{"output_type": "execute_result", "execution_count": nbformat.Number("3"), "metadata": map[string]any{},
						"data": map[string]any{"text/plain": "1\n2", "image/png": "QUJD",
							"application/json": map[string]any{"a": nbformat.Number("1.5E3")}}},
					map[string]any{"output_type": "stream", "name": "stderr", "text": "warn"},
					map[string]any{"output_type": "error", "ename": "E", "evalue": "v", "traceback": []any{}},
				}},
			map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": "<b>x</b>"},
		},
	}
	if diff := cmp.Diff(want, nb.Doc); diff != "" {
		t.Errorf("upgraded notebook (-want +got):\n%s", diff)
	}
	if err := nb.Validate(); err != nil { // fills the ids again, as nbformat.validate does
		t.Errorf("Validate after deleting ids = %v", err)
	}
	out := mustMarshal(t, nb)
	if strings.Contains(out, "orig_nbformat") {
		t.Errorf("Marshal wrote orig_nbformat:\n%s", out)
	}
	if err := nb.Validate(); err != nil {
		t.Errorf("Validate after Marshal: %v", err)
	}
}

func TestValidate(t *testing.T) {
	code := func(extra string) string {
		return `{"cells":[{"cell_type":"code","id":"a","metadata":{},"source":"","outputs":[],"execution_count":null` + extra + `}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	}
	for _, tc := range []struct{ in, want string }{
		{code(""), ""},
		{code(`,"execution_count":0`), ""},
		{code(`,"execution_count":-0`), ""},
		{code(`,"execution_count":-1`), `cell 0: "execution_count"`},
		{code(`,"execution_count":1.0`), `cell 0: "execution_count"`},
		{code(`,"execution_count":true`), `cell 0: "execution_count"`},
		{code(`,"extra":1`), `cell 0 (code): unexpected key "extra"`},
		{code(`,"id":"bad id"`), `cell 0: "id"`},
		{code(`,"id":"` + strings.Repeat("a", 65) + `"`), `cell 0: "id"`},
		{code(`,"id":"` + strings.Repeat("a", 64) + `"`), ""},
		{code(`,"metadata":{"scrolled":"x"}`), "cell 0: metadata.scrolled"},
		{code(`,"metadata":{"scrolled":"auto","collapsed":false}`), ""},
		{code(`,"metadata":{"collapsed":"no"}`), "cell 0: metadata.collapsed"},
		{code(`,"metadata":{"name":""}`), "cell 0: metadata.name"},
		{code(`,"metadata":{"name":"a\n"}`), "cell 0: metadata.name"},
		{code(`,"metadata":{"tags":["a","a"]}`), `cell 0: metadata.tags repeats "a"`},
		{code(`,"metadata":{"tags":["a,b"]}`), "cell 0: metadata.tags"},
		{code(`,"metadata":{"execution":{"iopub.status.busy":1}}`), `cell 0: metadata.execution["iopub.status.busy"]`},
		{code(`,"metadata":{"jupyter":[]}`), "cell 0: metadata.jupyter"},
		{code(`,"outputs":[{"output_type":"stream","name":1,"text":""}]`), `cell 0 output 0: "name"`},
		{code(`,"outputs":[{"output_type":"display_data","data":{"text/plain":1},"metadata":{}}]`), `cell 0 output 0 data: "text/plain"`},
		{code(`,"outputs":[{"output_type":"display_data","data":{"application/x+json":1,"application/json":[1]},"metadata":{}}]`), ""},
		{code(`,"outputs":[{"output_type":"display_data","data":{},"metadata":{},"transient":{}}]`), `cell 0 output 0 (display_data): unexpected key "transient"`},
		{code(`,"outputs":[{"output_type":"execute_result","data":{},"metadata":{}}]`), `cell 0 output 0 (execute_result): missing required key "execution_count"`},
		{code(`,"outputs":[{"output_type":"error","ename":"E","evalue":"v","traceback":[1]}]`), `cell 0 output 0: "traceback"`},
		{code(`,"attachments":{}`), `cell 0 (code): unexpected key "attachments"`},
		{`{"cells":[{"cell_type":"markdown","id":"a","metadata":{},"source":"","attachments":{"x":{"image/png":5}}}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, `cell 0 attachment "x": "image/png"`},
		{`{"cells":[{"cell_type":"raw","id":"a","metadata":{"format":1},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}`, "cell 0: metadata.format"},
		{`{"cells":[{"cell_type":"raw","id":"a","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":4}`, `cell 0: "id" is not allowed before nbformat 4.5`},
		{`{"cells":[{"cell_type":"raw","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":4}`, ""},
		{`{"cells":[],"metadata":{},"nbformat":4}`, `missing required key "nbformat_minor"`},
		{`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5,"x":1}`, `unexpected top-level key "x"`},
		{`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":-1}`, "no schema for nbformat 4.-1"},
		{withMeta(`{"kernelspec":{"name":"p"}}`), `metadata.kernelspec: missing required key "display_name"`},
		{withMeta(`{"language_info":{"name":"p","codemirror_mode":1}}`), "metadata.language_info.codemirror_mode"},
		{withMeta(`{"orig_nbformat":0}`), "metadata.orig_nbformat"},
		{withMeta(`{"title":1}`), "metadata.title"},
		{`{"cells":[],"metadata":{"title":1},"nbformat":4,"nbformat_minor":1}`, ""},
	} {
		nb, err := nbformat.FromJSON([]byte(tc.in)) // keeps metadata.orig_nbformat
		if err != nil {
			t.Fatalf("FromJSON(%s): %v", tc.in, err)
		}
		err = nb.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Validate(%s) = %v, want nil", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Validate(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
		var ve *nbformat.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Errorf("Validate error is %T, want *ValidationError", err)
		}
	}
}

func TestIDs(t *testing.T) {
	nb := mustRead(t, `{"cells":[
	 {"cell_type":"raw","metadata":{},"source":""},
	 {"cell_type":"raw","id":"dup","metadata":{},"source":""},
	 {"cell_type":"raw","id":"dup","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	cells := nb.Doc["cells"].([]any)
	id := func(i int) string { return cells[i].(map[string]any)["id"].(string) }
	hex8 := regexp.MustCompile(`^[0-9a-f]{8}$`)
	if !hex8.MatchString(id(0)) {
		t.Errorf("missing id filled with %q, want 8 hex digits", id(0))
	}
	if id(1) != "dup" || !hex8.MatchString(id(2)) {
		t.Errorf("duplicate ids became %q, %q; want dup and 8 hex digits", id(1), id(2))
	}
	if err := nb.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// Cells added in memory without ids get them on Marshal, as nbformat.write does.
	nb.Doc["cells"] = append(cells, map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": "new"})
	mustMarshal(t, nb)
	if _, ok := nb.Doc["cells"].([]any)[3].(map[string]any)["id"].(string); !ok {
		t.Errorf("Marshal did not give the new cell an id")
	}
	// Before 4.5 ids are neither added nor allowed.
	old := mustRead(t, `{"cells":[{"cell_type":"raw","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":4}`)
	mustMarshal(t, old)
	if _, ok := old.Doc["cells"].([]any)[0].(map[string]any)["id"]; ok {
		t.Errorf("an id was added to a 4.4 notebook")
	}
}

func TestFromJSONAndTrust(t *testing.T) {
	content := `{"cells":[{"cell_type":"code","id":"a","metadata":{"trusted":true},"source":["x\n","y"],"outputs":[{"output_type":"stream","name":"stdout","text":["1\n","2"]}],"execution_count":1},
	 {"cell_type":"markdown","id":"b","metadata":{},"source":"m"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	nb, err := nbformat.FromJSON([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	cell := nb.Doc["cells"].([]any)[0].(map[string]any)
	if cell["metadata"].(map[string]any)["trusted"] != true {
		t.Errorf("FromJSON dropped metadata.trusted, which signing needs")
	}
	if cell["source"] != "x\ny" {
		t.Errorf("FromJSON source = %#v, want joined", cell["source"])
	}
	if out := mustMarshal(t, nb); strings.Contains(out, "trusted") {
		t.Errorf("Marshal wrote trusted:\n%s", out)
	}
	nb.SetTrusted(false)
	if cell["metadata"].(map[string]any)["trusted"] != false {
		t.Errorf("SetTrusted(false) did not set the code cell")
	}
	if _, ok := nb.Doc["cells"].([]any)[1].(map[string]any)["metadata"].(map[string]any)["trusted"]; ok {
		t.Errorf("SetTrusted touched a markdown cell")
	}
	js, err := nb.MarshalJSON()
	if err != nil || !json.Valid(js) || !strings.Contains(string(js), `"trusted":false`) {
		t.Errorf("MarshalJSON = %s, %v", js, err)
	}
}

func TestMarshalJSONNonFinite(t *testing.T) {
	nb := mustRead(t, withMeta(`{"a":NaN,"b":-Infinity,"c":1e400}`))
	js, err := nb.MarshalJSON()
	if err != nil || !json.Valid(js) {
		t.Fatalf("MarshalJSON = %s, %v", js, err)
	}
	if !strings.Contains(string(js), `{"a":null,"b":null,"c":1e400}`) {
		t.Errorf("MarshalJSON = %s", js)
	}
	if out := mustMarshal(t, nb); !strings.Contains(out, `"a": NaN,`) || !strings.Contains(out, `"c": Infinity`) {
		t.Errorf("Marshal = %s", out)
	}
}

func TestNewAndGoValues(t *testing.T) {
	nb := nbformat.New()
	nb.Doc["cells"] = []any{map[string]any{
		"cell_type": "code", "id": "go", "metadata": map[string]any{}, "source": "a\nb",
		"outputs": []any{}, "execution_count": 3,
	}}
	nb.Doc["metadata"] = map[string]any{"f": 0.5, "tags": []string{"x"}}
	if err := nb.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	out := mustMarshal(t, nb)
	back := mustRead(t, out)
	if again := mustMarshal(t, back); again != out {
		t.Errorf("round trip changed:\n%s\n%s", out, again)
	}
	if !strings.Contains(out, `"execution_count": 3`) || !strings.Contains(out, `"f": 0.5`) {
		t.Errorf("Marshal = %s", out)
	}
	nb.Doc["metadata"] = map[string]any{"bad": struct{}{}}
	if _, err := nbformat.Marshal(nb); err == nil {
		t.Errorf("Marshal of a struct value succeeded")
	}
	nb.Doc["metadata"] = map[string]any{"bad": nbformat.Number("1.")}
	if _, err := nbformat.Marshal(nb); err == nil {
		t.Errorf("Marshal of an invalid Number succeeded")
	}
}

func TestClone(t *testing.T) {
	nb := mustRead(t, v3Notebook)
	c := nb.Clone()
	if !nbformat.Equal(nb.Doc, c.Doc) {
		t.Fatal("Clone differs")
	}
	c.Doc["cells"].([]any)[0].(map[string]any)["source"] = "changed"
	if nbformat.Equal(nb.Doc, c.Doc) {
		t.Error("Clone shares cells")
	}
}
