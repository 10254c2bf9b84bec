package markdown

import "strings"

type blockKind uint8

const (
	bDocument blockKind = iota
	bQuote
	bList
	bItem
	bParagraph
	bHeading
	bThematic
	bCode
	bHTML
	bTable
)

// block is a node of the block tree. Leaf blocks keep their raw lines
// until they are finalized; inline content is parsed only when rendering.
type block struct {
	kind          blockKind
	open          bool
	lastLineBlank bool
	depth         int
	startLine     int
	parent        *block
	children      []*block
	lines         []string

	content string // paragraph or heading text after finalizing
	level   int    // heading level
	task    byte   // paragraph that opens a task item: ' ' or 'x'

	fenced      bool
	fenceChar   byte
	fenceLen    int
	fenceOffset int
	info        string
	htmlKind    int

	list  listData // list and item
	tight bool     // list

	align []byte     // table: 0, 'l', 'c' or 'r' per column
	rows  [][]string // table: header row first
}

type listData struct {
	ordered      bool
	marker       byte // '-', '*', '+', or '.' / ')' for ordered lists
	start        int
	markerOffset int
	padding      int
}

func (b *block) lastChild() *block {
	if len(b.children) == 0 {
		return nil
	}
	return b.children[len(b.children)-1]
}

// parser holds the state of the block phase, following the line-by-line
// strategy the CommonMark spec describes: match open containers, open new
// blocks, then add the rest of the line to the innermost block.
type parser struct {
	doc, tip, oldtip, lastMatched *block
	allClosed                     bool

	line                 string
	lineNum              int
	offset, column       int
	nextNonspace         int
	nextNonspaceColumn   int
	indent               int
	indented, blank      bool
	partiallyConsumedTab bool

	refs map[string]linkRef

	blocks  slab[block]
	inlines slab[inline]
	delims  slab[delim]
	ip      inlineParser // reused for every leaf block
	// budget bounds output that does not come from input bytes one to one
	// (reference expansion, padding cells of short table rows), so output
	// size stays linear in input size.
	budget int
}

type linkRef struct{ dest, title string }

const (
	maxDepth   = 64  // nesting of container blocks and of link brackets
	maxLabel   = 999 // CommonMark's limit on link label length
	codeIndent = 4
)

func (p *parser) parse(src string) {
	p.doc = &block{kind: bDocument, open: true}
	p.tip = p.doc
	p.oldtip = p.doc
	p.lastMatched = p.doc
	p.allClosed = true
	for len(src) > 0 {
		i := 0
		for i < len(src) && src[i] != '\n' && src[i] != '\r' {
			i++
		}
		if i == len(src) {
			p.incorporate(src)
			break
		}
		p.incorporate(src[:i])
		if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
			i++
		}
		src = src[i+1:]
	}
	for p.tip != nil {
		p.finalize(p.tip)
	}
}

func (p *parser) peek() byte {
	if p.offset < len(p.line) {
		return p.line[p.offset]
	}
	return 0
}

func (p *parser) findNextNonspace() {
	i, cols := p.offset, p.column
	for i < len(p.line) {
		c := p.line[i]
		if c == ' ' {
			cols++
		} else if c == '\t' {
			cols += 4 - cols%4
		} else {
			break
		}
		i++
	}
	p.blank = i >= len(p.line)
	p.nextNonspace = i
	p.nextNonspaceColumn = cols
	p.indent = cols - p.column
	p.indented = p.indent >= codeIndent
}

func (p *parser) advanceNextNonspace() {
	p.offset = p.nextNonspace
	p.column = p.nextNonspaceColumn
	p.partiallyConsumedTab = false
}

// advanceOffset moves count bytes, or count columns when columns is set,
// in which case a tab may be consumed only in part.
func (p *parser) advanceOffset(count int, columns bool) {
	for count > 0 && p.offset < len(p.line) {
		if p.line[p.offset] == '\t' {
			toTab := 4 - p.column%4
			if columns {
				p.partiallyConsumedTab = toTab > count
				n := min(toTab, count)
				p.column += n
				if !p.partiallyConsumedTab {
					p.offset++
				}
				count -= n
			} else {
				p.partiallyConsumedTab = false
				p.column += toTab
				p.offset++
				count--
			}
		} else {
			p.partiallyConsumedTab = false
			p.offset++
			p.column++
			count--
		}
	}
}

func (p *parser) addLine() {
	if p.partiallyConsumedTab {
		p.offset++
		n := 4 - p.column%4
		p.tip.lines = append(p.tip.lines, strings.Repeat(" ", n)+p.line[p.offset:])
		return
	}
	p.tip.lines = append(p.tip.lines, p.line[p.offset:])
}

func canContain(parent, child blockKind) bool {
	switch parent {
	case bDocument, bQuote, bItem:
		return child != bItem
	case bList:
		return child == bItem
	}
	return false
}

func (p *parser) addChild(kind blockKind) *block {
	for !canContain(p.tip.kind, kind) {
		p.finalize(p.tip)
	}
	b := p.blocks.new()
	b.kind, b.open, b.parent = kind, true, p.tip
	b.depth, b.startLine = p.tip.depth+1, p.lineNum
	p.tip.children = append(p.tip.children, b)
	p.tip = b
	return b
}

func (p *parser) closeUnmatched() {
	if p.allClosed {
		return
	}
	for p.oldtip != p.lastMatched {
		parent := p.oldtip.parent
		p.finalize(p.oldtip)
		p.oldtip = parent
	}
	p.allClosed = true
}

const (
	contMatched = iota
	contFailed
	contDone // the line closed a fence and is used up
)

func (p *parser) incorporate(line string) {
	if strings.IndexByte(line, 0) >= 0 {
		line = strings.ReplaceAll(line, "\x00", "\uFFFD")
	}
	p.line = line
	p.lineNum++
	p.offset, p.column = 0, 0
	p.blank, p.partiallyConsumedTab = false, false
	p.oldtip = p.tip

	container := p.doc
	for {
		last := container.lastChild()
		if last == nil || !last.open {
			break
		}
		container = last
		p.findNextNonspace()
		r := p.continueBlock(container)
		if r == contDone {
			return
		}
		if r == contFailed {
			container = container.parent
			break
		}
	}
	p.allClosed = container == p.oldtip
	p.lastMatched = container

	matchedLeaf := container.kind == bCode || container.kind == bHTML
	for !matchedLeaf {
		p.findNextNonspace()
		if !p.indented && !maybeSpecial(p.line, p.nextNonspace) {
			p.advanceNextNonspace()
			break
		}
		started := p.startBlock(container)
		if started == startNone {
			p.advanceNextNonspace()
			break
		}
		container = p.tip
		if started == startLeaf {
			break
		}
	}

	if !p.allClosed && !p.blank && p.tip.kind == bParagraph {
		p.addLine() // lazy continuation line
		return
	}
	p.closeUnmatched()
	if p.blank {
		if last := container.lastChild(); last != nil {
			last.lastLineBlank = true
		}
	}
	lastLineBlank := p.blank && !(container.kind == bQuote ||
		container.kind == bCode && container.fenced ||
		container.kind == bItem && len(container.children) == 0 && container.startLine == p.lineNum)
	for c := container; c != nil; c = c.parent {
		c.lastLineBlank = lastLineBlank
	}

	switch container.kind {
	case bCode:
		if !container.fenced || container.startLine != p.lineNum { // not the opening fence
			p.addLine()
		}
	case bParagraph:
		p.addLine()
	case bHTML:
		p.addLine()
		if container.htmlKind <= 5 && htmlBlockEnds(container.htmlKind, p.line[p.offset:]) {
			p.finalize(container)
		}
	case bTable:
		if p.offset < len(p.line) { // not the delimiter row that opened it
			p.advanceNextNonspace()
			p.addRow(container, p.line[p.offset:])
		}
	case bHeading, bThematic:
	default:
		if p.offset < len(p.line) && !p.blank {
			p.addChild(bParagraph)
			p.advanceNextNonspace()
			p.addLine()
		}
	}
}

func maybeSpecial(line string, i int) bool {
	if i >= len(line) {
		return false
	}
	switch c := line[i]; c {
	case '#', '`', '~', '*', '+', '_', '=', '<', '>', '-', '|', ':':
		return true
	default:
		return '0' <= c && c <= '9'
	}
}

// continueBlock checks whether the line continues open block b and, if it
// does, consumes b's prefix (such as "> " or an item's indentation).
func (p *parser) continueBlock(b *block) int {
	switch b.kind {
	case bQuote:
		if !p.indented && p.nextNonspace < len(p.line) && p.line[p.nextNonspace] == '>' {
			p.advanceNextNonspace()
			p.advanceOffset(1, false)
			if isSpaceOrTab(p.peek()) {
				p.advanceOffset(1, true)
			}
			return contMatched
		}
		return contFailed
	case bItem:
		if p.blank {
			if len(b.children) == 0 {
				return contFailed // an item may begin with one blank line only
			}
			p.advanceNextNonspace()
			return contMatched
		}
		if p.indent >= b.list.markerOffset+b.list.padding {
			p.advanceOffset(b.list.markerOffset+b.list.padding, true)
			return contMatched
		}
		return contFailed
	case bList, bDocument:
		return contMatched
	case bHeading, bThematic:
		return contFailed
	case bCode:
		if b.fenced {
			if !p.indented && p.nextNonspace < len(p.line) && p.line[p.nextNonspace] == b.fenceChar {
				rest := p.line[p.nextNonspace:]
				n := runLen(rest, b.fenceChar)
				if n >= b.fenceLen && strings.Trim(rest[n:], " \t") == "" {
					p.finalize(b)
					return contDone
				}
			}
			for i := b.fenceOffset; i > 0 && isSpaceOrTab(p.peek()); i-- {
				p.advanceOffset(1, true)
			}
			return contMatched
		}
		if p.indent >= codeIndent {
			p.advanceOffset(codeIndent, true)
			return contMatched
		}
		if p.blank {
			p.advanceNextNonspace()
			return contMatched
		}
		return contFailed
	case bHTML:
		if p.blank && b.htmlKind >= 6 {
			return contFailed
		}
		return contMatched
	case bParagraph:
		if p.blank {
			return contFailed
		}
		return contMatched
	case bTable:
		rest := p.line[p.nextNonspace:]
		if p.blank || strings.IndexByte(rest, '|') < 0 || !p.indented && startsBlock(rest) {
			return contFailed
		}
		return contMatched
	}
	return contFailed
}

// startsBlock reports whether a line (indentation removed) opens a block
// that ends a table even though the line holds a pipe.
func startsBlock(s string) bool {
	switch c := s[0]; c {
	case '>':
		return true
	case '#':
		n := runLen(s, '#')
		return n <= 6 && (n == len(s) || isSpaceOrTab(s[n]))
	case '`', '~':
		return runLen(s, c) >= 3
	case '<':
		k := htmlBlockStart(s)
		return k > 0 && k < 7
	case '*', '-', '_', '+':
		return isThematicBreak(s) || c != '_' && (len(s) == 1 || isSpaceOrTab(s[1]))
	}
	i := 0
	for i < len(s) && i < 9 && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') && (i+1 == len(s) || isSpaceOrTab(s[i+1]))
}

func runLen(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

const (
	startNone = iota
	startContainer
	startLeaf
)

// startBlock tries each block start in CommonMark's order of precedence.
func (p *parser) startBlock(container *block) int {
	if p.indented {
		if p.tip.kind != bParagraph && !p.blank {
			p.advanceOffset(codeIndent, true)
			p.closeUnmatched()
			p.addChild(bCode)
			return startLeaf
		}
		return startNone
	}
	rest := p.line[p.nextNonspace:]
	c := rest[0]
	deepEnough := container.depth >= maxDepth

	// Block quote.
	if c == '>' && !deepEnough {
		p.advanceNextNonspace()
		p.advanceOffset(1, false)
		if isSpaceOrTab(p.peek()) {
			p.advanceOffset(1, true)
		}
		p.closeUnmatched()
		p.addChild(bQuote)
		return startContainer
	}

	// ATX heading.
	if c == '#' {
		n := runLen(rest, '#')
		if n <= 6 && (n == len(rest) || isSpaceOrTab(rest[n])) {
			p.closeUnmatched()
			h := p.addChild(bHeading)
			h.level = n
			h.content = atxContent(rest[n:])
			p.offset = len(p.line)
			return startLeaf
		}
	}

	// Fenced code.
	if c == '`' || c == '~' {
		n := runLen(rest, c)
		if n >= 3 && (c == '~' || strings.IndexByte(rest[n:], '`') < 0) {
			p.closeUnmatched()
			b := p.addChild(bCode)
			b.fenced = true
			b.fenceChar = c
			b.fenceLen = n
			b.fenceOffset = p.indent
			b.info = unescape(strings.Trim(rest[n:], " \t"))
			p.offset = len(p.line)
			return startLeaf
		}
	}

	// HTML block.
	if c == '<' {
		// Kind 7 cannot interrupt a paragraph, not even a lazy one.
		lazy := !p.allClosed && !p.blank && p.tip.kind == bParagraph
		if k := htmlBlockStart(rest); k > 0 && (k < 7 || container.kind != bParagraph && !lazy) {
			p.closeUnmatched()
			b := p.addChild(bHTML)
			b.htmlKind = k
			return startLeaf // the line is added from p.offset, indentation kept
		}
	}

	// GFM table: a delimiter row under a paragraph line that has as many cells.
	if container.kind == bParagraph && p.tip == container && (c == '|' || c == ':' || c == '-') {
		if align := delimiterRow(rest); align != nil {
			header := container.lines[len(container.lines)-1]
			if strings.IndexByte(header, '|') >= 0 && len(splitRow(header)) == len(align) {
				p.closeUnmatched()
				container.lines = container.lines[:len(container.lines)-1]
				if len(container.lines) > 0 {
					p.finalize(container)
				} else {
					parent := container.parent
					parent.children = parent.children[:len(parent.children)-1]
					p.tip = parent
				}
				t := p.addChild(bTable)
				t.align = align
				t.rows = append(t.rows, splitRow(header))
				p.offset = len(p.line)
				return startLeaf
			}
		}
	}

	// Setext heading underline.
	if container.kind == bParagraph && p.tip == container && (c == '=' || c == '-') {
		n := runLen(rest, c)
		if strings.Trim(rest[n:], " \t") == "" {
			p.closeUnmatched()
			p.takeRefDefs(container)
			if container.content != "" {
				container.kind = bHeading
				container.level = 1
				if c == '-' {
					container.level = 2
				}
				container.lines = nil
				p.offset = len(p.line)
				return startLeaf
			}
			// Only reference definitions: the paragraph is gone and the
			// line is something else (a thematic break for "---").
			container.lines = nil
		}
	}

	// Thematic break.
	if isThematicBreak(rest) {
		p.closeUnmatched()
		p.addChild(bThematic)
		p.offset = len(p.line)
		return startLeaf
	}

	// List item.
	if !deepEnough {
		if data, ok := p.parseListMarker(container); ok {
			p.closeUnmatched()
			if p.tip.kind != bList || !listsMatch(p.tip.list, data) {
				l := p.addChild(bList)
				l.list = data
			}
			item := p.addChild(bItem)
			item.list = data
			return startContainer
		}
	}
	return startNone
}

func atxContent(s string) string {
	s = strings.Trim(s, " \t")
	// A closing sequence is a run of #s preceded by a space or tab, or the
	// whole content.
	end := len(s)
	for end > 0 && s[end-1] == '#' {
		end--
	}
	if end == 0 {
		return ""
	}
	if end < len(s) && isSpaceOrTab(s[end-1]) {
		s = strings.TrimRight(s[:end], " \t")
	}
	return s
}

func isThematicBreak(s string) bool {
	c := s[0]
	if c != '*' && c != '-' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

func listsMatch(a, b listData) bool {
	return a.ordered == b.ordered && a.marker == b.marker
}

func (p *parser) parseListMarker(container *block) (listData, bool) {
	var d listData
	rest := p.line[p.nextNonspace:]
	markerLen := 0
	switch c := rest[0]; {
	case c == '-' || c == '*' || c == '+':
		d.marker = c
		markerLen = 1
	case '0' <= c && c <= '9':
		n := 0
		for markerLen < len(rest) && markerLen < 9 && '0' <= rest[markerLen] && rest[markerLen] <= '9' {
			n = n*10 + int(rest[markerLen]-'0')
			markerLen++
		}
		if markerLen >= len(rest) || rest[markerLen] != '.' && rest[markerLen] != ')' {
			return d, false
		}
		if container.kind == bParagraph && n != 1 {
			return d, false
		}
		d.ordered = true
		d.start = n
		d.marker = rest[markerLen]
		markerLen++
	default:
		return d, false
	}
	if markerLen < len(rest) && !isSpaceOrTab(rest[markerLen]) {
		return d, false
	}
	if container.kind == bParagraph && strings.Trim(rest[markerLen:], " \t") == "" {
		return d, false // an empty item cannot interrupt a paragraph
	}
	p.advanceNextNonspace()
	p.advanceOffset(markerLen, true)
	startCol, startOff := p.column, p.offset
	for {
		p.advanceOffset(1, true)
		if p.column-startCol >= 5 || !isSpaceOrTab(p.peek()) {
			break
		}
	}
	blankItem := p.offset >= len(p.line)
	spaces := p.column - startCol
	if spaces >= 5 || spaces < 1 || blankItem {
		d.padding = markerLen + 1
		p.column, p.offset = startCol, startOff
		p.partiallyConsumedTab = false
		if isSpaceOrTab(p.peek()) {
			p.advanceOffset(1, true)
		}
	} else {
		d.padding = markerLen + spaces
	}
	d.markerOffset = p.indent
	return d, true
}

func (p *parser) finalize(b *block) {
	b.open = false
	p.tip = b.parent
	switch b.kind {
	case bParagraph:
		p.takeRefDefs(b)
		b.lines = nil
		if b.content == "" { // only definitions: the paragraph goes
			par := b.parent
			for i := len(par.children) - 1; i >= 0; i-- { // it is nearly always last
				if par.children[i] == b {
					par.children = append(par.children[:i], par.children[i+1:]...)
					break
				}
			}
		}
	case bCode:
		if !b.fenced {
			n := len(b.lines)
			for n > 0 && strings.Trim(b.lines[n-1], " \t") == "" {
				n--
			}
			b.lines = b.lines[:n]
		}
	case bItem:
		if len(b.children) > 0 {
			if f := b.children[0]; f.kind == bParagraph {
				s := f.content
				if len(s) >= 4 && s[0] == '[' && s[2] == ']' && isSpaceOrTab(s[3]) && (s[1] == ' ' || s[1] == 'x' || s[1] == 'X') {
					f.task = s[1] | 0x20
					f.content = strings.TrimLeft(s[4:], " \t")
				}
			}
		}
	case bList:
		b.tight = true
		for i, item := range b.children {
			last := i == len(b.children)-1
			if !last && endsWithBlankLine(item) {
				b.tight = false
				break
			}
			for j, c := range item.children {
				if endsWithBlankLine(c) && (!last || j < len(item.children)-1) {
					b.tight = false
					break
				}
			}
			if !b.tight {
				break
			}
		}
	}
}

func endsWithBlankLine(b *block) bool {
	for b != nil {
		if b.lastLineBlank {
			return true
		}
		if b.kind != bList && b.kind != bItem {
			return false
		}
		b = b.lastChild()
	}
	return false
}

// takeRefDefs moves link reference definitions at the start of a
// paragraph into p.refs and leaves the rest in b.content.
func (p *parser) takeRefDefs(b *block) {
	s := strings.Join(b.lines, "\n")
	for len(s) > 0 && s[0] == '[' {
		n := p.parseRefDef(s)
		if n == 0 {
			break
		}
		s = s[n:]
	}
	b.content = strings.TrimRight(s, " \t\n")
}
