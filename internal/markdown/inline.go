package markdown

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type inlineKind uint8

const (
	iText inlineKind = iota
	iSoftBreak
	iHardBreak
	iCode
	iHTML
	iEmph
	iStrong
	iDel
	iLink
	iImage
)

// inline is a node of a leaf block's inline tree. Links, images and
// emphasis have children; the others carry text.
type inline struct {
	kind    inlineKind
	bare    bool // a GFM autolink found in plain text
	literal bool // text from an escape or entity: never a hard-break space
	// untagged marks a bare link the renderer wrote as text (inside a link).
	untagged bool
	text     string
	title    string

	parent, first, last, prev, next *inline
}

func (n *inline) appendChild(c *inline) {
	c.parent = n
	c.prev = n.last
	c.next = nil
	if n.last != nil {
		n.last.next = c
	} else {
		n.first = c
	}
	n.last = c
}

func (n *inline) unlink() {
	if n.prev != nil {
		n.prev.next = n.next
	} else if n.parent != nil {
		n.parent.first = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else if n.parent != nil {
		n.parent.last = n.prev
	}
	n.parent, n.prev, n.next = nil, nil, nil
}

func (n *inline) insertAfter(s *inline) {
	s.next = n.next
	if s.next != nil {
		s.next.prev = s
	} else if n.parent != nil {
		n.parent.last = s
	}
	s.prev = n
	n.next = s
	s.parent = n.parent
}

// delim is an entry of the delimiter stack: a run of *, _ or ~ that may
// open or close emphasis.
type delim struct {
	node              *inline
	char              byte
	num, orig         int
	canOpen, canClose bool
	prev, next        *delim
}

// bracket is an entry of the bracket stack: a "[" or "![" that may open a
// link or image.
type bracket struct {
	node      *inline
	image     bool
	index     int // depth in the stack
	pos       int // just after the bracket in src
	prevDelim *delim
	prev      *bracket
}

type inlineParser struct {
	p    *parser
	src  string
	pos  int
	root *inline
	// lastText is the node text() made last, ending at textEnd in src;
	// text() extends it when the next run follows on directly.
	lastText  *inline
	textEnd   int
	delims    *delim
	brackets  *bracket
	nbrackets int
	// linkFloor: "[" openers below this depth are inside a link that has
	// already formed, and links may not nest.
	linkFloor int

	// Memos that keep scanning linear on hostile input: after one scan to
	// the end failed, later scans for the same thing fail at once.
	tickLast     map[int]int // backtick run length → last position seen
	ticksScanned bool
	noCommentEnd bool
	noPIEnd      bool
	noCDATAEnd   bool
	noDeclEnd    bool
}

// parseInlines turns the text of a leaf block into an inline tree.
func (p *parser) parseInlines(src string) *inline {
	ip := &p.ip
	*ip = inlineParser{p: p, src: src, root: p.newInline(iEmph)} // root's kind is never rendered
	ip.run()
	return ip.root
}

func (p *parser) newInline(kind inlineKind) *inline {
	n := p.inlines.new()
	n.kind = kind
	return n
}

func (ip *inlineParser) add(kind inlineKind, text string) *inline {
	n := ip.p.newInline(kind)
	n.text = text
	ip.root.appendChild(n)
	return n
}

func (ip *inlineParser) addText(s string) *inline { return ip.add(iText, s) }

func (ip *inlineParser) run() {
	for ip.pos < len(ip.src) {
		switch c := ip.src[ip.pos]; c {
		case '\n':
			ip.newline()
		case '\\':
			ip.backslash()
		case '`':
			ip.codeSpan()
		case '*', '_', '~':
			ip.delimRun(c)
		case '[':
			ip.openBracket(false)
		case '!':
			if ip.pos+1 < len(ip.src) && ip.src[ip.pos+1] == '[' {
				ip.openBracket(true)
			} else {
				ip.text()
			}
		case ']':
			ip.closeBracket()
		case '<':
			if !ip.angle() {
				ip.addText("<")
				ip.pos++
			}
		case '&':
			ip.entity()
		case 'h', 'w', 'f':
			if !ip.bareURL() {
				ip.text()
			}
		case '@':
			if !ip.email() {
				ip.text()
			}
		default:
			ip.text()
		}
	}
	ip.processEmphasis(nil)
}

// text adds the run of ordinary characters at pos (at least one byte).
func (ip *inlineParser) text() {
	s := ip.src
	i := ip.pos + 1
loop:
	for ; i < len(s); i++ {
		switch s[i] {
		case '\n', '\\', '`', '*', '_', '~', '[', '!', ']', '<', '&', '@':
			break loop
		case 'h', 'w', 'f':
			if urlBoundary(s[i-1]) {
				break loop
			}
		}
	}
	if last := ip.root.last; last != nil && last == ip.lastText && ip.textEnd == ip.pos {
		last.text = s[ip.pos-len(last.text) : i] // extend the run before
	} else {
		ip.lastText = ip.addText(s[ip.pos:i])
	}
	ip.pos = i
	ip.textEnd = i
}

func urlBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '*', '_', '~', '(':
		return true
	}
	return false
}

func (ip *inlineParser) skipLineStart() {
	for ip.pos < len(ip.src) && isSpaceOrTab(ip.src[ip.pos]) {
		ip.pos++
	}
}

func (ip *inlineParser) newline() {
	ip.pos++
	kind := iSoftBreak
	if last := ip.root.last; last != nil && last.kind == iText && !last.literal {
		t := strings.TrimRight(last.text, " ")
		if len(last.text)-len(t) >= 2 {
			kind = iHardBreak
		}
		last.text = t
	}
	ip.add(kind, "")
	ip.skipLineStart()
}

func (ip *inlineParser) backslash() {
	s := ip.src
	if ip.pos+1 < len(s) {
		c := s[ip.pos+1]
		if c == '\n' {
			ip.pos += 2
			ip.add(iHardBreak, "")
			ip.skipLineStart()
			return
		}
		if isASCIIPunct(c) {
			ip.addText(s[ip.pos+1 : ip.pos+2]).literal = true
			ip.pos += 2
			return
		}
	}
	ip.addText("\\")
	ip.pos++
}

func (ip *inlineParser) codeSpan() {
	s := ip.src
	n := runLen(s[ip.pos:], '`')
	start := ip.pos + n
	end := ip.findTicks(n, start)
	if end < 0 {
		ip.addText(s[ip.pos:start])
		ip.pos = start
		return
	}
	code := strings.ReplaceAll(s[start:end], "\n", " ")
	if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
		code = code[1 : len(code)-1]
	}
	ip.add(iCode, code)
	ip.pos = end + n
}

// findTicks returns the start of the next backtick run of exactly n at or
// after from, or -1.
func (ip *inlineParser) findTicks(n, from int) int {
	if ip.ticksScanned {
		if last, ok := ip.tickLast[n]; !ok || last < from {
			return -1
		}
	}
	if ip.tickLast == nil {
		ip.tickLast = make(map[int]int)
	}
	s := ip.src
	for i := from; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		m := runLen(s[i:], '`')
		ip.tickLast[m] = i
		if m == n {
			return i
		}
		i += m
	}
	ip.ticksScanned = true
	return -1
}

func isUnicodeSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' || unicode.Is(unicode.Zs, r)
}

func isUnicodePunct(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIPunct(byte(r))
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

func (ip *inlineParser) delimRun(c byte) {
	s := ip.src
	start := ip.pos
	n := runLen(s[start:], c)
	ip.pos += n
	before, after := '\n', '\n'
	if start > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:start])
	}
	if ip.pos < len(s) {
		after, _ = utf8.DecodeRuneInString(s[ip.pos:])
	}
	spaceBefore, spaceAfter := isUnicodeSpace(before), isUnicodeSpace(after)
	punctBefore, punctAfter := isUnicodePunct(before), isUnicodePunct(after)
	left := !spaceAfter && (!punctAfter || spaceBefore || punctBefore)
	right := !spaceBefore && (!punctBefore || spaceAfter || punctAfter)
	canOpen, canClose := left, right
	if c == '_' {
		canOpen = left && (!right || punctBefore)
		canClose = right && (!left || punctAfter)
	}
	node := ip.addText(s[start:ip.pos])
	if c == '~' && n != 2 {
		return // GFM strikethrough takes exactly two tildes here
	}
	if canOpen || canClose {
		d := ip.p.delims.new()
		d.node, d.char, d.num, d.orig = node, c, n, n
		d.canOpen, d.canClose, d.prev = canOpen, canClose, ip.delims
		if d.prev != nil {
			d.prev.next = d
		}
		ip.delims = d
	}
}

func (ip *inlineParser) removeDelim(d *delim) {
	if d.prev != nil {
		d.prev.next = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else {
		ip.delims = d.prev
	}
}

// processEmphasis matches closers with openers above bottom, as the
// CommonMark spec's appendix describes, turning them into emphasis nodes.
func (ip *inlineParser) processEmphasis(bottom *delim) {
	// openersBottom[char][closer can open][orig%3] bounds the search for an
	// opener that failed before, which keeps this linear.
	var openersBottom [3][2][3]*delim
	for i := range openersBottom {
		for j := range openersBottom[i] {
			for k := range openersBottom[i][j] {
				openersBottom[i][j][k] = bottom
			}
		}
	}
	closer := ip.delims
	for closer != nil && closer.prev != bottom {
		closer = closer.prev
	}
	for closer != nil {
		if !closer.canClose {
			closer = closer.next
			continue
		}
		ci := 0
		switch closer.char {
		case '_':
			ci = 1
		case '~':
			ci = 2
		}
		oi := 0
		if closer.canOpen {
			oi = 1
		}
		floor := &openersBottom[ci][oi][closer.orig%3]
		opener := closer.prev
		found := false
		for opener != nil && opener != bottom && opener != *floor {
			if opener.char == closer.char && opener.canOpen {
				odd := (closer.canOpen || opener.canClose) && (opener.orig+closer.orig)%3 == 0 &&
					!(opener.orig%3 == 0 && closer.orig%3 == 0)
				if closer.char == '~' {
					odd = opener.num != closer.num
				}
				if !odd {
					found = true
					break
				}
			}
			opener = opener.prev
		}
		if !found {
			*floor = closer.prev
			next := closer.next
			if !closer.canOpen {
				ip.removeDelim(closer)
			}
			closer = next
			continue
		}
		use := 1
		kind := iEmph
		if closer.num >= 2 && opener.num >= 2 {
			use = 2
			kind = iStrong
		}
		if closer.char == '~' {
			kind = iDel
		}
		opener.num -= use
		closer.num -= use
		on, cn := opener.node, closer.node
		on.text = on.text[:len(on.text)-use]
		cn.text = cn.text[:len(cn.text)-use]
		emph := ip.p.newInline(kind)
		for x := on.next; x != nil && x != cn; {
			next := x.next
			x.unlink()
			emph.appendChild(x)
			x = next
		}
		on.insertAfter(emph)
		for d := closer.prev; d != nil && d != opener; {
			prev := d.prev
			ip.removeDelim(d)
			d = prev
		}
		if opener.num == 0 {
			on.unlink()
			ip.removeDelim(opener)
		}
		if closer.num == 0 {
			next := closer.next
			cn.unlink()
			ip.removeDelim(closer)
			closer = next
		}
	}
	for ip.delims != nil && ip.delims != bottom {
		ip.removeDelim(ip.delims)
	}
}

func (ip *inlineParser) openBracket(image bool) {
	start := ip.pos
	ip.pos++
	if image {
		ip.pos++
	}
	node := ip.addText(ip.src[start:ip.pos])
	if ip.nbrackets >= maxDepth {
		return // too deep: the bracket stays text
	}
	ip.brackets = &bracket{node: node, image: image, index: ip.nbrackets, pos: ip.pos, prevDelim: ip.delims, prev: ip.brackets}
	ip.nbrackets++
}

func (ip *inlineParser) popBracket() {
	ip.brackets = ip.brackets.prev
	ip.nbrackets--
	if ip.linkFloor > ip.nbrackets {
		ip.linkFloor = ip.nbrackets
	}
}

func (ip *inlineParser) closeBracket() {
	s := ip.src
	ip.pos++
	op := ip.brackets
	if op == nil {
		ip.addText("]")
		return
	}
	if !op.image && op.index < ip.linkFloor {
		ip.popBracket()
		ip.addText("]")
		return
	}
	after := ip.pos
	var dest, title string
	end := 0
	ok := false
	if after < len(s) && s[after] == '(' {
		dest, title, end, ok = inlineLinkTail(s, after+1)
	}
	if !ok {
		n := linkLabelLen(s[after:])
		label := s[op.pos : after-1]
		end = after + n
		if n > 2 {
			label = s[after+1 : after+n-1]
		}
		var ref linkRef
		if ref, ok = ip.p.lookup(label); ok {
			dest, title = ref.dest, ref.title
		}
	}
	if !ok {
		ip.popBracket()
		ip.addText("]")
		return
	}
	ip.pos = end
	kind := iLink
	if op.image {
		kind = iImage
	}
	link := ip.p.newInline(kind)
	link.text, link.title = dest, title
	for x := op.node.next; x != nil; {
		next := x.next
		x.unlink()
		link.appendChild(x)
		x = next
	}
	ip.root.appendChild(link)
	ip.processEmphasis(op.prevDelim) // the link text's delimiters are siblings under link
	ip.popBracket()
	op.node.unlink()
	if !op.image {
		ip.linkFloor = ip.nbrackets
	}
}

// lookup finds the definition for a reference label. A use costs budget
// so that many uses of a long definition cannot blow up the output.
func (p *parser) lookup(label string) (linkRef, bool) {
	if len(label) > maxLabel || p.refs == nil || p.budget <= 0 {
		return linkRef{}, false
	}
	for i := 0; i < len(label); i++ {
		switch label[i] {
		case '\\':
			i++
		case '[', ']':
			return linkRef{}, false
		}
	}
	ref, ok := p.refs[normalizeLabel(label)]
	if ok {
		p.budget -= len(ref.dest) + len(ref.title) + 16
	}
	return ref, ok
}

// linkLabelLen returns the length of the link label ("[...]") at the
// start of s, brackets included, or 0. "[]" gives 2.
func linkLabelLen(s string) int {
	if len(s) == 0 || s[0] != '[' {
		return 0
	}
	for i := 1; i < len(s) && i <= maxLabel+1; i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			return 0
		case ']':
			if i > 1 && strings.TrimSpace(s[1:i]) == "" {
				return 0
			}
			return i + 1
		}
	}
	return 0
}

// inlineLinkTail parses `dest "title")` after the "(" of an inline link.
func inlineLinkTail(s string, i int) (dest, title string, end int, ok bool) {
	i, _ = skipSpace(s, i)
	if i < len(s) && s[i] == ')' {
		return "", "", i + 1, true
	}
	dest, j, ok := linkDest(s, i)
	if !ok {
		return "", "", 0, false
	}
	k, sp := skipSpace(s, j)
	if sp && k < len(s) && (s[k] == '"' || s[k] == '\'' || s[k] == '(') {
		var e int
		title, e, ok = linkTitle(s, k)
		if !ok {
			return "", "", 0, false
		}
		k, _ = skipSpace(s, e)
	}
	if k < len(s) && s[k] == ')' {
		return dest, title, k + 1, true
	}
	return "", "", 0, false
}

// linkDest parses a link destination at s[i:]: "<...>" or a run without
// spaces whose parentheses balance (to depth 32).
func linkDest(s string, i int) (string, int, bool) {
	if i >= len(s) {
		return "", 0, false
	}
	if s[i] == '<' {
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '>':
				return unescape(s[i+1 : j]), j + 1, true
			case '<', '\n':
				return "", 0, false
			case '\\':
				if j+1 < len(s) && isASCIIPunct(s[j+1]) {
					j++
				}
			}
		}
		return "", 0, false
	}
	depth := 0
	j := i
loop:
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '\\' && j+1 < len(s) && isASCIIPunct(s[j+1]):
			j++
		case c == '(':
			depth++
			if depth > 32 {
				return "", 0, false
			}
		case c == ')':
			if depth == 0 {
				break loop
			}
			depth--
		case c <= ' ' || c == 0x7f:
			break loop
		}
	}
	if j == i || depth != 0 {
		return "", 0, false
	}
	return unescape(s[i:j]), j, true
}

// linkTitle parses a "...", '...' or (...) title at s[i:].
func linkTitle(s string, i int) (string, int, bool) {
	open := s[i]
	closeC := open
	if open == '(' {
		closeC = ')'
	}
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '\\' && j+1 < len(s) && isASCIIPunct(s[j+1]):
			j++
		case c == closeC:
			return unescape(s[i+1 : j]), j + 1, true
		case c == '(' && open == '(':
			return "", 0, false
		}
	}
	return "", 0, false
}

// parseRefDef parses a link reference definition at the start of s and
// records it; it returns the bytes used (through the line ending) or 0.
func (p *parser) parseRefDef(s string) int {
	n := linkLabelLen(s)
	if n <= 2 || n >= len(s) || s[n] != ':' {
		return 0
	}
	label := s[1 : n-1]
	i := skipBlank(s, n+1)
	if i < len(s) && s[i] == '\n' {
		i = skipBlank(s, i+1)
	}
	dest, j, ok := linkDest(s, i)
	if !ok {
		return 0
	}
	k := skipBlank(s, j)
	atEOL := k >= len(s) || s[k] == '\n'
	t := k
	if t < len(s) && s[t] == '\n' {
		t = skipBlank(s, t+1)
	}
	title, end := "", -1
	if t > j && t < len(s) && (s[t] == '"' || s[t] == '\'' || s[t] == '(') {
		if tt, e, ok := linkTitle(s, t); ok {
			e = skipBlank(s, e)
			if e >= len(s) || s[e] == '\n' {
				title, end = tt, e
			}
		}
	}
	if end < 0 {
		if !atEOL {
			return 0
		}
		end = k
	}
	if end < len(s) {
		end++ // the line ending
	}
	key := normalizeLabel(label)
	if p.refs == nil {
		p.refs = make(map[string]linkRef)
	}
	if _, dup := p.refs[key]; !dup {
		p.refs[key] = linkRef{dest: dest, title: title}
	}
	return end
}

func skipBlank(s string, i int) int {
	for i < len(s) && isSpaceOrTab(s[i]) {
		i++
	}
	return i
}

// angle handles "<" at pos: an autolink or raw inline HTML.
func (ip *inlineParser) angle() bool {
	s := ip.src[ip.pos:]
	if n := uriAutolinkLen(s); n > 0 {
		u := s[1 : n-1]
		ip.addAutolink(u, u, n, false)
		return true
	}
	if n := emailAutolinkLen(s); n > 0 {
		u := s[1 : n-1]
		ip.addAutolink("mailto:"+u, u, n, false)
		return true
	}
	if n := ip.inlineHTMLLen(s); n > 0 {
		ip.add(iHTML, s[:n])
		ip.pos += n
		return true
	}
	return false
}

func (ip *inlineParser) addAutolink(dest, text string, n int, bare bool) {
	link := ip.add(iLink, dest)
	link.bare = bare
	t := ip.p.newInline(iText)
	t.text = text
	link.appendChild(t)
	ip.pos += n
}

func uriAutolinkLen(s string) int {
	i := 1
	for i < len(s) && i <= 33 && (isAlnum(s[i]) || i > 1 && (s[i] == '+' || s[i] == '.' || s[i] == '-')) {
		i++
	}
	if i < 3 || i > 33 || i >= len(s) || s[i] != ':' || !isLetter(s[1]) {
		return 0
	}
	for i++; i < len(s); i++ {
		switch c := s[i]; {
		case c == '>':
			return i + 1
		case c == '<' || c <= ' ' || c == 0x7f:
			return 0
		}
	}
	return 0
}

func emailAutolinkLen(s string) int {
	i := 1
	for i < len(s) && (isAlnum(s[i]) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", s[i]) >= 0) {
		i++
	}
	if i == 1 || i >= len(s) || s[i] != '@' {
		return 0
	}
	i++
	for {
		start := i
		for i < len(s) && i-start < 63 && (isAlnum(s[i]) || s[i] == '-') {
			i++
		}
		if i == start || s[start] == '-' || s[i-1] == '-' || i >= len(s) {
			return 0
		}
		if s[i] == '>' {
			return i + 1
		}
		if s[i] != '.' {
			return 0
		}
		i++
	}
}

// inlineHTMLLen returns the length of raw HTML at the start of s, or 0.
func (ip *inlineParser) inlineHTMLLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch {
	case isLetter(s[1]):
		return openTagLen(s)
	case s[1] == '/':
		return closingTagLen(s)
	case strings.HasPrefix(s, "<!--"):
		if strings.HasPrefix(s, "<!-->") {
			return 5
		}
		if strings.HasPrefix(s, "<!--->") {
			return 6
		}
		return ip.scanTo(s, 4, "-->", &ip.noCommentEnd)
	case s[1] == '?':
		return ip.scanTo(s, 2, "?>", &ip.noPIEnd)
	case strings.HasPrefix(s, "<![CDATA["):
		return ip.scanTo(s, 9, "]]>", &ip.noCDATAEnd)
	case s[1] == '!' && len(s) > 2 && isLetter(s[2]):
		return ip.scanTo(s, 3, ">", &ip.noDeclEnd)
	}
	return 0
}

func (ip *inlineParser) scanTo(s string, from int, end string, none *bool) int {
	if *none {
		return 0
	}
	i := strings.Index(s[from:], end)
	if i < 0 {
		*none = true
		return 0
	}
	return from + i + len(end)
}

// entity handles "&" at pos.
func (ip *inlineParser) entity() {
	s := ip.src[ip.pos:]
	if n := entityLen(s); n > 0 {
		if d, ok := decodeEntity(s[:n]); ok {
			ip.addText(d).literal = true
			ip.pos += n
			return
		}
	}
	ip.addText("&")
	ip.pos++
}

// bareURL handles a GFM extended autolink (www., http://, https://,
// ftp://) starting at pos.
func (ip *inlineParser) bareURL() bool {
	if ip.pos > 0 && !urlBoundary(ip.src[ip.pos-1]) {
		return false
	}
	s := ip.src[ip.pos:]
	prefix, host := "", 0
	switch {
	case strings.HasPrefix(s, "www."):
		prefix = "http://"
	case strings.HasPrefix(s, "https://"):
		host = 8
	case strings.HasPrefix(s, "http://"):
		host = 7
	case strings.HasPrefix(s, "ftp://"):
		host = 6
	default:
		return false
	}
	d := domainLen(s[host:])
	if d == 0 {
		return false
	}
	end := host + d
	for end < len(s) && !isSpaceOrTab(s[end]) && s[end] != '\n' && s[end] != '<' {
		// GFM finds these links after links are parsed, so in the text of
		// a link, as in [https://x.org](https://x.org), "]" ends the URL.
		if s[end] == ']' && ip.brackets != nil {
			break
		}
		end++
	}
	u := trimURLTail(s[:end])
	if len(u) <= host {
		return false
	}
	ip.addAutolink(prefix+u, u, len(u), true)
	return true
}

// email handles "@" at pos: a GFM extended e-mail autolink, whose local
// part is the tail of the text run just before.
func (ip *inlineParser) email() bool {
	last := ip.root.last
	if last == nil || last != ip.lastText || ip.textEnd != ip.pos {
		return false
	}
	t := last.text
	i := len(t)
	for i > 0 && isLocalPart(t[i-1]) {
		i--
	}
	if i == len(t) {
		return false
	}
	// The address must start in this run: "first_last@x.org" has "_" in a
	// node of its own, and linking only "last@x.org" would be wrong.
	if start := ip.pos - (len(t) - i); start > 0 && isLocalPart(ip.src[start-1]) {
		return false
	}
	s := ip.src[ip.pos+1:]
	j := 0
	for j < len(s) && (isAlnum(s[j]) || s[j] == '-' || s[j] == '_' || s[j] == '.') {
		j++
	}
	domain := strings.TrimRight(s[:j], ".") // a final '.' ends the sentence
	if domain == "" || strings.IndexByte(domain, '.') < 0 {
		return false
	}
	if c := domain[len(domain)-1]; c == '-' || c == '_' {
		return false
	}
	addr := t[i:] + "@" + domain
	last.text = t[:i]
	ip.lastText = nil
	ip.addAutolink("mailto:"+addr, addr, 1+len(domain), true)
	return true
}

func isLocalPart(c byte) bool {
	return isAlnum(c) || c == '.' || c == '-' || c == '_' || c == '+'
}

// domainLen returns the length of a GFM "valid domain" at the start of s:
// segments of letters, digits, '_' and '-' split by '.', at least one
// '.', and no '_' in the last two segments.
func domainLen(s string) int {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] >= utf8.RuneSelf) {
		i++
	}
	d := strings.TrimRight(s[:i], ".") // a final '.' ends the sentence
	last := strings.LastIndexByte(d, '.')
	if last <= 0 {
		return 0
	}
	second := strings.LastIndexByte(d[:last], '.')
	if strings.IndexByte(d[second+1:], '_') >= 0 {
		return 0
	}
	return i
}

// trimURLTail drops trailing punctuation GFM leaves out of an autolink.
func trimURLTail(u string) string {
	opens, closes := strings.Count(u, "("), strings.Count(u, ")")
	for len(u) > 0 {
		switch u[len(u)-1] {
		case '?', '!', '.', ',', ':', '*', '_', '~', '\'', '"':
			u = u[:len(u)-1]
			continue
		case ')':
			if closes > opens {
				u = u[:len(u)-1]
				closes--
				continue
			}
		case ';':
			i := len(u) - 2
			for i >= 0 && isAlnum(u[i]) {
				i--
			}
			if i >= 0 && i < len(u)-2 && u[i] == '&' {
				u = u[:i]
				continue
			}
		}
		break
	}
	return u
}
