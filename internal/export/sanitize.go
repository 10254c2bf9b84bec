package export

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"quire/internal/htmlsafe"
	"quire/internal/markdown"
)

// mathSpan matches $$…$$ (across lines) and $…$ (on one line, not
// starting with a space), the math delimiters of Jupyter's markdown.
var mathSpan = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\$\$[\s\S]+?\$\$|\$[^\s$][^$\n]*?\$`)
})

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
		src = mathSpan().ReplaceAllStringFunc(src, func(m string) string {
			spans = append(spans, m)
			return mathToken + strconv.Itoa(len(spans)-1) + "x"
		})
	}
	out := htmlsafe.Clean(markdown.ToHTML(src))
	if len(spans) == 0 || !strings.Contains(out, mathToken) {
		return out
	}
	return mathTokens().ReplaceAllStringFunc(out, func(tok string) string {
		i, err := strconv.Atoi(tok[len(mathToken) : len(tok)-1])
		if err != nil || i >= len(spans) {
			return tok
		}
		return `<span class="math">` + html.EscapeString(spans[i]) + "</span>"
	})
}

var mathTokens = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(mathToken + `[0-9]+x`) })
