// Package markdown renders CommonMark with the GitHub extensions Jupyter
// notebooks use (tables, strikethrough, autolinks, task lists) to HTML.
//
// It exists so that rendering costs nothing until it is used: the package
// has no init work and no package-level tables (goldmark and x/net/html
// allocate hundreds of KB at start-up). Checked with
//
//	GODEBUG=inittrace=1 go run ./internal/markdown/testdata/inittrace
//
// which prints no line for quire/internal/markdown; TestNoInitWork runs it.
//
// Raw HTML in the source is passed through unchanged, so callers must
// sanitise the result. Every text and attribute value the renderer makes
// itself is escaped; link destinations are percent-encoded, their scheme is
// not judged. Math is not interpreted: callers swap $…$ for placeholder
// words of letters and digits, which pass through as text.
//
// Known differences from CommonMark 0.31 and GFM: every CommonMark spec
// example renders as the spec says (TestSpec) except that GFM's extended
// autolinks apply (so "https://x.org" in text becomes a link); an e-mail address
// whose local part holds a "_" or an entity is not autolinked;
// strikethrough takes exactly two tildes; a table ends at the first line
// without a pipe (GFM would read it as a one-cell row); task list items
// render as "☐ " and "☑ " text rather than <input> elements, which the
// sanitiser removes.
//
// Limits that keep time and output linear in the input on hostile text:
// container blocks (block quotes, lists) nest at most 64 deep and link
// brackets at most 64 deep, deeper markers are text; link labels are at
// most 999 bytes; reference expansions and the padding of short table rows
// share a budget proportional to the input, after which references stay
// text and rows stay short.
package markdown

import "strings"

// ToHTML renders markdown src to HTML.
func ToHTML(src string) string {
	var b strings.Builder
	b.Grow(len(src) + len(src)/4 + 64)
	Write(&b, src)
	return b.String()
}

// Write renders markdown src to HTML, appending to b; if b holds text that
// does not end in a newline, one is written first.
func Write(b *strings.Builder, src string) {
	p := &parser{budget: len(src) + 4096}
	p.parse(src)
	r := renderer{b: b, p: p}
	r.blocks(p.doc.children, false)
}
