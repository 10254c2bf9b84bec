package export

import (
	"archive/zip"
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"quire/internal/htmlsafe"
	"quire/internal/nbformat"
)

// The Markdown export. A notebook without images is one text/markdown
// document. One with images (image outputs, or image attachments of
// markdown cells) is an application/zip holding <base>.md and the images
// as files in <base>_files/, which the document links to by relative path,
// as nbconvert does: data: URIs would make the document unreadable as text
// and many Markdown viewers do not show them.

func markdownResult(nb *nbformat.Notebook, opt Options) *Result {
	base := BaseName(opt.Name)
	if !hasImages(nb) {
		return &Result{ContentType: "text/markdown; charset=utf-8", Ext: ".md",
			Write: func(w io.Writer) error {
				return withBuffer(w, func(bw *bufio.Writer) { writeMarkdown(bw, nb, opt, "") })
			}}
	}
	return &Result{ContentType: "application/zip", Ext: ".zip",
		Write: func(w io.Writer) error { return writeMarkdownZip(w, nb, opt, base) }}
}

// image is one image file of a zipped Markdown export.
type image struct {
	name    string // path in the zip
	mime    string
	content string // base64, or SVG text
}

// images calls f for every image of nb, with the file name it gets in
// dir. The Markdown text and the zip entries come from the same walk, so
// their names agree.
func images(nb *nbformat.Notebook, dir string, f func(cell int, out int, attachment string, img image)) {
	for ci, c := range cells(nb) {
		switch str(c, "cell_type") {
		case "markdown":
			for ai, name := range attachmentNames(c) {
				if mime, content, ok := attachmentImage(c, name); ok {
					ext, _ := imageExt(mime)
					f(ci, -1, name, image{name: fmt.Sprintf("%s/attachment_%d_%d%s", dir, ci, ai, ext), mime: mime, content: content})
				}
			}
		case "code":
			for oi, out := range outputs(c) {
				if mime, content, ok := outputImage(out); ok {
					ext, _ := imageExt(mime)
					f(ci, oi, "", image{name: fmt.Sprintf("%s/output_%d_%d%s", dir, ci, oi, ext), mime: mime, content: content})
				}
			}
		}
	}
}

// outputImage is the image an output shows in the Markdown export: one
// whose richest type, among those Markdown can show, is an image.
func outputImage(out map[string]any) (mime, content string, ok bool) {
	switch str(out, "output_type") {
	case "execute_result", "display_data":
	default:
		return "", "", false
	}
	data := obj(out, "data")
	if _, html := data["text/html"]; html {
		return "", "", false
	}
	if _, md := data["text/markdown"]; md {
		return "", "", false
	}
	for _, t := range imageTypes {
		if v, ok := data[t.mime]; ok {
			s := text(v)
			if t.mime != "image/svg+xml" {
				if _, valid := cleanBase64(s); !valid {
					continue
				}
			}
			return t.mime, s, true
		}
	}
	return "", "", false
}

func hasImages(nb *nbformat.Notebook) bool {
	found := false
	images(nb, "", func(int, int, string, image) { found = true })
	return found
}

func writeMarkdownZip(w io.Writer, nb *nbformat.Notebook, opt Options, base string) error {
	zw := zip.NewWriter(w)
	doc, err := zw.CreateHeader(&zip.FileHeader{Name: base + ".md", Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("zip %s.md: %w", base, err)
	}
	if err := withBuffer(doc, func(bw *bufio.Writer) { writeMarkdown(bw, nb, opt, base+"_files") }); err != nil {
		return fmt.Errorf("write %s.md: %w", base, err)
	}
	images(nb, base+"_files", func(_, _ int, _ string, img image) {
		if err != nil {
			return
		}
		method := zip.Store // PNG, JPEG, GIF and WebP are compressed already
		if img.mime == "image/svg+xml" {
			method = zip.Deflate
		}
		var f io.Writer
		if f, err = zw.CreateHeader(&zip.FileHeader{Name: img.name, Method: method}); err != nil {
			err = fmt.Errorf("zip %s: %w", img.name, err)
			return
		}
		var r io.Reader = strings.NewReader(img.content)
		if img.mime != "image/svg+xml" {
			clean, _ := cleanBase64(img.content)
			r = base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
		}
		if _, cerr := io.Copy(f, r); cerr != nil {
			err = fmt.Errorf("write %s: %w", img.name, cerr)
		}
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("close zip: %w", err)
	}
	return nil
}

// fence returns a code fence longer than any run of backticks in s.
func fence(s string) string {
	most, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			most = max(most, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, most+1))
}

func fenced(w *bufio.Writer, info, s string) {
	s = strings.TrimRight(s, "\n")
	f := fence(s)
	w.WriteString(f + info + "\n" + s + "\n" + f + "\n\n")
}

// writeMarkdown writes the document; dir is where the zip keeps images ("":
// no images).
func writeMarkdown(w *bufio.Writer, nb *nbformat.Notebook, opt Options, dir string) {
	files := map[[2]int]string{}    // (cell, output) → file
	attached := map[string]string{} // "cell/name" → file
	if dir != "" {
		images(nb, dir, func(ci, oi int, att string, img image) {
			if oi < 0 {
				attached[fmt.Sprint(ci)+"/"+att] = img.name
			} else {
				files[[2]int{ci, oi}] = img.name
			}
		})
	}
	lang := strings.ToLower(str(obj(obj(nb.Doc, "metadata"), "language_info"), "name"))
	if strings.ContainsAny(lang, "` \n") {
		lang = ""
	}
	for ci, c := range cells(nb) {
		src := str(c, "source")
		switch str(c, "cell_type") {
		case "markdown":
			src = rewriteAttachments(src, c, func(name string) (string, bool) {
				f, ok := attached[fmt.Sprint(ci)+"/"+name]
				return f, ok
			})
			w.WriteString(strings.TrimRight(src, "\n") + "\n\n")
		case "raw":
			w.WriteString(strings.TrimRight(src, "\n") + "\n\n")
		case "code":
			fenced(w, lang, src)
			for oi, out := range outputs(c) {
				if f, ok := files[[2]int{ci, oi}]; ok {
					mime, _, _ := outputImage(out)
					alt := strings.TrimPrefix(strings.TrimSuffix(mime, "+xml"), "image/")
					w.WriteString("![" + alt + "](" + f + ")\n\n")
					continue
				}
				writeMarkdownOutput(w, out, opt.Trusted)
			}
		}
	}
}

func writeMarkdownOutput(w *bufio.Writer, out map[string]any, trusted bool) {
	switch str(out, "output_type") {
	case "stream", "error":
		fenced(w, "", outputText(out))
		return
	}
	data := obj(out, "data")
	for _, mime := range []string{"text/html", "text/markdown", "text/latex", "application/json", "text/plain"} {
		v, ok := data[mime]
		if !ok {
			continue
		}
		s := text(v)
		switch mime {
		case "text/html":
			if !trusted {
				s = htmlsafe.Clean(s)
			}
			w.WriteString(strings.TrimSpace(s) + "\n\n")
		case "text/markdown", "text/latex":
			w.WriteString(strings.TrimRight(s, "\n") + "\n\n")
		case "application/json":
			if b, err := json.MarshalIndent(jsonValue(v), "", "  "); err == nil {
				fenced(w, "json", string(b))
			}
		default:
			fenced(w, "", stripANSI(s))
		}
		return
	}
}
