package export

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"

	"quire/internal/nbformat"
)

// png1 is a 1×1 PNG.
var png1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// read reads doc as the contents service does for a GET: cell by cell
// (TestStreamedAsTree checks that the tree reader exports the same).
func read(t testing.TB, doc string) *nbformat.Notebook {
	t.Helper()
	nb, err := nbformat.ReadStreaming([]byte(doc))
	if err != nil {
		t.Fatalf("read notebook: %v", err)
	}
	return nb
}

func run(t testing.TB, nb *nbformat.Notebook, format string, opt Options) (*Result, string) {
	t.Helper()
	res, err := Export(nb, format, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return res, buf.String()
}

func notebook(meta string, cells ...string) string {
	return `{"nbformat":4,"nbformat_minor":5,"metadata":` + meta + `,"cells":[` + strings.Join(cells, ",") + `]}`
}

const (
	pyMeta  = `{"kernelspec":{"name":"python3","language":"python","display_name":"Python 3"},"language_info":{"name":"python","file_extension":".py","mimetype":"text/x-python"}}`
	mdCell  = `{"cell_type":"markdown","id":"m","metadata":{},"source":["# Title\n","Some *text*"]}`
	codeCel = `{"cell_type":"code","id":"c","metadata":{},"execution_count":1,"source":"print(1 < 2)","outputs":[{"output_type":"stream","name":"stdout","text":"True\n"}]}`
)

func TestScript(t *testing.T) {
	tests := []struct {
		name, meta    string
		cells         []string
		ext, ctype    string
		want, notWant []string
	}{
		{"python", pyMeta, []string{mdCell, codeCel}, ".py", "text/x-python; charset=utf-8",
			[]string{"# # Title\n# Some *text*\n\n\nprint(1 < 2)\n"}, []string{"True"}},
		{"kernelspec only", `{"kernelspec":{"name":"ir","language":"R","display_name":"R"}}`, []string{mdCell, codeCel}, ".r", "text/x-r-source; charset=utf-8",
			[]string{"# # Title", "print(1 < 2)"}, nil},
		{"javascript comments", `{"language_info":{"name":"javascript","file_extension":".js"}}`, []string{mdCell}, ".js", "text/javascript; charset=utf-8",
			[]string{"// # Title\n// Some *text*\n"}, nil},
		{"unknown language by extension", `{"language_info":{"name":"mylang","file_extension":".jl"}}`, []string{mdCell, codeCel}, ".jl", "text/plain; charset=utf-8",
			[]string{"# # Title"}, nil},
		{"unknown language: markdown left out", `{"language_info":{"name":"mylang","file_extension":".my"}}`, []string{mdCell, codeCel}, ".my", "text/plain; charset=utf-8",
			[]string{"print(1 < 2)\n"}, []string{"Title"}},
		{"nothing known", `{}`, []string{codeCel}, ".txt", "text/plain; charset=utf-8", []string{"print(1 < 2)\n"}, nil},
		{"hostile extension and mimetype ignored", `{"language_info":{"name":"python","file_extension":"../x\"","mimetype":"text/html\r\nX: y"}}`, []string{codeCel}, ".py", "text/x-python; charset=utf-8", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := run(t, read(t, notebook(tt.meta, tt.cells...)), "script", Options{Name: "a.ipynb"})
			if res.Ext != tt.ext || res.ContentType != tt.ctype {
				t.Errorf("ext %q type %q, want %q %q", res.Ext, res.ContentType, tt.ext, tt.ctype)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

const hostile = `{"cell_type":"markdown","id":"h","metadata":{},"source":"Hi <script>alert('md')</script><img src=x onerror=alert(1)> [l](javascript:alert(2))"}`

func outputCell(outputs string) string {
	return `{"cell_type":"code","id":"o","metadata":{},"execution_count":2,"source":"x","outputs":[` + outputs + `]}`
}

const (
	htmlOut = `{"output_type":"display_data","metadata":{},"data":{"text/html":"<b>bold</b><script>alert('html')</script><div onclick=\"alert(3)\">div</div>","text/plain":"plain html"}}`
	jsOut   = `{"output_type":"display_data","metadata":{},"data":{"application/javascript":"document.title='pwned</script>'","text/plain":"<IPython.core.display.Javascript object>"}}`
	pngOut  = `{"output_type":"display_data","metadata":{"image/png":{"width":20}},"data":{"image/png":"` + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" + `\n","text/plain":"<Figure>"}}`
	errOut  = `{"output_type":"error","ename":"ValueError","evalue":"bad","traceback":["\u001b[0;31mValueError\u001b[0m: bad <x>"]}`
	jsonOut = `{"output_type":"execute_result","execution_count":2,"metadata":{},"data":{"application/json":{"a":1.5,"b":[true,null]}}}`
	badPNG  = `{"output_type":"display_data","metadata":{},"data":{"image/png":"\"><script>alert(4)</script>","text/plain":"fallback text"}}`
)

func TestHTML(t *testing.T) {
	all := []string{mdCell, hostile, codeCel, outputCell(strings.Join([]string{htmlOut, jsOut, pngOut, errOut, jsonOut, badPNG}, ","))}
	tests := []struct {
		name          string
		trusted       bool
		want, notWant []string
	}{
		{"untrusted", false,
			[]string{
				"<h1>Title</h1>", "<em>text</em>", "print(1 &lt; 2)", "True\n", "<b>bold</b>", "div</div>",
				`<img src="data:image/png;base64,` + png1 + `" alt="image/png" width="20">`,
				"ValueError: bad &lt;x&gt;", `&#34;a&#34;: 1.5`, "fallback text",
				"JavaScript output not run", "&lt;IPython.core.display.Javascript object&gt;",
				`content="default-src &#39;none&#39;; img-src data:;`,
			},
			[]string{"<script", "onerror", "onclick", "javascript:", "pwned", "alert(4)", "\x1b", "unsafe-inline&#39;; script-src"}},
		{"trusted", true,
			[]string{`<script>document.title='pwned<\/script>'</script>`, `<div onclick="alert(3)">`, "<script>alert('html')</script>", "script-src &#39;unsafe-inline&#39;"},
			// markdown cells are sanitised even in a trusted notebook
			[]string{"alert('md')", "onerror", "alert(4)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := run(t, read(t, notebook(pyMeta, all...)), "html", Options{Name: "n<1>.ipynb", Trusted: tt.trusted})
			if res.ContentType != "text/html; charset=utf-8" || res.Ext != ".html" {
				t.Errorf("type %q ext %q", res.ContentType, res.Ext)
			}
			if !strings.Contains(out, "<title>n&lt;1&gt;</title>") {
				t.Error("title not escaped")
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q", w)
				}
			}
			if t.Failed() {
				t.Log(out)
			}
		})
	}
}

func TestRenderMarkdownMath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"$a_1 + b_2$ and *em*", `<p><span class="math">$a_1 + b_2$</span> and <em>em</em></p>`},
		{"$$\nx_i * y_j < z\n$$", `<p><span class="math">$$` + "\n" + `x_i * y_j &lt; z` + "\n" + `$$</span></p>`},
		{"costs $ 5 and _x_", "<p>costs $ 5 and <em>x</em></p>"},
		{"$<script>alert(1)</script>$", `<p><span class="math">$&lt;script&gt;alert(1)&lt;/script&gt;$</span></p>`},
		{"qxMATHxq7x stays", "<p>qxMATHxq7x stays</p>"},
	}
	for _, tt := range tests {
		if got := strings.TrimSpace(RenderMarkdown(tt.in)); got != tt.want {
			t.Errorf("RenderMarkdown(%q) =\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}

func TestHTMLAttachment(t *testing.T) {
	cell := `{"cell_type":"markdown","id":"a","metadata":{},"source":"![pic](attachment:my%20pic.png) ![gone](attachment:none.png)","attachments":{"my pic.png":{"image/png":"` + png1 + `"}}}`
	_, out := run(t, read(t, notebook(`{}`, cell)), "html", Options{Name: "a.ipynb"})
	if !strings.Contains(out, `src="data:image/png;base64,`+png1+`"`) {
		t.Errorf("attachment not inlined:\n%s", out)
	}
	if strings.Contains(out, "attachment:none.png") && strings.Contains(out, `src="attachment:`) {
		t.Errorf("unknown attachment kept as a link:\n%s", out)
	}
}

func TestMarkdown(t *testing.T) {
	t.Run("no images: one document", func(t *testing.T) {
		res, out := run(t, read(t, notebook(pyMeta, mdCell, codeCel, outputCell(htmlOut+","+jsOut+","+errOut))), "markdown", Options{Name: "a.ipynb"})
		if res.ContentType != "text/markdown; charset=utf-8" || res.Ext != ".md" {
			t.Fatalf("type %q ext %q", res.ContentType, res.Ext)
		}
		for _, w := range []string{"# Title\nSome *text*\n\n", "```python\nprint(1 < 2)\n```\n", "```\nTrue\n```", "<b>bold</b>", "ValueError: bad <x>"} {
			if !strings.Contains(out, w) {
				t.Errorf("lacks %q:\n%s", w, out)
			}
		}
		for _, w := range []string{"<script", "onclick", "pwned"} {
			if strings.Contains(out, w) {
				t.Errorf("has %q:\n%s", w, out)
			}
		}
	})
	t.Run("fence longer than backticks inside", func(t *testing.T) {
		cell := `{"cell_type":"code","id":"c","metadata":{},"execution_count":null,"source":"s = '''\n` + "````" + `\n'''","outputs":[]}`
		_, out := run(t, read(t, notebook(`{}`, cell)), "markdown", Options{Name: "a.ipynb"})
		if !strings.HasPrefix(out, "`````\n") {
			t.Errorf("fence:\n%s", out)
		}
	})
	t.Run("images: zip", func(t *testing.T) {
		att := `{"cell_type":"markdown","id":"a","metadata":{},"source":"see ![p](attachment:p.png)","attachments":{"p.png":{"image/png":"` + png1 + `"},"../../evil.png":{"image/png":"` + png1 + `"}}}`
		svg := `{"output_type":"display_data","metadata":{},"data":{"image/svg+xml":"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"}}`
		res, out := run(t, read(t, notebook(pyMeta, att, outputCell(pngOut+","+svg))), "markdown", Options{Name: "../my nb.ipynb"})
		if res.ContentType != "application/zip" || res.Ext != ".zip" {
			t.Fatalf("type %q ext %q", res.ContentType, res.Ext)
		}
		zr, err := zip.NewReader(strings.NewReader(out), int64(len(out)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			files[f.Name] = string(b)
		}
		pngBytes, _ := base64.StdEncoding.DecodeString(png1)
		want := map[string]string{
			"my nb_files/attachment_0_0.png": string(pngBytes), // ../../evil.png, sorted first
			"my nb_files/attachment_0_1.png": string(pngBytes),
			"my nb_files/output_1_0.png":     string(pngBytes),
			"my nb_files/output_1_1.svg":     `<svg xmlns="http://www.w3.org/2000/svg"/>`,
		}
		for name, content := range want {
			if files[name] != content {
				t.Errorf("%s: %q, want %q", name, files[name], content)
			}
		}
		md := files["my nb.md"]
		for _, w := range []string{"see ![p](my nb_files/attachment_0_1.png)", "![png](my nb_files/output_1_0.png)", "![svg](my nb_files/output_1_1.svg)"} {
			if !strings.Contains(md, w) {
				t.Errorf("md lacks %q:\n%s", w, md)
			}
		}
		if len(files) != 5 {
			t.Errorf("zip holds %d files, want 5: %v", len(files), files)
		}
	})
}

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{
		"a.ipynb": "a", "dir/b c.ipynb": "b c", "...ipynb": "notebook", "..ipynb": "notebook",
		".ipynb": "notebook", "x\\y.ipynb": "x_y", "a\nb.ipynb": "a_b",
	} {
		if got := BaseName(in); got != want {
			t.Errorf("BaseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScratch(t *testing.T) {
	small := read(t, notebook(`{}`, codeCel))
	big := read(t, notebook(`{}`, codeCel, outputCell(`{"output_type":"stream","name":"stdout","text":"`+strings.Repeat("x", 1<<20)+`"}`)))
	if s, b := Scratch(small), Scratch(big); s >= b || b < 4<<20 {
		t.Errorf("Scratch small %d, big %d: the big cell must cost 4× its size", s, b)
	}
}

func TestKnown(t *testing.T) {
	for _, f := range []string{"html", "markdown", "notebook", "script"} {
		if !Known(f) {
			t.Errorf("%s unknown", f)
		}
	}
	for _, f := range []string{"", "pdf", "HTML", "python"} {
		if Known(f) {
			t.Errorf("%s known", f)
		}
	}
	if _, err := Export(read(t, notebook(`{}`)), "pdf", Options{}); err == nil {
		t.Error("Export of pdf: no error")
	}
}

// FuzzHTML feeds notebook bytes through the HTML export of an untrusted
// notebook: no panic, and no script element or event handler from the
// notebook survives.
func FuzzHTML(f *testing.F) {
	f.Add([]byte(notebook(pyMeta, mdCell, hostile, codeCel, outputCell(htmlOut+","+jsOut+","+pngOut+","+errOut+","+jsonOut+","+badPNG))))
	f.Add([]byte(notebook(`{}`, `{"cell_type":"markdown","id":"x","metadata":{},"source":"<svg><script>a</script></svg><iframe src=x>"}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := nbformat.Read(data)
		if err != nil {
			return
		}
		streamed, err := nbformat.ReadStreaming(data)
		if err != nil {
			t.Fatalf("ReadStreaming refused what Read took: %v", err)
		}
		for _, format := range []string{"html", "markdown", "script"} {
			a := exportBytes(t, nb, format)
			if b := exportBytes(t, streamed, format); !bytes.Equal(a, b) {
				t.Fatalf("%s export differs between the tree and the streamed notebook", format)
			}
			if format != "html" {
				continue
			}
			out := strings.ToLower(string(a))
			if strings.Contains(out, "<script") || strings.Contains(out, "<iframe") {
				t.Fatalf("script or frame in the untrusted export:\n%s", a)
			}
		}
	})
}

// exportBytes renders nb in format (name "f.ipynb", untrusted).
func exportBytes(t testing.TB, nb *nbformat.Notebook, format string) []byte {
	t.Helper()
	res, err := Export(nb, format, Options{Name: "f.ipynb"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A notebook read cell by cell (each cell decoded into a reused buffer)
// exports exactly as the same notebook held as a tree, attachments and
// images included: nothing of one cell may be kept past the next.
func TestStreamedAsTree(t *testing.T) {
	att := `{"cell_type":"markdown","id":"a","metadata":{},"source":"![x](attachment:one.png) ![y](attachment:two.png)","attachments":{"one.png":{"image/png":"` + png1 + `"},"two.png":{"image/png":"` + png1 + `"}}}`
	// att2 has att's size, so it is decoded into the very bytes att was.
	att2 := strings.ReplaceAll(strings.ReplaceAll(att, `"id":"a"`, `"id":"b"`), "one.png", "six.png")
	// many has an outputs array over nbformat's 64 KiB threshold: its
	// outputs are decoded one at a time, each into the same buffer.
	var outs []string
	for i := range 600 {
		outs = append(outs, fmt.Sprintf(`{"output_type":"stream","name":"stdout","text":"line %d\n"}`, i), pngOut, htmlOut)
	}
	many := outputCell(strings.Join(outs, ","))
	if len(many) < 64<<10 {
		t.Fatalf("the many-outputs cell is only %d bytes", len(many))
	}
	doc := notebook(pyMeta, att, att2, mdCell, codeCel, outputCell(htmlOut+","+pngOut+","+errOut+","+jsonOut), hostile, many, outputCell(pngOut), att)
	tree, err := nbformat.Read([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	streamed := read(t, doc)
	if !streamed.CellsApart() {
		t.Fatal("the streamed reader kept the cells in Doc: the test would compare the tree with itself")
	}
	for _, format := range []string{"html", "markdown", "script", "notebook"} {
		if format == "notebook" {
			continue // served from the file, not rendered
		}
		a, b := exportBytes(t, tree, format), exportBytes(t, streamed, format)
		if !bytes.Equal(a, b) {
			t.Errorf("%s export differs:\ntree:     %.300q\nstreamed: %.300q", format, a, b)
		}
	}
}
