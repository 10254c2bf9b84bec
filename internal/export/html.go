package export

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"quire/internal/htmlsafe"
	"quire/internal/nbformat"
)

func escape(s string) string { return html.EscapeString(s) }

// PageCSP is the Content-Security-Policy the HTML page carries in a
// <meta> (so that it holds when the file is opened from disk too): no
// network, inline styles, data: images and media, and script only for a
// trusted notebook.
func PageCSP(trusted bool) string {
	csp := "default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
	if trusted {
		csp += "; script-src 'unsafe-inline'"
	}
	return csp
}

const pageCSS = `body{margin:0;background:#fff;color:#1f2328;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1000px;margin:0 auto;padding:24px 16px}
.cell{margin:0 0 14px}
.prompt{color:#6e7781;font:12px ui-monospace,monospace;margin:0 0 2px}
pre{margin:0;padding:8px 10px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.input pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px}
.output{padding:4px 0 4px 10px;overflow-x:auto}
.output img{max-width:100%}
.stderr{background:#fff5f5}
.error pre{background:#fff0f0;color:#82071e}
.note{color:#6e7781;font-style:italic;font-size:13px}
.markdown img{max-width:100%}
.markdown table,.output table{border-collapse:collapse}
.markdown td,.markdown th,.output td,.output th{border:1px solid #d0d7de;padding:3px 8px}
.markdown pre{background:#f6f8fa;border-radius:4px}
.raw pre{color:#57606a}
.math{white-space:pre-wrap}`

// writeHTML writes one self-contained page: markdown rendered and
// sanitised, code shown, outputs shown (sanitised unless trusted), images
// as data: URIs, no external resource.
func writeHTML(w *bufio.Writer, nb *nbformat.Notebook, opt Options) {
	title := strings.TrimSuffix(opt.Name, ".ipynb")
	if title == "" {
		title = "Notebook"
	}
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	w.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + escape(PageCSP(opt.Trusted)) + "\">\n")
	w.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	w.WriteString("<title>" + escape(title) + "</title>\n<style>\n" + pageCSS + "\n</style>\n</head>\n<body>\n<main>\n")
	for _, c := range cells(nb) {
		switch str(c, "cell_type") {
		case "markdown":
			w.WriteString(`<div class="cell markdown">`)
			w.WriteString(RenderMarkdown(inlineAttachments(str(c, "source"), c)))
			w.WriteString("</div>\n")
		case "code":
			writeCodeCell(w, c, opt.Trusted)
		case "raw":
			w.WriteString(`<div class="cell raw"><pre>` + escape(str(c, "source")) + "</pre></div>\n")
		}
	}
	w.WriteString("</main>\n</body>\n</html>\n")
}

func prompt(c map[string]any) string {
	if n, ok := c["execution_count"].(nbformat.Number); ok {
		if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return "[" + string(n) + "]"
		}
	}
	return "[ ]"
}

func writeCodeCell(w *bufio.Writer, c map[string]any, trusted bool) {
	w.WriteString(`<div class="cell code"><div class="input"><div class="prompt">In ` + prompt(c) + ":</div><pre><code>")
	w.WriteString(escape(str(c, "source")))
	w.WriteString("</code></pre></div>\n")
	any := false
	for _, out := range outputs(c) {
		if !any {
			w.WriteString(`<div class="outputs">` + "\n")
			any = true
		}
		writeOutput(w, out, trusted)
	}
	if any {
		w.WriteString("</div>\n")
	}
	w.WriteString("</div>\n")
}

// richOrder is the preference among a mimebundle's types, richest first.
var richOrder = []string{
	"application/javascript", "text/html", "text/markdown", "image/svg+xml",
	"image/png", "image/jpeg", "image/gif", "image/webp", "text/latex",
	"application/json", "text/plain",
}

func writeOutput(w *bufio.Writer, out map[string]any, trusted bool) {
	switch str(out, "output_type") {
	case "stream":
		cls := "output stream"
		if str(out, "name") == "stderr" {
			cls += " stderr"
		}
		w.WriteString(`<div class="` + cls + `"><pre>` + escape(outputText(out)) + "</pre></div>\n")
		return
	case "error":
		w.WriteString(`<div class="output error"><pre>` + escape(outputText(out)) + "</pre></div>\n")
		return
	case "execute_result", "display_data":
	default:
		return
	}
	data := obj(out, "data")
	skippedJS := false
	for _, mime := range richOrder {
		v, ok := data[mime]
		if !ok {
			continue
		}
		s := text(v)
		switch mime {
		case "application/javascript":
			if !trusted {
				skippedJS = true
				continue
			}
			w.WriteString(`<div class="output"><script>` + scriptSafe(s) + "</script></div>\n")
		case "text/html":
			if !trusted {
				s = htmlsafe.Clean(s) // remote images stay, blocked by the page CSP
			}
			w.WriteString(`<div class="output html">` + s + "</div>\n")
		case "text/markdown":
			w.WriteString(`<div class="output markdown">` + RenderMarkdown(s) + "</div>\n")
		case "image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp":
			uri, ok := dataURI(mime, s)
			if !ok {
				continue
			}
			// An <img> never runs script, an SVG's included.
			w.WriteString(`<div class="output image"><img src="` + uri + `" alt="` + escape(mime) + `"` + imageSize(out, mime) + "></div>\n")
		case "application/json":
			b, err := json.MarshalIndent(jsonValue(v), "", "  ")
			if err != nil {
				continue
			}
			w.WriteString(`<div class="output"><pre>` + escape(string(b)) + "</pre></div>\n")
		default: // text/latex, text/plain
			w.WriteString(`<div class="output"><pre>` + escape(stripANSI(s)) + "</pre></div>\n")
		}
		if skippedJS {
			w.WriteString(`<div class="output note">JavaScript output not run: the notebook is not trusted.</div>` + "\n")
		}
		return
	}
	if skippedJS {
		w.WriteString(`<div class="output note">JavaScript output not run: the notebook is not trusted.</div>` + "\n")
	}
}

// scriptSafe keeps s from closing its <script> element early.
func scriptSafe(s string) string {
	return strings.ReplaceAll(s, "</", `<\/`)
}

// dataURI makes a data: URI of an image output: SVG is text, the others
// base64. The result has only URI-safe characters.
func dataURI(mime, s string) (string, bool) {
	if mime == "image/svg+xml" {
		return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(s)), true
	}
	b, ok := cleanBase64(s)
	if !ok {
		return "", false
	}
	return "data:" + mime + ";base64," + b, true
}

// imageSize renders metadata width/height of an image output as
// attributes.
func imageSize(out map[string]any, mime string) string {
	meta := obj(obj(out, "metadata"), mime)
	var b strings.Builder
	for _, k := range []string{"width", "height"} {
		if n, ok := meta[k].(nbformat.Number); ok {
			if v, err := strconv.ParseFloat(string(n), 64); err == nil && v > 0 && v < 1e5 {
				b.WriteString(" " + k + `="` + strconv.FormatFloat(v, 'f', -1, 64) + `"`)
			}
		}
	}
	return b.String()
}

// jsonValue converts nbformat's values (Number) to ones encoding/json
// renders as numbers.
func jsonValue(v any) any {
	switch v := v.(type) {
	case nbformat.Number:
		return json.Number(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = jsonValue(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = jsonValue(e)
		}
		return l
	}
	return v
}

// attachmentImage returns the image type and content of attachment name of
// cell c.
func attachmentImage(c map[string]any, name string) (mime, content string, ok bool) {
	bundle := obj(obj(c, "attachments"), name)
	for _, t := range imageTypes {
		if v, ok := bundle[t.mime]; ok {
			return t.mime, text(v), true
		}
	}
	return "", "", false
}

// attachmentNames are cell c's attachment names, sorted.
func attachmentNames(c map[string]any) []string {
	att := obj(c, "attachments")
	names := make([]string, 0, len(att))
	for k := range att {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// rewriteAttachments replaces each "attachment:<name>" reference in src
// (plain or percent-encoded) with the target f gives, if any.
func rewriteAttachments(src string, c map[string]any, f func(name string) (string, bool)) string {
	if !strings.Contains(src, "attachment:") {
		return src
	}
	for _, name := range attachmentNames(c) {
		target, ok := f(name)
		if !ok {
			continue
		}
		src = strings.ReplaceAll(src, "attachment:"+name, target)
		if esc := url.PathEscape(name); esc != name {
			src = strings.ReplaceAll(src, "attachment:"+esc, target)
		}
	}
	return src
}

// inlineAttachments makes the image attachments src refers to data: URIs.
func inlineAttachments(src string, c map[string]any) string {
	return rewriteAttachments(src, c, func(name string) (string, bool) {
		mime, content, ok := attachmentImage(c, name)
		if !ok {
			return "", false
		}
		return dataURI(mime, content)
	})
}
