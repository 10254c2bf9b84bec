package markdown

import "strings"

// delimiterRow parses a GFM table delimiter row such as "| :-- | --: |"
// and returns one alignment per column, or nil. A pipe is required, so a
// bare "---" stays a setext underline or thematic break.
func delimiterRow(s string) []byte {
	if strings.IndexByte(s, '|') < 0 {
		return nil
	}
	cells := splitRow(s)
	align := make([]byte, 0, len(cells))
	for _, c := range cells {
		if c == "" {
			return nil
		}
		left, right := c[0] == ':', c[len(c)-1] == ':'
		inner := c
		if left {
			inner = inner[1:]
		}
		if right && len(inner) > 0 {
			inner = inner[:len(inner)-1]
		}
		if inner == "" || runLen(inner, '-') != len(inner) {
			return nil
		}
		var a byte
		switch {
		case left && right:
			a = 'c'
		case left:
			a = 'l'
		case right:
			a = 'r'
		}
		align = append(align, a)
	}
	return align
}

// splitRow splits a table row into trimmed cells at unescaped pipes,
// dropping one leading and one trailing pipe. "\|" becomes "|" in the cell,
// even inside a code span, as GFM specifies.
func splitRow(s string) []string {
	s = strings.Trim(s, " \t")
	s = strings.TrimPrefix(s, "|")
	if n := len(s); n > 0 && s[n-1] == '|' && (n < 2 || s[n-2] != '\\') {
		s = s[:n-1]
	}
	var cells []string
	start := 0
	escaped := false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '\\' && i+1 < len(s) && s[i+1] == '|' {
			escaped = true
			i++
			continue
		}
		if i == len(s) || s[i] == '|' {
			cell := strings.Trim(s[start:i], " \t")
			if escaped {
				cell = strings.ReplaceAll(cell, "\\|", "|")
			}
			cells = append(cells, cell)
			start = i + 1
			escaped = false
		}
	}
	return cells
}

// addRow adds a body row, cut or padded to the header's width. Padding
// cells cost budget; when it is spent, short rows stay short.
func (p *parser) addRow(t *block, line string) {
	cells := splitRow(line)
	n := len(t.align)
	if len(cells) > n {
		cells = cells[:n]
	}
	for len(cells) < n && p.budget > 0 {
		cells = append(cells, "")
		p.budget -= 16
	}
	t.rows = append(t.rows, cells)
}
