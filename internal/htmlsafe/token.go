package htmlsafe

import (
	"html"
	"strings"
)

// The tokenizer follows the HTML5 tokenizing rules closely enough to read
// what a page author meant: tags and their attributes (quoted, unquoted,
// duplicated), comments (including "<!-->" and "--!>"), bogus comments
// ("<!x>", "<?x>", "</ x>"), a "<" that starts no tag (text), and raw-text
// elements (script, style, textarea, title, ...), whose content is text up
// to their end tag. It is not a browser's tokenizer in every corner (no
// script-data escape states, no character-reference subtleties inside
// attributes), and need not be: the cleaner writes every token it keeps
// itself, escaped, so a difference changes what text is shown, never what
// a browser reads as markup in the output.
//
// It is ours rather than x/net/html's because that package builds its
// 2,000-entry entity table at start-up as soon as its unescaping is linked
// in; the standard library's html.UnescapeString builds its table on first
// use.

type tokenType int

const (
	textToken tokenType = iota
	startTagToken
	endTagToken
	selfClosingTagToken
	commentToken // comments, doctypes, processing instructions: all dropped
)

type attr struct{ key, val string }

type token struct {
	typ  tokenType
	data string // text (entities decoded) or lower-case tag name
	attr []attr // start tags only, values with entities decoded
}

type tokenizer struct {
	s       string
	pos     int
	rawTag  string // inside this raw-text element: its content comes next
	attrBuf []attr
}

// next returns the next token, or false at the end of the input.
func (z *tokenizer) next() (token, bool) {
	if z.pos >= len(z.s) {
		return token{}, false
	}
	if z.rawTag != "" {
		return z.rawText(), true
	}
	lt := strings.IndexByte(z.s[z.pos:], '<')
	if lt == 0 {
		if t, ok := z.markup(); ok {
			return t, true
		}
		// A "<" that starts nothing is text: take it with what follows.
		lt = strings.IndexByte(z.s[z.pos+1:], '<')
		if lt >= 0 {
			lt++
		}
	}
	// Text up to the next "<" (or the end).
	end := len(z.s)
	if lt > 0 {
		end = z.pos + lt
	}
	t := token{typ: textToken, data: text(z.s[z.pos:end])}
	z.pos = end
	return t, true
}

// markup reads the tag, comment or declaration at z.pos ("<"), or reports
// false (leaving z.pos) when "<" starts none and is text.
func (z *tokenizer) markup() (token, bool) {
	s, p := z.s, z.pos+1
	if p >= len(s) {
		return token{}, false
	}
	switch c := s[p]; {
	case isLetter(c):
		return z.startTag(p)
	case c == '/':
		p++
		if p >= len(s) {
			return token{}, false // "</" at the end is text
		}
		if s[p] == '>' {
			z.pos = p + 1 // "</>" is nothing
			return token{typ: commentToken}, true
		}
		if !isLetter(s[p]) {
			z.pos = skipTo(s, p, ">") // bogus comment
			return token{typ: commentToken}, true
		}
		name, q := tagName(s, p)
		gt := strings.IndexByte(s[q:], '>') // an end tag's attributes mean nothing
		if gt < 0 {
			z.pos = len(s) // EOF in a tag: the tag is dropped
			return token{typ: commentToken}, true
		}
		z.pos = q + gt + 1
		return token{typ: endTagToken, data: name}, true
	case c == '!':
		if strings.HasPrefix(s[p:], "!--") {
			z.pos = commentEnd(s, p+3)
			return token{typ: commentToken}, true
		}
		z.pos = skipTo(s, p, ">") // doctype, CDATA outside foreign content, bogus
		return token{typ: commentToken}, true
	case c == '?':
		z.pos = skipTo(s, p, ">")
		return token{typ: commentToken}, true
	}
	return token{}, false
}

// startTag reads a start tag whose name begins at p.
func (z *tokenizer) startTag(p int) (token, bool) {
	s := z.s
	name, p := tagName(s, p)
	attrs := z.attrBuf[:0]
	for {
		for p < len(s) && (isSpace(s[p]) || s[p] == '/') {
			if s[p] == '/' && p+1 < len(s) && s[p+1] == '>' {
				z.pos = p + 2
				z.attrBuf = attrs
				z.enterRaw(name)
				return token{typ: selfClosingTagToken, data: name, attr: attrs}, true
			}
			p++
		}
		if p >= len(s) {
			z.pos = len(s) // EOF in a tag: the tag is dropped
			return token{typ: commentToken}, true
		}
		if s[p] == '>' {
			z.pos = p + 1
			z.attrBuf = attrs
			z.enterRaw(name)
			return token{typ: startTagToken, data: name, attr: attrs}, true
		}
		// An attribute name: up to space, "/", ">" or "=" (a leading "=" is part of it).
		q := p + 1
		for q < len(s) && !isSpace(s[q]) && s[q] != '/' && s[q] != '>' && s[q] != '=' {
			q++
		}
		key := lower(s[p:q])
		p = q
		for p < len(s) && isSpace(s[p]) {
			p++
		}
		val := ""
		if p < len(s) && s[p] == '=' {
			p++
			for p < len(s) && isSpace(s[p]) {
				p++
			}
			switch {
			case p >= len(s):
			case s[p] == '"' || s[p] == '\'':
				end := strings.IndexByte(s[p+1:], s[p])
				if end < 0 {
					z.pos = len(s) // EOF in a quoted value: the tag is dropped
					return token{typ: commentToken}, true
				}
				val = s[p+1 : p+1+end]
				p += end + 2
			default:
				q := p
				for q < len(s) && !isSpace(s[q]) && s[q] != '>' {
					q++
				}
				val = s[p:q]
				p = q
			}
		}
		if !hasAttr(attrs, key) { // the first of repeated attributes counts
			attrs = append(attrs, attr{key, text(val)})
		}
	}
}

// enterRaw makes the next token the content of raw-text element name.
func (z *tokenizer) enterRaw(name string) {
	if rawText(name) {
		z.rawTag = name
	}
}

// rawText returns the content of the raw-text element z.rawTag, up to
// "</name" followed by space, "/" or ">" (any case), or the end.
func (z *tokenizer) rawText() token {
	s, name := z.s, z.rawTag
	z.rawTag = ""
	end := len(s)
	if name != "plaintext" {
		for i := z.pos; ; {
			j := strings.Index(s[i:], "</")
			if j < 0 {
				break
			}
			k := i + j + 2
			if k+len(name) <= len(s) && lower(s[k:k+len(name)]) == name &&
				(k+len(name) == len(s) || isSpace(s[k+len(name)]) || s[k+len(name)] == '/' || s[k+len(name)] == '>') {
				end = i + j
				break
			}
			i = k
		}
	}
	t := token{typ: textToken, data: s[z.pos:end]}
	z.pos = end
	return t
}

// tagName reads a tag name from p: up to space, "/" or ">", lower-cased.
func tagName(s string, p int) (string, int) {
	q := p
	for q < len(s) && !isSpace(s[q]) && s[q] != '/' && s[q] != '>' {
		q++
	}
	return lower(s[p:q]), q
}

// commentEnd is the position after a comment whose body starts at p:
// "<!-->" and "<!--->" end at once, otherwise "-->" or "--!>" ends it.
func commentEnd(s string, p int) int {
	if strings.HasPrefix(s[p:], ">") {
		return p + 1
	}
	if strings.HasPrefix(s[p:], "->") {
		return p + 2
	}
	for i := p; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "-->") {
			return i + 3
		}
		if strings.HasPrefix(s[i:], "--!>") {
			return i + 4
		}
	}
	return len(s)
}

// skipTo is the position after the first sep at or after p, or the end.
func skipTo(s string, p int, sep string) int {
	if i := strings.Index(s[p:], sep); i >= 0 {
		return p + i + len(sep)
	}
	return len(s)
}

func hasAttr(attrs []attr, key string) bool {
	for _, a := range attrs {
		if a.key == key {
			return true
		}
	}
	return false
}

// text decodes character references and replaces NUL, as a browser shows
// text.
func text(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\ufffd")
	}
	return s
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isSpace is HTML's whitespace: tab, LF, FF, CR, space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// lower folds ASCII letters (tag and attribute names), keeping other
// bytes, with NUL replaced as a browser does.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c == 0 {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return strings.ReplaceAll(string(b), "\x00", "\ufffd")
		}
	}
	return s
}
