// Package export turns a notebook into the documents of Jupyter's
// nbconvert routes ({base}nbconvert/<format>/<path>): a script in the
// kernel's language, Markdown (zipped with its images when it has any) and
// one self-contained HTML page. The notebook is untrusted input: the HTML
// page sanitises every piece of HTML it did not write itself (markdown
// cells, text/html and text/markdown outputs of an untrusted notebook) and
// carries script only when the notebook is trusted. The "notebook" format
// is the .ipynb file itself, which the HTTP layer serves without this
// package.
//
// Every exporter writes to an io.Writer as it walks the cells, so the
// output is never held whole in memory; Scratch bounds what it holds at
// once.
package export

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"quire/internal/nbformat"
)

// Formats are the export formats, in the order an error message lists
// them.
var Formats = []string{"html", "markdown", "notebook", "script"}

// Known reports whether format is one of Formats.
func Known(format string) bool { return slices.Contains(Formats, format) }

// Options describe the notebook being exported.
type Options struct {
	// Name is the notebook's file name ("a.ipynb"), used for the title and
	// the names of the files a Markdown zip holds.
	Name string
	// Trusted says the notebook's signature verified: its HTML outputs go
	// out as they are and its JavaScript outputs run.
	Trusted bool
}

// Result says what an exporter will write, before it writes it, so that
// the caller can set its headers first.
type Result struct {
	// ContentType is the media type with its charset, if any.
	ContentType string
	// Ext is the file extension of the document (".py", ".html", ".zip").
	Ext string
	// Write writes the document.
	Write func(w io.Writer) error
}

// Export prepares the export of nb to format ("html", "markdown" or
// "script"; "notebook" is served by the caller). The returned Result
// writes from nb, which must stay valid until Write returns.
func Export(nb *nbformat.Notebook, format string, opt Options) (*Result, error) {
	switch format {
	case "html":
		return &Result{ContentType: "text/html; charset=utf-8", Ext: ".html",
			Write: func(w io.Writer) error { return withBuffer(w, func(bw *bufio.Writer) { writeHTML(bw, nb, opt) }) }}, nil
	case "markdown":
		return markdownResult(nb, opt), nil
	case "script":
		lang := languageOf(nb)
		return &Result{ContentType: lang.mimetype + "; charset=utf-8", Ext: lang.ext,
			Write: func(w io.Writer) error { return withBuffer(w, func(bw *bufio.Writer) { writeScript(bw, nb, lang) }) }}, nil
	}
	return nil, fmt.Errorf("export: unknown format %q", format)
}

// withBuffer runs f on a buffered w and reports the first write error.
func withBuffer(w io.Writer, f func(*bufio.Writer)) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	f(bw)
	return bw.Flush()
}

// Scratch is, from above, the memory an export of nb holds at once beyond
// the notebook itself: the rendering of its largest cell (markdown and
// sanitised HTML are rendered a cell at a time, at most a few times the
// source's size) plus fixed buffers.
func Scratch(nb *nbformat.Notebook) int64 {
	var most int64
	for _, c := range cells(nb) {
		var n int64
		for k, v := range c {
			if k != "outputs" {
				n += int64(len(k)) + valueSize(v)
			}
		}
		// A large outputs array of a streamed notebook is no []any: its
		// outputs are counted one at a time.
		for _, out := range outputs(c) {
			n += valueSize(out)
		}
		if n > most {
			most = n
		}
	}
	return 4*most + 128<<10
}

// valueSize is the total length of the strings in v.
func valueSize(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case map[string]any:
		var n int64
		for k, e := range v {
			n += int64(len(k)) + valueSize(e)
		}
		return n
	case []any:
		var n int64
		for _, e := range v {
			n += valueSize(e)
		}
		return n
	}
	return 8
}

// BaseName is the notebook's name without ".ipynb", safe to use as a file
// name in a zip (never empty, ".", ".." or holding a slash).
func BaseName(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".ipynb")
	base = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, base)
	if strings.Trim(base, ".") == "" {
		return "notebook"
	}
	return base
}

// cells yields nb's cells that are objects, numbered among themselves. A
// cell, and every string in it, is valid only until the next one is
// yielded: a notebook read cell by cell (nbformat.ReadStreaming) decodes
// each into a reused buffer, so what must outlive the step is cloned.
func cells(nb *nbformat.Notebook) iter.Seq2[int, map[string]any] {
	if nb == nil {
		return func(func(int, map[string]any) bool) {}
	}
	return objects(nb.Cells)
}

// outputs yields a cell's outputs that are objects, numbered among
// themselves, through nbformat.EachOutput: for a notebook read cell by
// cell a large outputs array is decoded one output at a time, so what is
// yielded is valid only until the next one (copy what must outlive it).
func outputs(c map[string]any) iter.Seq2[int, map[string]any] {
	return objects(func(f func(int, any) error) error {
		_, err := nbformat.EachOutput(c, f)
		return err
	})
}

// objects yields the values walk gives that are objects, numbered among
// themselves.
func objects(walk func(f func(int, any) error) error) iter.Seq2[int, map[string]any] {
	return func(yield func(int, map[string]any) bool) {
		n := 0
		// Decoding cannot fail once the notebook has loaded.
		_ = walk(func(_ int, v any) error {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			if !yield(n, m) {
				return errStop
			}
			n++
			return nil
		})
	}
}

// errStop ends a walk over cells early.
var errStop = errors.New("stop")

// text is a notebook string value: a string, or a list of strings (a
// multiline string nbformat did not join).
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, e := range v {
			if s, ok := e.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

func str(m map[string]any, key string) string { return text(m[key]) }

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// ansi matches terminal escape sequences (colours in tracebacks).
var ansi = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\x1b\\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\\\-_]") })

func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansi().ReplaceAllString(s, "")
}

// outputText is what a stream or error output shows as text.
func outputText(out map[string]any) string {
	switch str(out, "output_type") {
	case "stream":
		return stripANSI(str(out, "text"))
	case "error":
		tb, _ := out["traceback"].([]any)
		if len(tb) == 0 {
			return str(out, "ename") + ": " + str(out, "evalue")
		}
		lines := make([]string, 0, len(tb))
		for _, l := range tb {
			if s, ok := l.(string); ok {
				lines = append(lines, stripANSI(s))
			}
		}
		return strings.Join(lines, "\n")
	}
	return ""
}

// imageTypes are the image media types exported as images, with their
// file extensions; every other image type is shown as its text form.
var imageTypes = []struct{ mime, ext string }{
	{"image/png", ".png"}, {"image/jpeg", ".jpg"}, {"image/gif", ".gif"},
	{"image/webp", ".webp"}, {"image/svg+xml", ".svg"},
}

func imageExt(mime string) (string, bool) {
	for _, t := range imageTypes {
		if t.mime == mime {
			return t.ext, true
		}
	}
	return "", false
}

// cleanBase64 returns s without whitespace if what is left is valid
// base64, or false.
func cleanBase64(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	clean := b.String()
	if clean == "" {
		return "", false
	}
	// Decoded to nowhere, in small pieces: padding and length must hold.
	if _, err := io.Copy(io.Discard, base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))); err != nil {
		return "", false
	}
	return clean, true
}
