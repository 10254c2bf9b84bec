package trust_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Tricky values for the differential corpus: numbers as lexemes Python
// and Go read alike but print differently, strings and keys that stress
// UTF-8, ordering and line splitting.
var (
	genNumbers = []string{
		"0", "-0", "1", "-1", "42", "9007199254740993", "-123456789012345678901234567890",
		"0.1", "1e300", "-0.0", "5e-324", "1E2", "1.50", "1e-5", "1e16", "1e15", "1.5e16",
		"123456789012345678", "1.7976931348623157e308", "1e400", "-1e400", "2.5e-7",
		"100000000000000000000.0", "0.30000000000000004", "1e22", "1e21", "0.0001", "0.00001",
		"NaN", "Infinity", "-Infinity", "3.0", "1e-7", "12345.678e-3",
	}
	genStrings = []string{
		"", "a", "multi\nline\nstring\n", "crlf\r\nline\rcr\n", "tab\tand\vvt\fff", "emoji 😀🎉👩‍👩‍👧",
		"é", "日本語のテキスト", "\u2028sep\u2029", "<script>alert(1)</script>", `back\slash "quote"`,
		"\x01\x1f ctrl", "\ufeffbom", "\U0001F600", "\x1c\x1d\x1e\u0085 splits", "True", "None", "1.0",
	}
	genKeys = []string{
		"a", "B", "é", "z", "😀", "\uff61", "", "key with space", "ü", "Ω", "\x00nul", "Z", "aa", "a\u0301",
	}
)

type gen struct{ r *rand.Rand }

func (g gen) pick(a []string) string { return a[g.r.IntN(len(a))] }

func (g gen) str(b *strings.Builder, s string) {
	e, _ := json.Marshal(s)
	b.Write(e)
}

// multiline writes s as a JSON string or, half the time, as a list of its
// lines.
func (g gen) multiline(b *strings.Builder, s string) {
	if g.r.IntN(2) == 0 {
		g.str(b, s)
		return
	}
	b.WriteByte('[')
	for i, line := range strings.SplitAfter(s, "\n") {
		if i > 0 {
			b.WriteByte(',')
		}
		g.str(b, line)
	}
	b.WriteByte(']')
}

func (g gen) text() string {
	var parts []string
	for range 1 + g.r.IntN(4) {
		parts = append(parts, g.pick(genStrings))
	}
	return strings.Join(parts, "\n")
}

// value writes a random JSON value nested at most depth deep.
func (g gen) value(b *strings.Builder, depth int) {
	k := g.r.IntN(10)
	if depth <= 0 && k >= 7 {
		k = g.r.IntN(7)
	}
	switch k {
	case 0, 1:
		b.WriteString(g.pick(genNumbers))
	case 2, 3:
		g.str(b, g.text())
	case 4:
		b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	case 5, 6:
		g.str(b, g.pick(genStrings))
	case 7, 8:
		g.object(b, depth-1)
	default:
		b.WriteByte('[')
		for i := range g.r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			g.value(b, depth-1)
		}
		b.WriteByte(']')
	}
}

func (g gen) object(b *strings.Builder, depth int) {
	b.WriteByte('{')
	seen := map[string]bool{}
	for range g.r.IntN(5) {
		k := g.pick(genKeys)
		if seen[k] {
			continue
		}
		seen[k] = true
		if len(seen) > 1 {
			b.WriteByte(',')
		}
		g.str(b, k)
		b.WriteByte(':')
		g.value(b, depth)
	}
	b.WriteByte('}')
}

// notebook returns the text of a random v4 notebook (minor 4 or 5, with
// unique ids for 5) holding code, markdown and raw cells, every output
// type, attachments, widget metadata and, rarely, a huge output.
func (g gen) notebook() string {
	minor := 4 + g.r.IntN(2)
	var b strings.Builder
	b.WriteString(`{"cells":[`)
	for i := range g.r.IntN(6) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		if minor == 5 {
			fmt.Fprintf(&b, `"id":"c%d",`, i)
		}
		b.WriteString(`"metadata":`)
		g.object(&b, 2)
		b.WriteString(`,"source":`)
		g.multiline(&b, g.text())
		switch g.r.IntN(3) {
		case 0:
			b.WriteString(`,"cell_type":"markdown","attachments":{"img.png":{"image/png":"iVBORw0KGgo=","text/plain":`)
			g.multiline(&b, g.text())
			b.WriteString(`}}}`)
			continue
		case 1:
			b.WriteString(`,"cell_type":"raw"}`)
			continue
		}
		b.WriteString(`,"cell_type":"code","execution_count":`)
		b.WriteString([]string{"null", "1", "12"}[g.r.IntN(3)])
		b.WriteString(`,"outputs":[`)
		for j := range g.r.IntN(4) {
			if j > 0 {
				b.WriteByte(',')
			}
			g.output(&b)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`],"metadata":{"kernelspec":{"name":"python3","display_name":"Python 3 🐍"},"signature":"sha256:0123",`)
	b.WriteString(`"widgets":{"application/vnd.jupyter.widget-state+json":{"state":{"m1":{"model_name":"IntSliderModel","state":{"value":`)
	b.WriteString(g.pick(genNumbers))
	b.WriteString(`,"max":1e300}}},"version_major":2,"version_minor":0}},"extra":`)
	g.value(&b, 3)
	fmt.Fprintf(&b, `},"nbformat":4,"nbformat_minor":%d}`, minor)
	return b.String()
}

// manyOutputs returns a v4.5 notebook of two code cells of n random
// outputs each: past 64 KiB, a notebook read cell by cell decodes such a
// cell's outputs one at a time.
func (g gen) manyOutputs(n int) string {
	var b strings.Builder
	b.WriteString(`{"cells":[`)
	for i := range 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"c%d","cell_type":"code","execution_count":1,"metadata":{"trusted":true},"source":"f()","outputs":[`, i)
		for j := range n {
			if j > 0 {
				b.WriteByte(',')
			}
			g.output(&b)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	return b.String()
}

func (g gen) output(b *strings.Builder) {
	switch g.r.IntN(5) {
	case 0:
		b.WriteString(`{"output_type":"stream","name":"stdout","text":`)
		g.multiline(b, g.text())
		b.WriteByte('}')
	case 1:
		b.WriteString(`{"output_type":"error","ename":"ValueError","evalue":`)
		g.str(b, g.text())
		b.WriteString(`,"traceback":[`)
		g.str(b, g.text())
		b.WriteString(`]}`)
	case 2:
		b.WriteString(`{"output_type":"display_data","metadata":{"image/png":{"width":640,"height":4.8e2}},"data":{"image/png":"iVBORw0KGgo=\n","application/vnd.jupyter.widget-view+json":{"model_id":"m1","version_major":2,"version_minor":0},"application/json":`)
		g.value(b, 3)
		b.WriteString(`,"text/html":`)
		g.multiline(b, g.text())
		b.WriteString(`}}`)
	case 3:
		b.WriteString(`{"output_type":"execute_result","execution_count":3,"metadata":{},"data":{"text/plain":`)
		if g.r.IntN(20) == 0 {
			g.multiline(b, strings.Repeat("huge output line ✓\n", 50000))
		} else {
			g.multiline(b, g.text())
		}
		b.WriteString(`}}`)
	default:
		b.WriteString(`{"output_type":"display_data","metadata":{},"data":{}}`)
	}
}
