package markdown

import "strings"

// htmlBlockStart returns which of CommonMark's seven kinds of HTML block
// the line s (indentation removed) opens, or 0.
func htmlBlockStart(s string) int {
	if len(s) < 2 || s[0] != '<' {
		return 0
	}
	switch {
	case strings.HasPrefix(s, "<!--"):
		return 2
	case strings.HasPrefix(s, "<?"):
		return 3
	case strings.HasPrefix(s, "<![CDATA["):
		return 5
	case s[1] == '!' && len(s) > 2 && isLetter(s[2]):
		return 4
	}
	closing := s[1] == '/'
	i := 1
	if closing {
		i = 2
	}
	j := i
	for j < len(s) && (isAlnum(s[j]) || j > i && s[j] == '-') {
		j++
	}
	if j == i || !isLetter(s[i]) {
		return 0
	}
	name := s[i:j]
	end := j == len(s) || isSpaceOrTab(s[j]) || s[j] == '>' || strings.HasPrefix(s[j:], "/>")
	if !closing && end && isVerbatimTag(name) && !strings.HasPrefix(s[j:], "/>") {
		return 1
	}
	if end && isBlockTag(name) {
		return 6
	}
	if isVerbatimTag(name) {
		return 0
	}
	var n int
	if closing {
		n = closingTagLen(s)
	} else {
		n = openTagLen(s)
	}
	if n > 0 && strings.Trim(s[n:], " \t") == "" {
		return 7
	}
	return 0
}

func isVerbatimTag(name string) bool {
	return strings.EqualFold(name, "script") || strings.EqualFold(name, "pre") ||
		strings.EqualFold(name, "style") || strings.EqualFold(name, "textarea")
}

// isBlockTag reports whether name is one of the tags that open an HTML
// block of kind 6.
func isBlockTag(name string) bool {
	if len(name) > 10 {
		return false
	}
	var buf [10]byte
	for i := 0; i < len(name); i++ {
		buf[i] = name[i] | 0x20 // ASCII lower case; digits are unchanged
	}
	switch string(buf[:len(name)]) {
	case "address", "article", "aside", "base", "basefont", "blockquote", "body",
		"caption", "center", "col", "colgroup", "dd", "details", "dialog", "dir",
		"div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
		"frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header",
		"hr", "html", "iframe", "legend", "li", "link", "main", "menu", "menuitem",
		"nav", "noframes", "ol", "optgroup", "option", "p", "param", "search",
		"section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
		"title", "tr", "track", "ul":
		return true
	}
	return false
}

// htmlBlockEnds reports whether line holds the end condition of an HTML
// block of kind 1 to 5.
func htmlBlockEnds(kind int, line string) bool {
	switch kind {
	case 1:
		return containsFold(line, "</script>") || containsFold(line, "</pre>") ||
			containsFold(line, "</style>") || containsFold(line, "</textarea>")
	case 2:
		return strings.Contains(line, "-->")
	case 3:
		return strings.Contains(line, "?>")
	case 4:
		return strings.IndexByte(line, '>') >= 0
	case 5:
		return strings.Contains(line, "]]>")
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII needle,
// ignoring ASCII case in s.
func containsFold(s, needle string) bool {
	for i := 0; i+len(needle) <= len(s); i++ {
		if s[i] == '<' && strings.EqualFold(s[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

// skipSpace skips spaces, tabs and line endings, and reports whether it
// skipped any.
func skipSpace(s string, i int) (int, bool) {
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
		j++
	}
	return j, j > i
}

// openTagLen returns the length of the HTML open tag at the start of s, or 0.
func openTagLen(s string) int {
	if len(s) < 3 || s[0] != '<' || !isLetter(s[1]) {
		return 0
	}
	i := 2
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-') {
		i++
	}
	for {
		j, sp := skipSpace(s, i)
		if j >= len(s) {
			return 0
		}
		if s[j] == '>' {
			return j + 1
		}
		if s[j] == '/' {
			if j+1 < len(s) && s[j+1] == '>' {
				return j + 2
			}
			return 0
		}
		if !sp {
			return 0
		}
		// Attribute name.
		c := s[j]
		if !isLetter(c) && c != '_' && c != ':' {
			return 0
		}
		j++
		for j < len(s) && (isAlnum(s[j]) || s[j] == '_' || s[j] == '.' || s[j] == ':' || s[j] == '-') {
			j++
		}
		i = j
		// Optional value.
		k, _ := skipSpace(s, j)
		if k < len(s) && s[k] == '=' {
			k, _ = skipSpace(s, k+1)
			if k >= len(s) {
				return 0
			}
			switch q := s[k]; q {
			case '"', '\'':
				e := strings.IndexByte(s[k+1:], q)
				if e < 0 {
					return 0
				}
				i = k + 1 + e + 1
			default:
				e := k
				for e < len(s) && !strings.ContainsRune(" \t\n\"'=<>`", rune(s[e])) {
					e++
				}
				if e == k {
					return 0
				}
				i = e
			}
		}
	}
}

// closingTagLen returns the length of the HTML closing tag at the start
// of s, or 0.
func closingTagLen(s string) int {
	if len(s) < 4 || s[0] != '<' || s[1] != '/' || !isLetter(s[2]) {
		return 0
	}
	i := 3
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-') {
		i++
	}
	i, _ = skipSpace(s, i)
	if i < len(s) && s[i] == '>' {
		return i + 1
	}
	return 0
}
