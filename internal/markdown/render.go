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
	r.inline(r.p.parseInlines(src))
}

// inline writes the content of root. It walks the tree through parent
// and sibling links instead of recursing, so that emphasis nested a
// million deep cannot overflow the stack.
func (r *renderer) inline(root *inline) {
	b := r.b
	inLink := 0
	n := root.first
	for n != nil {
		open := false
		switch n.kind {
		case iText:
			escapeHTML(b, n.text)
		case iSoftBreak:
			b.WriteByte('\n')
		case iHardBreak:
			b.WriteString("<br />\n")
		case iCode:
			b.WriteString("<code>")
			escapeHTML(b, n.text)
			b.WriteString("</code>")
		case iHTML:
			b.WriteString(n.text)
		case iEmph:
			b.WriteString("<em>")
			open = true
		case iStrong:
			b.WriteString("<strong>")
			open = true
		case iDel:
			b.WriteString("<del>")
			open = true
		case iLink:
			open = true
			if n.bare && inLink > 0 {
				n.untagged = true // GFM never links a URL inside link text
				break
			}
			inLink++
			b.WriteString(`<a href="`)
			writeURL(b, n.text)
			if n.title != "" {
				b.WriteString(`" title="`)
				escapeHTML(b, n.title)
			}
			b.WriteString(`">`)
		case iImage:
			b.WriteString(`<img src="`)
			writeURL(b, n.text)
			b.WriteString(`" alt="`)
			r.plain(n)
			if n.title != "" {
				b.WriteString(`" title="`)
				escapeHTML(b, n.title)
			}
			b.WriteString(`" />`)
		}
		if open && n.first != nil {
			n = n.first
			continue
		}
		if open {
			r.closeTag(n, &inLink)
		}
		for n != nil && n.next == nil {
			n = n.parent
			if n == root {
				return
			}
			r.closeTag(n, &inLink)
		}
		if n != nil {
			n = n.next
		}
	}
}

func (r *renderer) closeTag(n *inline, inLink *int) {
	switch n.kind {
	case iEmph:
		r.b.WriteString("</em>")
	case iStrong:
		r.b.WriteString("</strong>")
	case iDel:
		r.b.WriteString("</del>")
	case iLink:
		if !n.untagged {
			r.b.WriteString("</a>")
			*inLink--
		}
	}
}

// plain writes the text of root's content without tags, for an image's
// alt attribute; like inline, it does not recurse.
func (r *renderer) plain(root *inline) {
	n := root.first
	for n != nil {
		switch n.kind {
		case iText, iCode:
			escapeHTML(r.b, n.text)
		case iSoftBreak, iHardBreak:
			r.b.WriteByte('\n')
		case iHTML:
		default:
			if n.first != nil {
				n = n.first
				continue
			}
		}
		for n != nil && n.next == nil {
			n = n.parent
			if n == root {
				return
			}
		}
		if n != nil {
			n = n.next
		}
	}
}
