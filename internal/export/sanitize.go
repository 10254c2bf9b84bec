package export

import (
	"bytes"
	"html"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// markdown renders CommonMark with GitHub's tables, strikethrough,
// autolinks and task lists. Raw HTML is kept (notebooks use it) because
// every rendering goes through policy afterwards.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
)

// policy is the HTML allowed from the notebook in the export: bluemonday's
// policy for user-generated content (no script, no event handlers, no
// style, no forms, no frames, links rel=nofollow) plus base64 data: images.
// Remote images are allowed by the policy but blocked by the page's CSP.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowDataURIImages()
	return p
})

// Sanitize returns the HTML in src that policy allows.
func Sanitize(src string) string {
	return policy().Sanitize(src)
}

// mathSpan matches $$…$$ (across lines) and $…$ (on one line, not
// starting with a space), the math delimiters of Jupyter's markdown.
var mathSpan = regexp.MustCompile(`\$\$[\s\S]+?\$\$|\$[^\s$][^$\n]*?\$`)

// mathToken marks where a math span was taken out; only letters and
// digits, so markdown leaves it alone.
const mathToken = "qxMATHxq"

// RenderMarkdown renders markdown source to sanitised HTML. Math stays as
// its source text: it is taken out before rendering, so that markdown does
// not read its _ and * as emphasis, and put back, escaped, after
// sanitising.
func RenderMarkdown(src string) string {
	var spans []string
	if strings.Contains(src, "$") {
		src = mathSpan.ReplaceAllStringFunc(src, func(m string) string {
			spans = append(spans, m)
			return mathToken + strconv.Itoa(len(spans)-1) + "x"
		})
	}
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/2)
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		// goldmark fails only when its writer does; a bytes.Buffer does not.
		return "<pre>" + escape(src) + "</pre>"
	}
	out := policy().SanitizeReader(&buf).String()
	if len(spans) == 0 || !strings.Contains(out, mathToken) {
		return out
	}
	return mathTokens.ReplaceAllStringFunc(out, func(tok string) string {
		i, err := strconv.Atoi(tok[len(mathToken) : len(tok)-1])
		if err != nil || i >= len(spans) {
			return tok
		}
		return `<span class="math">` + html.EscapeString(spans[i]) + "</span>"
	})
}

var mathTokens = regexp.MustCompile(mathToken + `[0-9]+x`)
