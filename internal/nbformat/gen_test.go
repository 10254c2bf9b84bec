package nbformat_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// gen writes random notebook JSON text full of values nbformat is picky
// about. It writes text rather than building values so that number
// lexemes, escapes, whitespace and duplicate keys vary too.
type gen struct {
	r *rand.Rand
	b strings.Builder
	// soft makes schema violations likely; hard adds structural ones.
	soft, hard bool
	minor      int
	nextID     int
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed*7+1))}
}

var pieces = []string{
	"a", "hello ", "x = 1", "\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e",
	"\u0085", "\u2028", "\u2029", "é", "😀", "\x00", "\x1b", "\x7f", "<&>", `"`, `\`, "/",
	"日本", "\uffff", "\U00010000", "\ue000", "\t", " ", "\n\n", "line\n",
}

var numbers = []string{
	"0", "-0", "1", "7", "0.1", "1e300", "-0.0", "5e-324", "1e16", "1E5", "123456789.123",
	"12345678901234567890", "-9007199254740993", "1.0e0", "1e-7", "0.0001", "1e400", "-1e400",
	"2.5E-3", "100", "1.5e16", "1e15", "1.0", "0.5", "3.141592653589793", "1e-400",
	"NaN", "Infinity", "-Infinity", "123456789012345678", "1e22", "9999999999999999.0",
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) pick(a []string) string { return a[g.r.IntN(len(a))] }

func (g *gen) ws() {
	if g.chance(0.1) {
		g.b.WriteString(g.pick([]string{" ", "\n", "\t", "\r\n", "  "}))
	}
}

func (g *gen) text() string {
	var s strings.Builder
	for range g.r.IntN(7) {
		s.WriteString(g.pick(pieces))
	}
	return s.String()
}

// str writes s as a JSON string with randomly chosen escapes.
func (g *gen) str(s string) {
	g.b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			g.b.WriteByte('\\')
			g.b.WriteRune(r)
		case r == '\n' && g.chance(0.7):
			g.b.WriteString(`\n`)
		case r < 0x20 || g.chance(0.1):
			if r >= 0x10000 {
				r -= 0x10000
				hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
				fmt.Fprintf(&g.b, `\u%04x\u%04X`, hi, lo)
			} else if g.chance(0.5) {
				fmt.Fprintf(&g.b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&g.b, `\u%04X`, r)
			}
		case r == '/' && g.chance(0.5):
			g.b.WriteString(`\/`)
		default:
			g.b.WriteRune(r)
		}
	}
	g.b.WriteByte('"')
}

// multiline writes s as a string or as an arbitrary split of it.
func (g *gen) multiline(s string) {
	if g.chance(0.5) {
		g.str(s)
		return
	}
	g.b.WriteByte('[')
	first := true
	for len(s) > 0 {
		n := 1 + g.r.IntN(len(s))
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n++
		}
		if !first {
			g.b.WriteByte(',')
		}
		first = false
		g.ws()
		g.str(s[:n])
		s = s[n:]
	}
	g.b.WriteByte(']')
}

type field struct {
	key string
	val func()
}

// object writes the fields in random order, sometimes repeating one (the
// earlier copy with a junk value: the last one wins).
func (g *gen) object(fs []field) {
	g.r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	g.b.WriteByte('{')
	g.ws()
	for i, f := range fs {
		if i > 0 {
			g.b.WriteByte(',')
			g.ws()
		}
		if g.chance(0.03) {
			g.str(f.key)
			g.b.WriteString(":0,")
		}
		g.str(f.key)
		g.ws()
		g.b.WriteByte(':')
		g.ws()
		f.val()
	}
	g.ws()
	g.b.WriteByte('}')
}

func (g *gen) array(n int, item func(i int)) {
	g.b.WriteByte('[')
	for i := range n {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		item(i)
	}
	g.b.WriteByte(']')
}

func (g *gen) lit(s string) func() { return func() { g.b.WriteString(s) } }
func (g *gen) s(s string) func()   { return func() { g.str(s) } }
func (g *gen) ml(s string) func()  { return func() { g.multiline(s) } }

// any writes a random JSON value.
func (g *gen) any(depth int) {
	switch k := g.r.IntN(8); {
	case depth > 3 || k < 2:
		g.b.WriteString(g.pick(numbers))
	case k == 2:
		g.b.WriteString(g.pick([]string{"true", "false", "null"}))
	case k < 5:
		g.str(g.text())
	case k == 5:
		g.array(g.r.IntN(4), func(int) { g.any(depth + 1) })
	default:
		n := g.r.IntN(4)
		fs := make([]field, 0, n)
		seen := map[string]bool{}
		for range n {
			k := g.text()
			if seen[k] {
				continue
			}
			seen[k] = true
			fs = append(fs, field{k, func() { g.any(depth + 1) }})
		}
		g.object(fs)
	}
}

func (g *gen) base64(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	s := base64.StdEncoding.EncodeToString(b)
	if g.chance(0.3) { // base64 wrapped in lines, as some kernels send it
		var w strings.Builder
		for len(s) > 76 {
			w.WriteString(s[:76] + "\n")
			s = s[76:]
		}
		w.WriteString(s + "\n")
		s = w.String()
	}
	return s
}

func (g *gen) bundle() {
	var fs []field
	if g.chance(0.8) {
		fs = append(fs, field{"text/plain", g.ml(g.text())})
	}
	if g.chance(0.3) {
		fs = append(fs, field{"text/html", g.ml("<b>" + g.text() + "</b>\n<i>x</i>")})
	}
	if g.chance(0.3) {
		fs = append(fs, field{"image/png", g.ml(g.base64(g.r.IntN(300)))})
	}
	if g.chance(0.2) {
		fs = append(fs, field{"image/svg+xml", g.ml("<svg>\n" + g.text() + "</svg>\n")})
	}
	if g.chance(0.2) {
		fs = append(fs, field{"application/javascript", g.ml("alert(1);\nx\r\n")})
	}
	if g.chance(0.2) {
		fs = append(fs, field{"application/json", func() { g.any(0) }})
	}
	if g.chance(0.2) {
		fs = append(fs, field{"application/vnd.jupyter.widget-view+json", func() {
			g.object([]field{{"model_id", g.s("3a5b")}, {"version_major", g.lit("2")}, {"version_minor", g.lit("0")}})
		}})
	}
	if g.chance(0.1) {
		fs = append(fs, field{"text/latex", g.ml("$$x$$\r\ny")})
	}
	if g.soft && g.chance(0.2) {
		fs = append(fs, field{"text/markdown", func() { g.any(0) }})
	}
	g.object(fs)
}

func (g *gen) output() {
	switch g.r.IntN(5) {
	case 0, 1:
		text := g.text()
		if g.chance(0.05) {
			text = strings.Repeat("huge output line\n", 5000)
		}
		fs := []field{{"output_type", g.s("stream")}, {"name", g.s(g.pick([]string{"stdout", "stderr"}))}, {"text", g.ml(text)}}
		if g.soft && g.chance(0.2) {
			fs[1].val = g.lit("5")
		}
		g.object(fs)
	case 2:
		fs := []field{{"output_type", g.s("display_data")}, {"data", g.bundle}, {"metadata", g.outMeta}}
		if g.soft && g.chance(0.3) {
			fs = append(fs, field{"transient", g.lit(`{"display_id":"x"}`)})
		}
		g.object(fs)
	case 3:
		fs := []field{{"output_type", g.s("execute_result")}, {"data", g.bundle}, {"metadata", g.outMeta}, {"execution_count", g.execCount}}
		g.object(fs)
	default:
		g.object([]field{{"output_type", g.s("error")}, {"ename", g.s("ValueError")}, {"evalue", g.s(g.text())},
			{"traceback", func() { g.array(g.r.IntN(3), func(int) { g.str(g.text()) }) }}})
	}
}

func (g *gen) outMeta() {
	if g.chance(0.5) {
		g.b.WriteString("{}")
		return
	}
	g.object([]field{{"image/png", func() {
		g.object([]field{{"width", g.lit(g.pick(numbers))}, {"height", g.lit("480")}})
	}}})
}

func (g *gen) execCount() {
	if g.soft && g.chance(0.2) {
		g.b.WriteString(g.pick([]string{"-1", "1.0", `"3"`, "true", "1e2"}))
		return
	}
	g.b.WriteString(g.pick([]string{"null", "1", "42", "0", "-0", "123456789012345678901234567890"}))
}

func (g *gen) cellMeta(ct string) {
	var fs []field
	if g.chance(0.3) {
		fs = append(fs, field{"trusted", g.lit("true")})
	}
	if g.chance(0.3) {
		fs = append(fs, field{"tags", func() {
			tags := []string{"a", "b c", "日本"}
			if g.soft && g.chance(0.3) {
				tags = append(tags, g.pick([]string{"a", "x,y", ""}))
			}
			g.array(len(tags), func(i int) { g.str(tags[i]) })
		}})
	}
	if g.chance(0.2) {
		fs = append(fs, field{"name", g.s(g.pick([]string{"n", "名前"}))})
		if g.soft && g.chance(0.3) {
			fs[len(fs)-1].val = g.s(g.pick([]string{"", "a\n", "a\nb"}))
		}
	}
	if g.chance(0.2) {
		fs = append(fs, field{"jupyter", g.lit(`{"source_hidden": true}`)})
	}
	if ct == "code" && g.chance(0.3) {
		fs = append(fs, field{"scrolled", g.lit(g.pick([]string{"true", "false", `"auto"`}))})
		if g.soft && g.chance(0.3) {
			fs[len(fs)-1].val = g.lit(g.pick([]string{"1", "0.0", "2", `"x"`, "null"}))
		}
	}
	if ct == "code" && g.chance(0.2) {
		fs = append(fs, field{"collapsed", g.lit("false")})
	}
	if ct == "code" && g.chance(0.2) && g.minor >= 4 {
		fs = append(fs, field{"execution", g.lit(`{"iopub.status.busy": "2024-05-01T10:00:00.123456Z", "shell.execute_reply": "2024-05-01T10:00:01Z"}`)})
	}
	if g.chance(0.3) {
		fs = append(fs, field{g.text() + "k", func() { g.any(0) }})
	}
	g.object(fs)
}

func (g *gen) cell(i int) {
	ct := g.pick([]string{"code", "code", "markdown", "raw"})
	fs := []field{{"cell_type", g.s(ct)}, {"metadata", func() { g.cellMeta(ct) }}, {"source", g.ml(g.text())}}
	if g.minor >= 5 {
		g.nextID++
		id := fmt.Sprintf("c-%d_%s", g.nextID, g.pick([]string{"x", "Y", "0"}))
		if g.soft && g.chance(0.1) {
			id = g.pick([]string{"", "bad id", strings.Repeat("x", 65), "c-1_x"})
		}
		if !(g.soft && g.chance(0.05)) {
			fs = append(fs, field{"id", g.s(id)})
		}
	} else if g.soft && g.chance(0.1) {
		fs = append(fs, field{"id", g.s("early")})
	}
	if ct == "code" {
		n := g.r.IntN(4)
		fs = append(fs, field{"outputs", func() { g.array(n, func(int) { g.output() }) }},
			field{"execution_count", g.execCount})
	} else if g.chance(0.3) {
		fs = append(fs, field{"attachments", func() {
			g.object([]field{{"img.png", func() {
				g.object([]field{{"image/png", g.ml(g.base64(40))}, {"text/plain", g.ml("alt\ntext")}})
			}}})
		}})
	}
	if g.soft && g.chance(0.05) {
		fs = append(fs, field{"extra", g.lit("1")})
	}
	if g.hard && g.chance(0.1) {
		fs[2].val = g.lit("5")
	}
	g.object(fs)
}

// notebook writes one random v4 notebook.
func (g *gen) notebook() string {
	g.b.Reset()
	g.minor = g.pick4()
	nCells := g.r.IntN(6)
	meta := []field{
		{"kernelspec", g.lit(`{"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}`)},
		{"language_info", g.lit(`{"name": "python", "version": "3.11.2", "codemirror_mode": {"name": "ipython", "version": 3}}`)},
	}
	if g.chance(0.3) {
		meta = append(meta, field{"widgets", func() {
			g.object([]field{{"application/vnd.jupyter.widget-state+json", func() {
				g.object([]field{{"state", func() { g.any(0) }}, {"version_major", g.lit("2")}, {"version_minor", g.lit("0")}})
			}}})
		}})
	}
	if g.chance(0.3) {
		meta = append(meta, field{"signature", g.s("sha256:abc")}, field{"orig_nbformat", g.lit("3")})
	}
	for range g.r.IntN(3) {
		k := g.text()
		meta = append(meta, field{k + "\U0001F600" + fmt.Sprint(len(meta)), func() { g.any(0) }})
	}
	if g.soft && g.chance(0.1) {
		meta[0].val = g.lit(`{"name": "python3"}`)
	}
	top := []field{
		{"metadata", func() { g.object(meta) }},
		{"nbformat", g.lit("4")},
		{"nbformat_minor", g.lit(fmt.Sprint(g.minor))},
		{"cells", func() { g.array(nCells, g.cell) }},
	}
	if g.soft && g.chance(0.05) {
		top = append(top, field{"extra", g.lit("{}")})
	}
	if g.soft && g.chance(0.03) {
		top = top[:2] // no minor, no cells
	}
	g.object(top)
	return g.b.String()
}

func (g *gen) pick4() int {
	if g.soft && g.chance(0.1) {
		return 6
	}
	return []int{0, 2, 4, 4, 5, 5, 5, 5}[g.r.IntN(8)]
}

// v3 writes one random nbformat 3 notebook.
func (g *gen) v3() string {
	g.b.Reset()
	cell := func(int) {
		switch g.r.IntN(4) {
		case 0:
			g.object([]field{{"cell_type", g.s("heading")}, {"level", g.lit(g.pick([]string{"1", "2", "3"}))}, {"metadata", g.lit("{}")}, {"source", g.ml("Title\n" + g.text())}})
		case 1:
			g.object([]field{{"cell_type", g.s("markdown")}, {"metadata", g.lit("{}")}, {"source", func() {
				lines := []string{"a", "b\n", "c"}
				g.array(len(lines), func(i int) { g.str(lines[i]) })
			}}})
		default:
			outs := []func(){
				func() {
					g.object([]field{{"output_type", g.s("pyout")}, {"prompt_number", g.lit("3")}, {"metadata", g.lit("{}")},
						{"text", g.ml("out\n" + g.text())}, {"png", g.s(g.base64(30))}, {"json", g.s(`{"a": [1, 1.5E3]}`)}, {"html", g.s("<p>")}})
				},
				func() {
					g.object([]field{{"output_type", g.s("stream")}, {"stream", g.s("stderr")}, {"text", g.ml("warn\nx")}})
				},
				func() {
					g.object([]field{{"output_type", g.s("pyerr")}, {"ename", g.s("E")}, {"evalue", g.s("v")}, {"traceback", g.lit(`["t"]`)}})
				},
				func() {
					g.object([]field{{"output_type", g.s("display_data")}, {"svg", g.s("<svg/>\n")}, {"metadata", g.lit(`{"png": {"width": 3}}`)}})
				},
			}
			g.object([]field{{"cell_type", g.s("code")}, {"collapsed", g.lit("false")}, {"language", g.s("python")},
				{"input", g.ml("x = 1\nprint(x)")}, {"prompt_number", g.lit("1")}, {"metadata", g.lit(`{"trusted": true}`)},
				{"outputs", func() { g.array(g.r.IntN(4), func(int) { outs[g.r.IntN(len(outs))]() }) }}})
		}
	}
	g.object([]field{
		{"metadata", g.lit(`{"name": "old", "signature": "sha256:x"}`)},
		{"nbformat", g.lit("3")}, {"nbformat_minor", g.lit("0")},
		{"worksheets", func() {
			g.array(1+g.r.IntN(2), func(int) {
				g.object([]field{{"cells", func() { g.array(g.r.IntN(4), cell) }}, {"metadata", g.lit("{}")}})
			})
		}},
	})
	return g.b.String()
}

// corpus returns n random notebooks plus fixed edge cases.
func corpus(n int) []string {
	out := []string{
		`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"markdown","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"code","metadata":{},"source":"","outputs":[],"execution_count":null,"id":"a"},{"cell_type":"code","metadata":{},"source":"","outputs":[],"execution_count":null,"id":"a"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[{"cell_type":"future","metadata":{},"blob":1}],"metadata":{},"nbformat":4,"nbformat_minor":7}`,
		`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5,"nbformat":4}`,
		`{"cells":[{"cell_type":"code","metadata":{},"source":"x","outputs":[{"output_type":"stream","name":"stdout","text":"a\u000bb\u000cc\u001cd\u001de\u001ef\u0085g\u2028h\u2029i\r\nj\rk\n"}],"execution_count":1,"id":"s"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`[]`, `{}`, `{"nbformat":5,"nbformat_minor":0,"cells":[],"metadata":{}}`,
		`{"cells":{},"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[1],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5,}`,
		`{"cells":[],"metadata":{"x":01},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[],"metadata":{"x":"\x01"},"nbformat":4,"nbformat_minor":5}`,
		"\xef\xbb\xbf" + `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		`{"cells":[],"metadata":{"x":"` + "\xff" + `"},"nbformat":4,"nbformat_minor":5}`,
	}
	for i := range n {
		g := newGen(uint64(i))
		switch i % 10 {
		case 0:
			out = append(out, g.v3())
		case 1, 2, 3:
			g.soft = true
			out = append(out, g.notebook())
		case 4:
			g.soft, g.hard = true, true
			out = append(out, g.notebook())
		default:
			out = append(out, g.notebook())
		}
	}
	return out
}
