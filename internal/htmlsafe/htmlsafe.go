// Package htmlsafe is the server's one HTML sanitiser: it keeps the
// markup of untrusted HTML that cannot run script, load anything from the
// network or submit anything, and drops the rest.
//
// It reads the input with its own tokenizer (token.go: the HTML5 rules for
// tags, attributes, comments and raw text, as a browser reads them) and
// writes every token it keeps itself: the element names come from a fixed
// list, every attribute value and text is escaped again, and elements are
// closed in order. So the output holds no comment, no raw-text element
// (script, style, textarea, title, xmp, iframe, noscript, noembed,
// noframes, plaintext), no foreign content (svg, math), no event handler
// or style attribute, and no URL other than http(s), mailto, a fragment or
// relative path, or (for images) a base64 data: image. A browser parsing
// the output sees the same tokens.
//
// Nothing is built at init (the tables are switches) and the tokenizer is
// created per call.
package htmlsafe

import (
	"html"
	"slices"
	"strings"
)

// allowedAttrs reports whether element el is kept, and which attributes
// it may carry beyond the global ones. (Switches, not maps: nothing is
// built at init.)
func allowedAttrs(el string) ([]string, bool) {
	switch el {
	case "a":
		return []string{"href"}, true
	case "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite", "code",
		"dd", "dfn", "dl", "dt", "em", "figcaption", "figure", "hr", "i", "kbd", "mark", "pre",
		"q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub",
		"summary", "sup", "tt", "u", "ul", "var", "wbr":
		return nil, true
	case "col", "colgroup":
		return []string{"span", "width"}, true
	case "del", "ins", "time":
		return []string{"datetime"}, true
	case "details":
		return []string{"open"}, true
	case "div", "p", "h1", "h2", "h3", "h4", "h5", "h6":
		return []string{"align"}, true
	case "img":
		return []string{"src", "alt", "width", "height", "align"}, true
	case "li":
		return []string{"value"}, true
	case "ol":
		return []string{"start", "reversed", "type"}, true
	case "table":
		return []string{"border", "cellpadding", "cellspacing", "width", "align", "summary"}, true
	case "tbody", "thead", "tfoot", "tr":
		return []string{"align", "valign"}, true
	case "td":
		return []string{"colspan", "rowspan", "headers", "align", "valign", "width", "nowrap"}, true
	case "th":
		return []string{"colspan", "rowspan", "headers", "scope", "align", "valign", "width", "nowrap"}, true
	}
	return nil, false
}

// global are the attributes every kept element may carry. An id is kept
// (in-page links to headings need it) when it is a plain name (safeID);
// no name attribute.
func global(key string) bool {
	return key == "title" || key == "lang" || key == "dir" || key == "class" || key == "id"
}

// void elements have no end tag.
func void(el string) bool {
	return el == "br" || el == "col" || el == "hr" || el == "img" || el == "wbr"
}

// rawText elements' content is one text token to the tokenizer, up to
// their end tag, even after "<script/>".
func rawText(el string) bool {
	switch el {
	case "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp":
		return true
	}
	return false
}

// dropped elements go with everything inside them; the raw-text ones are
// among them so that their text is not kept as text either.
func dropped(el string) bool {
	switch el {
	case "template", "frame", "frameset", "object", "embed", "applet", "head", "svg", "math",
		"select", "audio", "video", "canvas":
		return true
	}
	return rawText(el)
}

// droppedVoid elements go, and have no content to drop.
func droppedVoid(el string) bool {
	return el == "base" || el == "link" || el == "meta"
}

// Clean returns the part of src that is safe to show in a page whose
// script must not run (see the package comment).
func Clean(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	c := cleaner{out: &b}
	c.run(&tokenizer{s: src})
	return b.String()
}

type cleaner struct {
	out   *strings.Builder
	open  []string // kept elements not yet closed, innermost last
	skip  string   // the dropped element being skipped, "" when none
	depth int      // how many skip elements are open inside the skipped one
}

func (c *cleaner) run(z *tokenizer) {
	for {
		tok, ok := z.next()
		if !ok {
			break
		}
		if c.skip != "" {
			c.skipToken(tok)
			continue
		}
		switch tok.typ {
		case textToken:
			c.out.WriteString(html.EscapeString(tok.data))
		case startTagToken, selfClosingTagToken:
			c.start(tok, tok.typ == selfClosingTagToken)
		case endTagToken:
			c.end(tok.data)
		}
		// Comments, doctypes and the like are dropped.
	}
	for i := len(c.open) - 1; i >= 0; i-- {
		c.out.WriteString("</" + c.open[i] + ">")
	}
}

// skipToken passes over a token inside a dropped element, counting nested
// elements of its name so that the right end tag ends the skipping.
func (c *cleaner) skipToken(tok token) {
	switch {
	case tok.typ == startTagToken && tok.data == c.skip:
		c.depth++
	case tok.typ == endTagToken && tok.data == c.skip:
		if c.depth == 0 {
			c.skip = ""
			return
		}
		c.depth--
	}
}

func (c *cleaner) start(tok token, selfClosing bool) {
	name := tok.data
	if droppedVoid(name) {
		return
	}
	if dropped(name) {
		if !selfClosing || rawText(name) {
			c.skip, c.depth = name, 0
		}
		return
	}
	extra, ok := allowedAttrs(name)
	if !ok {
		return // unknown or unwanted element: its tag goes, its content stays
	}
	c.out.WriteString("<" + name)
	for _, a := range tok.attr {
		if !(global(a.key) || slices.Contains(extra, a.key)) {
			continue
		}
		val, ok := attrValue(name, a.key, a.val)
		if !ok {
			continue
		}
		c.out.WriteString(" " + a.key + `="` + html.EscapeString(val) + `"`)
	}
	if name == "a" {
		c.out.WriteString(` rel="nofollow noopener noreferrer"`)
	}
	c.out.WriteString(">")
	if !void(name) {
		c.open = append(c.open, name)
	}
}

// end closes name when it is open, with every element opened inside it;
// an end tag for an element not open is dropped.
func (c *cleaner) end(name string) {
	for i := len(c.open) - 1; i >= 0; i-- {
		if c.open[i] != name {
			continue
		}
		for j := len(c.open) - 1; j >= i; j-- {
			c.out.WriteString("</" + c.open[j] + ">")
		}
		c.open = c.open[:i]
		return
	}
}

// attrValue is the value kept for attribute key of element el, or false
// when the attribute goes.
func attrValue(el, key, val string) (string, bool) {
	switch key {
	case "href":
		return val, safeLink(val)
	case "src":
		return val, el == "img" && safeImage(val)
	case "dir":
		v := strings.ToLower(strings.TrimSpace(val))
		return v, v == "ltr" || v == "rtl" || v == "auto"
	case "id":
		return val, safeID(val)
	}
	return val, true
}

// scheme is a URL's scheme as a browser reads it (tabs and newlines
// removed, leading control characters and spaces trimmed, case folded),
// or "" for a relative URL.
func scheme(u string) string {
	u = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	for i := 0; i < len(u); i++ {
		switch ch := u[i]; {
		case ch == ':':
			if i == 0 {
				return ":" // no scheme before the colon: not a valid relative URL either
			}
			return strings.ToLower(u[:i])
		case ch == '/' || ch == '?' || ch == '#':
			return ""
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		case i > 0 && ('0' <= ch && ch <= '9' || ch == '+' || ch == '-' || ch == '.'):
		default:
			return "" // not a scheme character: the colon (if any) is in a path
		}
	}
	return ""
}

// safeLink reports whether a link target may stay: http, https, mailto,
// or a relative URL (a path, a query or a fragment).
func safeLink(u string) bool {
	switch scheme(u) {
	case "", "http", "https", "mailto":
		return true
	}
	return false
}

// safeImage reports whether an image source may stay: a base64 data: URI
// of a raster image type, or a relative or http(s) URL (which the export
// page's Content-Security-Policy does not load).
func safeImage(u string) bool {
	switch scheme(u) {
	case "", "http", "https":
		return true
	case "data":
		v := strings.ToLower(strings.TrimSpace(u))
		for _, t := range []string{"data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,", "data:image/webp;base64,"} {
			if strings.HasPrefix(v, t) {
				return true
			}
		}
	}
	return false
}

// safeID reports whether an id is a plain name: 1–128 letters, digits,
// "-", "_", ":" or ".", starting with a letter. An id cannot then name a
// property of the page's document or window a script would read, beyond
// what a heading anchor needs.
func safeID(id string) bool {
	if id == "" || len(id) > 128 || !isLetter(id[0]) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' && c != ':' && c != '.' {
			return false
		}
	}
	return true
}
