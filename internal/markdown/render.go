package markdown

import (
	"strconv"
	"strings"
)

type renderer struct {
	b *strings.Builder
	p *parser
}

// cr starts a new line unless the output is empty or already at one.
func (r *renderer) cr() {
	if s := r.b.String(); len(s) > 0 && s[len(s)-1] != '\n' {
		r.b.WriteByte('\n')
	}
}

func (r *renderer) blocks(bs []*block, tight bool) {
	for _, b := range bs {
		r.block(b, tight)
	}
}

func (r *renderer) block(bl *block, tight bool) {
	b := r.b
	switch bl.kind {
	case bParagraph:
		if tight {
			r.taskMark(bl)
			r.inlines(bl.content)
			return
		}
		r.cr()
		b.WriteString("<p>")
		r.taskMark(bl)
		r.inlines(bl.content)
		b.WriteString("</p>\n")
	case bHeading:
		r.cr()
		tag := "h" + strconv.Itoa(bl.level)
		b.WriteString("<" + tag + ">")
		r.inlines(bl.content)
		b.WriteString("</" + tag + ">\n")
	case bThematic:
		r.cr()
		b.WriteString("<hr />\n")
	case bCode:
		r.cr()
		b.WriteString("<pre><code")
		if info := bl.info; info != "" {
			if i := strings.IndexAny(info, " \t"); i >= 0 {
				info = info[:i]
			}
			b.WriteString(` class="language-`)
			escapeHTML(b, info)
			b.WriteByte('"')
		}
		b.WriteByte('>')
		for _, l := range bl.lines {
			escapeHTML(b, l)
			b.WriteByte('\n')
		}
		b.WriteString("</code></pre>\n")
	case bHTML:
		r.cr()
		b.WriteString(strings.Join(bl.lines, "\n"))
		b.WriteByte('\n')
	case bQuote:
		r.cr()
		b.WriteString("<blockquote>\n")
		r.blocks(bl.children, false)
		r.cr()
		b.WriteString("</blockquote>\n")
	case bList:
		r.cr()
		tag := "ul"
		if bl.list.ordered {
			tag = "ol"
			if bl.list.start != 1 {
				b.WriteString(`<ol start="` + strconv.Itoa(bl.list.start) + `">` + "\n")
			} else {
				b.WriteString("<ol>\n")
			}
		} else {
			b.WriteString("<ul>\n")
		}
		r.blocks(bl.children, bl.tight)
		r.cr()
		b.WriteString("</" + tag + ">\n")
	case bItem:
		r.cr()
		b.WriteString("<li>")
		r.blocks(bl.children, tight)
		b.WriteString("</li>\n")
	case bTable:
		r.table(bl)
	}
}

func (r *renderer) taskMark(bl *block) {
	switch bl.task {
	case ' ':
		r.b.WriteString("☐ ")
	case 'x':
		r.b.WriteString("☑ ")
	}
}

func (r *renderer) table(t *block) {
	b := r.b
	r.cr()
	b.WriteString("<table>\n<thead>\n")
	for i, row := range t.rows {
		tag := "td"
		if i == 0 {
			tag = "th"
		} else if i == 1 {
			b.WriteString("<tbody>\n")
		}
		b.WriteString("<tr>\n")
		for j, cell := range row {
			b.WriteString("<" + tag)
			switch t.align[j] {
			case 'l':
				b.WriteString(` align="left"`)
			case 'c':
				b.WriteString(` align="center"`)
			case 'r':
				b.WriteString(` align="right"`)
			}
			b.WriteByte('>')
			r.inlines(cell)
			b.WriteString("</" + tag + ">\n")
		}
		b.WriteString("</tr>\n")
		if i == 0 {
			b.WriteString("</thead>\n")
		}
	}
	if len(t.rows) > 1 {
		b.WriteString("</tbody>\n")
	}
	b.WriteString("</table>\n")
}

func (r *renderer) inlines(src string) {
	if src == "" {
		return
	}
	r.inline(r.p.parseInlines(src), false)
}

func (r *renderer) inline(n *inline, inLink bool) {
	b := r.b
	for c := n.first; c != nil; c = c.next {
		switch c.kind {
		case iText:
			escapeHTML(b, c.text)
		case iSoftBreak:
			b.WriteByte('\n')
		case iHardBreak:
			b.WriteString("<br />\n")
		case iCode:
			b.WriteString("<code>")
			escapeHTML(b, c.text)
			b.WriteString("</code>")
		case iHTML:
			b.WriteString(c.text)
		case iEmph:
			b.WriteString("<em>")
			r.inline(c, inLink)
			b.WriteString("</em>")
		case iStrong:
			b.WriteString("<strong>")
			r.inline(c, inLink)
			b.WriteString("</strong>")
		case iDel:
			b.WriteString("<del>")
			r.inline(c, inLink)
			b.WriteString("</del>")
		case iLink:
			if c.bare && inLink {
				r.inline(c, inLink) // GFM never links a URL inside link text
				continue
			}
			b.WriteString(`<a href="`)
			writeURL(b, c.text)
			if c.title != "" {
				b.WriteString(`" title="`)
				escapeHTML(b, c.title)
			}
			b.WriteString(`">`)
			r.inline(c, true)
			b.WriteString("</a>")
		case iImage:
			b.WriteString(`<img src="`)
			writeURL(b, c.text)
			b.WriteString(`" alt="`)
			r.plain(c)
			if c.title != "" {
				b.WriteString(`" title="`)
				escapeHTML(b, c.title)
			}
			b.WriteString(`" />`)
		}
	}
}

// plain writes the text of n's content without tags, for an image's alt.
func (r *renderer) plain(n *inline) {
	for c := n.first; c != nil; c = c.next {
		switch c.kind {
		case iText, iCode:
			escapeHTML(r.b, c.text)
		case iSoftBreak, iHardBreak:
			r.b.WriteByte('\n')
		case iHTML:
		default:
			r.plain(c)
		}
	}
}
