package markdown_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"quire/internal/markdown"
)

// maxOutput bounds the output for an input of n bytes. The largest
// amplifier is nested block quotes: one ">" becomes 27 bytes of tags.
func maxOutput(n int) int { return 32*n + 32<<10 }

// hostile are inputs that make naive parsers quadratic or recurse deeply.
func hostile() map[string]string {
	const n = 100_000
	rep := strings.Repeat
	var lists, ticks, table strings.Builder
	for i := range 300 {
		lists.WriteString(rep("  ", i) + "- x\n")
	}
	for i := 1; i < 450; i++ {
		ticks.WriteString(rep("`", i) + " a ")
	}
	table.WriteString(rep("|a", 2000) + "|\n" + rep("|-", 2000) + "|\n")
	table.WriteString(rep("|\n", n/4))
	return map[string]string{
		"open brackets":       rep("[", n),
		"close brackets":      rep("]", n),
		"nested brackets":     rep("[", n/2) + rep("]", n/2),
		"images":              rep("![", n/2),
		"link openers":        rep("[a](", n/4),
		"link angle openers":  rep("[a](<", n/5),
		"link titles":         rep("[a](b \"", n/7),
		"links in brackets":   rep("[", n/2) + rep("[a](b)", n/12),
		"stars":               rep("*", n),
		"star words":          rep("*a ", n/3),
		"underscores":         rep("_a", n/2),
		"mixed delimiters":    rep("*_**_a", n/6),
		"closers":             rep("a*", n/2),
		"nested emphasis":     rep("*", n/2) + "a" + rep("*", n/2),
		"nested em words":     rep("*a ", n/6) + rep("a* ", n/6),
		"tildes":              rep("~~a", n/3),
		"quotes":              rep(">", n),
		"quote lines":         rep("> ", n/4) + "\n" + rep(">\n", n/4),
		"one-line lists":      rep("- ", n/2) + "x",
		"ordered lists":       rep("1. ", n/3) + "x",
		"indented lists":      lists.String(),
		"backticks":           rep("`", n),
		"tick runs":           ticks.String(),
		"comments":            rep("a <!--", n/6),
		"processing":          rep("a <?", n/4),
		"cdata":               rep("a <![CDATA[", n/11),
		"declarations":        rep("a <!X", n/5),
		"attributes":          rep("<a b='", n/6),
		"entities":            rep("&#", n/2),
		"ref blowup":          "[a]: /" + rep("x", n/2) + "\n\n" + rep("[a]", n/6),
		"table padding":       table.String(),
		"ref defs":            rep("[a]: b\n\n", n/8),
		"labels":              rep("[x][", n/4),
		"ats":                 rep("a@", n/2),
		"emails":              rep("a_b@c.d ", n/8),
		"long local parts":    rep(rep("a", 1000)+"@"+rep("b", 1000)+" ", n/2002),
		"urls":                rep("www.a.b(", n/8),
		"url parens":          "www.a.b/" + rep(")", n),
		"html block lines":    rep("<div>\n", n/6),
		"setext":              rep("a\n=\n", n/4),
		"fences":              rep("```\n", n/4),
		"tabs":                rep("\t", n),
		"lazy":                "> a\n" + rep("b\n", n/2),
		"hard breaks":         rep("a  \n", n/4),
		"backslashes":         rep("\\", n),
		"ref label too long":  "[" + rep("a", 2000) + "]: /u\n\n[" + rep("a", 2000) + "]",
		"deep quotes in list": rep("- > ", n/4) + "x",
	}
}

// TestHostile checks that pathological inputs finish quickly, with output
// of linear size. Quadratic work on 10⁵ bytes takes minutes.
func TestHostile(t *testing.T) {
	for name, in := range hostile() {
		start := time.Now()
		out := markdown.ToHTML(in)
		d := time.Since(start)
		if testing.Verbose() {
			t.Logf("%s: %d bytes in, %d out, %v", name, len(in), len(out), d)
		}
		if d > 3*time.Second { // generous for loaded CI; quadratic work takes minutes
			t.Errorf("%s: %d bytes took %v", name, len(in), d)
		}
		if len(out) > maxOutput(len(in)) {
			t.Errorf("%s: %d bytes of output for %d of input", name, len(out), len(in))
		}
		if !utf8.ValidString(out) {
			t.Errorf("%s: output is not UTF-8", name)
		}
	}
}

// TestLimits pins what happens beyond the documented nesting limits.
func TestLimits(t *testing.T) {
	// Nested emphasis has no limit; rendering walks it without recursion.
	em := markdown.ToHTML(strings.Repeat("*", 1<<17) + "a" + strings.Repeat("*", 1<<17))
	if got := strings.Count(em, "<strong>"); got != 1<<16 {
		t.Errorf("2^17 stars around a gave %d strong elements, want 2^16", got)
	}
	deep := markdown.ToHTML(strings.Repeat(">", 70) + " x")
	if got := strings.Count(deep, "<blockquote>"); got != 64 {
		t.Errorf("70 nested quotes gave %d blockquotes, want 64", got)
	}
	if !strings.Contains(deep, "<p>&gt;&gt;&gt;&gt;&gt;&gt; x</p>") {
		t.Errorf("quote markers past the limit are not text: %q", deep[len(deep)-200:])
	}
	brackets := markdown.ToHTML(strings.Repeat("[", 70) + "a" + strings.Repeat("](/u)", 70))
	if got := strings.Count(brackets, "<a href"); got != 1 {
		t.Errorf("70 nested links gave %d links, want 1 (links do not nest)", got)
	}
	const refs = "[a]: /0123456789\n\n"
	uses := strings.Repeat("[a] ", 10_000)
	out := markdown.ToHTML(refs + uses)
	n := strings.Count(out, "<a href")
	if n == 0 || n == 10_000 {
		t.Errorf("%d of 10000 reference uses expanded; want some, not all (budget)", n)
	}
}

func FuzzToHTML(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in)
	}
	f.Add(strings.Repeat("> - ", 70) + "x\n" + strings.Repeat("  ", 70) + "y")
	f.Add("a &lt;b&gt; &quot;c&quot; [x](/&lt; \"&lt;t\") ![&lt;](&gt;) `&lt;`\n\n``` &lt;\n&gt;\n```")
	f.Fuzz(func(t *testing.T, in string) {
		out := markdown.ToHTML(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("ToHTML(%q) = %q: not UTF-8", in, out)
		}
		if len(out) > maxOutput(len(in)) {
			t.Fatalf("ToHTML(%q): %d bytes of output for %d of input", in, len(out), len(in))
		}
		// Without "<" in the input there is no raw HTML, so every tag and
		// entity in the output is the renderer's own: text is escaped.
		if !strings.Contains(in, "<") {
			if err := ownMarkup(out); err != "" {
				t.Fatalf("ToHTML(%q) = %q: %s", in, out, err)
			}
		}
	})
}

// ownMarkup checks that every "<" in s opens a tag the renderer makes and
// every "&" starts one of the four entities it writes.
func ownMarkup(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := i + 1
			if j < len(s) && s[j] == '/' {
				j++
			}
			k := j
			for k < len(s) && ('a' <= s[k] && s[k] <= 'z' || '1' <= s[k] && s[k] <= '6') {
				k++
			}
			switch s[j:k] {
			case "p", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "code", "blockquote",
				"ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
				"em", "strong", "del", "a", "img", "br":
			default:
				return "foreign tag at " + strconv.Itoa(i)
			}
			// Attributes: ` name="value"` with no quote or "<" in value.
			for k < len(s) && s[k] == ' ' && k+1 < len(s) && s[k+1] != '/' {
				n := k + 1
				for n < len(s) && ('a' <= s[n] && s[n] <= 'z' || s[n] == '-') {
					n++
				}
				if n == k+1 || !strings.HasPrefix(s[n:], "=\"") {
					return "bad attribute at " + strconv.Itoa(k)
				}
				e := strings.IndexAny(s[n+2:], "\"<")
				if e < 0 || s[n+2+e] != '"' {
					return "bad attribute value at " + strconv.Itoa(k)
				}
				k = n + 2 + e + 1
			}
			if !strings.HasPrefix(s[k:], ">") && !strings.HasPrefix(s[k:], " />") {
				return "bad tag end at " + strconv.Itoa(k)
			}
		case '&':
			r := s[i:]
			if !strings.HasPrefix(r, "&amp;") && !strings.HasPrefix(r, "&lt;") &&
				!strings.HasPrefix(r, "&gt;") && !strings.HasPrefix(r, "&quot;") {
				return "unescaped & at " + strconv.Itoa(i)
			}
		}
	}
	return ""
}
