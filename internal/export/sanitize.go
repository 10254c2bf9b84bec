package export

import (
	"bytes"
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

// RenderMarkdown renders markdown source to sanitised HTML.
func RenderMarkdown(src string) string {
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/2)
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		// goldmark fails only when its writer does; a bytes.Buffer does not.
		return "<pre>" + escape(src) + "</pre>"
	}
	return policy().SanitizeReader(&buf).String()
}
