package markdown_test

import (
	"testing"

	"quire/internal/markdown"
)

// Expected outputs follow the CommonMark 0.31 and GFM specs, written out by
// hand; the cases that knowingly deviate say so.
var cases = []struct{ name, in, want string }{
	// Paragraphs and line breaks.
	{"empty", "", ""},
	{"blank lines", "\n\n  \n", ""},
	{"paragraph", "aaa\n\nbbb", "<p>aaa</p>\n<p>bbb</p>\n"},
	{"multi-line paragraph", "aaa\nbbb", "<p>aaa\nbbb</p>\n"},
	{"leading spaces stripped", "  aaa\n bbb", "<p>aaa\nbbb</p>\n"},
	{"trailing spaces at end", "aaa   ", "<p>aaa</p>\n"},
	{"hard break spaces", "foo  \nbar", "<p>foo<br />\nbar</p>\n"},
	{"hard break backslash", "foo\\\nbar", "<p>foo<br />\nbar</p>\n"},
	{"one space is soft", "foo \nbar", "<p>foo\nbar</p>\n"},
	{"no hard break at end", "foo\\", "<p>foo\\</p>\n"},
	{"crlf line endings", "a\r\nb\r\n\r\nc", "<p>a\nb</p>\n<p>c</p>\n"},
	{"NUL replaced", "a\x00b", "<p>a\uFFFDb</p>\n"},

	// ATX headings.
	{"atx levels", "# h1\n###### h6", "<h1>h1</h1>\n<h6>h6</h6>\n"},
	{"atx seven is text", "####### no", "<p>####### no</p>\n"},
	{"atx needs space", "#5 bolt", "<p>#5 bolt</p>\n"},
	{"atx closing hashes", "## foo ##   ", "<h2>foo</h2>\n"},
	{"atx hash in text", "# foo#", "<h1>foo#</h1>\n"},
	{"atx empty", "#\n## ##", "<h1></h1>\n<h2></h2>\n"},
	{"atx inline", "# *em* `c`", "<h1><em>em</em> <code>c</code></h1>\n"},
	{"atx indented 4 is code", "    # x", "<pre><code># x\n</code></pre>\n"},
	{"atx interrupts paragraph", "a\n# b", "<p>a</p>\n<h1>b</h1>\n"},

	// Setext headings.
	{"setext 1", "Foo\n===", "<h1>Foo</h1>\n"},
	{"setext 2", "Foo *bar*\n---", "<h2>Foo <em>bar</em></h2>\n"},
	{"setext multi-line", "a\nb\n==", "<h1>a\nb</h1>\n"},
	{"setext lazy is not heading", "> a\n---", "<blockquote>\n<p>a</p>\n</blockquote>\n<hr />\n"},
	{"setext after blank is hr", "a\n\n---", "<p>a</p>\n<hr />\n"},
	{"setext only ref def", "[a]: /u\n===", "<p>===</p>\n"},

	// Thematic breaks.
	{"hr kinds", "***\n---\n___", "<hr />\n<hr />\n<hr />\n"},
	{"hr spaced", " - - -", "<hr />\n"},
	{"hr two is not", "--", "<p>--</p>\n"},
	{"hr mixed is not", "*-*", "<p><em>-</em></p>\n"},
	{"hr interrupts paragraph", "a\n***\nb", "<p>a</p>\n<hr />\n<p>b</p>\n"},

	// Fenced code.
	{"fence backticks", "```\n<a>\n  &\n```", "<pre><code>&lt;a&gt;\n  &amp;\n</code></pre>\n"},
	{"fence tildes info", "~~~ python extra\nx = 1\n~~~", "<pre><code class=\"language-python\">x = 1\n</code></pre>\n"},
	{"fence info escaped", "``` a&amp;\"b\nx\n```", "<pre><code class=\"language-a&amp;&quot;b\">x\n</code></pre>\n"},
	{"fence closing longer", "````\n```\n``````", "<pre><code>```\n</code></pre>\n"},
	{"fence other char not closing", "```\n~~~\n```", "<pre><code>~~~\n</code></pre>\n"},
	{"fence unclosed", "```\nabc", "<pre><code>abc\n</code></pre>\n"},
	{"fence indentation removed", "  ```\n   a\n  b\nc\n  ```", "<pre><code> a\nb\nc\n</code></pre>\n"},
	{"fence backtick info with backtick", "``` a`b\nc", "<p>``` a`b\nc</p>\n"},
	{"fence empty", "```\n```", "<pre><code></code></pre>\n"},
	{"fence interrupts paragraph", "a\n```\nb\n```", "<p>a</p>\n<pre><code>b\n</code></pre>\n"},
	{"fence blank lines kept", "```\na\n\n\nb\n```", "<pre><code>a\n\n\nb\n</code></pre>\n"},

	// Indented code.
	{"indented code", "    a\n      b\n\n    c", "<pre><code>a\n  b\n\nc\n</code></pre>\n"},
	{"indented code tab", "\tfoo\tbar", "<pre><code>foo\tbar\n</code></pre>\n"},
	{"indented code no interrupt", "a\n    b", "<p>a\nb</p>\n"},
	{"indented code trailing blanks dropped", "    a\n    \n\nb", "<pre><code>a\n</code></pre>\n<p>b</p>\n"},

	// Block quotes.
	{"quote", "> a\n> b", "<blockquote>\n<p>a\nb</p>\n</blockquote>\n"},
	{"quote lazy", "> a\nb", "<blockquote>\n<p>a\nb</p>\n</blockquote>\n"},
	{"quote nested", "> > a\n> b", "<blockquote>\n<blockquote>\n<p>a\nb</p>\n</blockquote>\n</blockquote>\n"},
	{"quote nested lazy", ">>> a\nb", "<blockquote>\n<blockquote>\n<blockquote>\n<p>a\nb</p>\n</blockquote>\n</blockquote>\n</blockquote>\n"},
	{"quote blank splits", "> a\n\n> b", "<blockquote>\n<p>a</p>\n</blockquote>\n<blockquote>\n<p>b</p>\n</blockquote>\n"},
	{"quote empty", ">", "<blockquote>\n</blockquote>\n"},
	{"quote with heading and code", "> # h\n>     code", "<blockquote>\n<h1>h</h1>\n<pre><code>code\n</code></pre>\n</blockquote>\n"},
	{"quote no lazy code", ">     a\n    b", "<blockquote>\n<pre><code>a\n</code></pre>\n</blockquote>\n<pre><code>b\n</code></pre>\n"},
	{"quote no lazy fence", "> ```\nfoo\n```", "<blockquote>\n<pre><code></code></pre>\n</blockquote>\n<p>foo</p>\n<pre><code></code></pre>\n"},

	// Lists.
	{"bullet tight", "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"},
	{"bullet loose", "- a\n\n- b", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n"},
	{"bullet change ends list", "- a\n+ b\n* c", "<ul>\n<li>a</li>\n</ul>\n<ul>\n<li>b</li>\n</ul>\n<ul>\n<li>c</li>\n</ul>\n"},
	{"ordered", "1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n"},
	{"ordered start", "3) a\n4) b", "<ol start=\"3\">\n<li>a</li>\n<li>b</li>\n</ol>\n"},
	{"ordered start zero", "0. a", "<ol start=\"0\">\n<li>a</li>\n</ol>\n"},
	{"ordered delimiter change", "1. a\n2) b", "<ol>\n<li>a</li>\n</ol>\n<ol start=\"2\">\n<li>b</li>\n</ol>\n"},
	{"ordered ten digits is text", "1234567890. a", "<p>1234567890. a</p>\n"},
	{"ordered interrupts only with 1", "a\n2. b\n1. c", "<p>a\n2. b</p>\n<ol>\n<li>c</li>\n</ol>\n"},
	{"nested lists", "- a\n  - b\n    - c\n- d", "<ul>\n<li>a\n<ul>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n<li>d</li>\n</ul>\n"},
	{"nested ordered in bullet", "- a\n\n  1. b\n  2. c", "<ul>\n<li>\n<p>a</p>\n<ol>\n<li>b</li>\n<li>c</li>\n</ol>\n</li>\n</ul>\n"},
	{"item two paragraphs", "- a\n\n  b\n- c", "<ul>\n<li>\n<p>a</p>\n<p>b</p>\n</li>\n<li>\n<p>c</p>\n</li>\n</ul>\n"},
	{"item not indented enough", "- a\n\n b", "<ul>\n<li>a</li>\n</ul>\n<p>b</p>\n"},
	{"item lazy continuation", "- a\nb", "<ul>\n<li>a\nb</li>\n</ul>\n"},
	{"item with code", "- ```\n  x\n  ```", "<ul>\n<li>\n<pre><code>x\n</code></pre>\n</li>\n</ul>\n"},
	{"item indented code", "1.     code\n\n   para", "<ol>\n<li>\n<pre><code>code\n</code></pre>\n<p>para</p>\n</li>\n</ol>\n"},
	{"item empty", "-\n- a", "<ul>\n<li></li>\n<li>a</li>\n</ul>\n"},
	{"item starting blank", "-\n  foo", "<ul>\n<li>foo</li>\n</ul>\n"},
	{"item two blanks", "-\n\n  foo", "<ul>\n<li></li>\n</ul>\n<p>foo</p>\n"},
	{"empty item no interrupt", "a\n-\nb", "<h2>a</h2>\n<p>b</p>\n"},
	{"item quote", "- > a\n  > b", "<ul>\n<li>\n<blockquote>\n<p>a\nb</p>\n</blockquote>\n</li>\n</ul>\n"},
	{"nested blank in sublist keeps outer tight", "- a\n  - b\n\n    c\n- d", "<ul>\n<li>a\n<ul>\n<li>\n<p>b</p>\n<p>c</p>\n</li>\n</ul>\n</li>\n<li>d</li>\n</ul>\n"},
	{"list then hr", "- a\n\n* * *", "<ul>\n<li>a</li>\n</ul>\n<hr />\n"},
	{"list tab after marker", "-\ta", "<ul>\n<li>a</li>\n</ul>\n"},
	{"list five spaces is code", "-     a", "<ul>\n<li>\n<pre><code>a\n</code></pre>\n</li>\n</ul>\n"},
	{"task list", "- [ ] todo\n- [x] done\n- [X] Done\n- [y] no", "<ul>\n<li>☐ todo</li>\n<li>☑ done</li>\n<li>☑ Done</li>\n<li>[y] no</li>\n</ul>\n"},
	{"task list loose", "- [ ] a\n\n- [x] b", "<ul>\n<li>\n<p>☐ a</p>\n</li>\n<li>\n<p>☑ b</p>\n</li>\n</ul>\n"},
	{"task needs text after", "- [ ]", "<ul>\n<li>[ ]</li>\n</ul>\n"},

	// HTML blocks.
	{"html div", "<div>\n*x*\n</div>\n\n*y*", "<div>\n*x*\n</div>\n<p><em>y</em></p>\n"},
	{"html comment multi-line", "<!-- a\n\nb -->\nc", "<!-- a\n\nb -->\n<p>c</p>\n"},
	{"html script keeps blank lines", "<script>\nx\n\ny</script>\nz", "<script>\nx\n\ny</script>\n<p>z</p>\n"},
	{"html pre", "<pre>\n**x**\n</pre>", "<pre>\n**x**\n</pre>\n"},
	{"html PI", "<?php\necho 1;\n?>\nx", "<?php\necho 1;\n?>\n<p>x</p>\n"},
	{"html declaration", "<!DOCTYPE html>\nx", "<!DOCTYPE html>\n<p>x</p>\n"},
	{"html cdata", "<![CDATA[\na\n]]>\nx", "<![CDATA[\na\n]]>\n<p>x</p>\n"},
	{"html kind 7", "<span class=\"a\">\n*x*\n\n*y*", "<span class=\"a\">\n*x*\n<p><em>y</em></p>\n"},
	{"html kind 7 no interrupt", "a\n<span>\nb", "<p>a\n<span>\nb</p>\n"},
	{"html kind 7 no lazy interrupt", "> a\n<span>", "<blockquote>\n<p>a\n<span></p>\n</blockquote>\n"},
	{"html kind 6 interrupts", "a\n<div>\nb", "<p>a</p>\n<div>\nb\n"},
	{"html indented kept", "  <div>\n  x", "  <div>\n  x\n"},
	{"html not a tag", "<notatag x", "<p>&lt;notatag x</p>\n"},

	// Link reference definitions.
	{"ref def", "[foo]: /url \"title\"\n\n[foo]", "<p><a href=\"/url\" title=\"title\">foo</a></p>\n"},
	{"ref def case and space", "[Foo  Bar]: /u\n\n[foo bar] [FOO\nBAR]", "<p><a href=\"/u\">foo bar</a> <a href=\"/u\">FOO\nBAR</a></p>\n"},
	{"ref def angle dest and single quote title", "[a]: <my url> 'it''s'\n\n[a]", "<p>[a]: <my url> 'it''s'</p>\n<p>[a]</p>\n"},
	{"ref def title next line", "[a]: /u\n  \"t\"\n[a]", "<p><a href=\"/u\" title=\"t\">a</a></p>\n"},
	{"ref def first wins", "[a]: /one\n[a]: /two\n\n[a]", "<p><a href=\"/one\">a</a></p>\n"},
	{"ref def then text", "[a]: /u\ntext [a]", "<p>text <a href=\"/u\">a</a></p>\n"},
	{"ref def bad title keeps paragraph", "[a]: /u \"t\" x\n\n[a]", "<p>[a]: /u &quot;t&quot; x</p>\n<p>[a]</p>\n"},
	{"ref def used before", "[a]\n\n[a]: /u", "<p><a href=\"/u\">a</a></p>\n"},
	{"ref def angle empty", "[a]: <>\n\n[a]", "<p><a href=\"\">a</a></p>\n"},
	{"ref def in quote", "> [a]: /u\n\n[a]", "<blockquote>\n</blockquote>\n<p><a href=\"/u\">a</a></p>\n"},

	// GFM tables.
	{"table", "| a | b |\n| --- | --- |\n| 1 | 2 |", "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"},
	{"table align", "a|b|c\n:-|:-:|-:\nx|y|z", "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"center\">b</th>\n<th align=\"right\">c</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td align=\"left\">x</td>\n<td align=\"center\">y</td>\n<td align=\"right\">z</td>\n</tr>\n</tbody>\n</table>\n"},
	{"table header only", "|a|\n|-|", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n</table>\n"},
	{"table short and long rows", "|a|b|\n|-|-|\n|1|\n|1|2|3|", "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td></td>\n</tr>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"},
	{"table escaped pipe", "|a|\n|-|\n|`x\\|y` b\\|c|", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td><code>x|y</code> b|c</td>\n</tr>\n</tbody>\n</table>\n"},
	{"table inline", "|*a*|\n|-|\n|[l](/u)|", "<table>\n<thead>\n<tr>\n<th><em>a</em></th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td><a href=\"/u\">l</a></td>\n</tr>\n</tbody>\n</table>\n"},
	// GFM would keep "x" as a row; rows here need a pipe.
	{"table ends at line without pipe", "|a|\n|-|\n|1|\nx", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n<p>x</p>\n"},
	{"table ends at block start", "|a|\n|-|\n> q | x", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n</table>\n<blockquote>\n<p>q | x</p>\n</blockquote>\n"},
	{"table ends at list", "|a|\n|-|\n|1|\n- b|c", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n<ul>\n<li>b|c</li>\n</ul>\n"},
	{"table row starting with dash", "|a|\n|-|\n-1 | 2", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>-1</td>\n</tr>\n</tbody>\n</table>\n"},
	{"table ends at blank", "|a|\n|-|\n\n|1|", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n</table>\n<p>|1|</p>\n"},
	{"table cell count mismatch", "|a|b|\n|-|", "<p>|a|b|\n|-|</p>\n"},
	{"table after paragraph lines", "p\n|a|\n|-|", "<p>p</p>\n<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n</table>\n"},
	{"table bad delimiter", "|a|\n|x|", "<p>|a|\n|x|</p>\n"},
	{"table in list", "- |a|\n  |-|\n  |1|", "<ul>\n<li>\n<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n</li>\n</ul>\n"},

	// Backslash escapes and entities.
	{"escapes", "\\*a\\* \\_ \\` \\# \\[x\\] \\\\ \\a", "<p>*a* _ ` # [x] \\ \\a</p>\n"},
	{"escape in code stays", "`\\*`", "<p><code>\\*</code></p>\n"},
	{"entities", "&amp; &copy; &#35; &#x22; &#0; &nosuch; &copy", "<p>&amp; © # &quot; \uFFFD &amp;nosuch; &amp;copy</p>\n"},
	{"entity not markup", "&#42;a&#42;", "<p>*a*</p>\n"},
	{"text escaping", "a < b > c & d \"q\"", "<p>a &lt; b &gt; c &amp; d &quot;q&quot;</p>\n"},

	// Code spans.
	{"code span", "`foo`", "<p><code>foo</code></p>\n"},
	{"code span double", "`` foo ` bar ``", "<p><code>foo ` bar</code></p>\n"},
	{"code span strip one space", "` `` `", "<p><code>``</code></p>\n"},
	{"code span only spaces", "`  `", "<p><code>  </code></p>\n"},
	{"code span newline", "`a\nb`", "<p><code>a b</code></p>\n"},
	{"code span unmatched", "```a``", "<p>```a``</p>\n"},
	{"code span beats emphasis", "*a `*` b*", "<p><em>a <code>*</code> b</em></p>\n"},
	{"code span escapes html", "`<b>&`", "<p><code>&lt;b&gt;&amp;</code></p>\n"},

	// Emphasis.
	{"em star", "*a*", "<p><em>a</em></p>\n"},
	{"em underscore", "_a_", "<p><em>a</em></p>\n"},
	{"strong", "**a** __b__", "<p><strong>a</strong> <strong>b</strong></p>\n"},
	{"em strong nested", "***a***", "<p><em><strong>a</strong></em></p>\n"},
	{"em not after space", "a * b *", "<p>a * b *</p>\n"},
	{"underscore intraword", "snake_case_name", "<p>snake_case_name</p>\n"},
	{"star intraword", "foo*bar*", "<p>foo<em>bar</em></p>\n"},
	{"em punctuation", "*(a)*", "<p><em>(a)</em></p>\n"},
	{"multiple of 3", "*foo**bar**baz*", "<p><em>foo<strong>bar</strong>baz</em></p>\n"},
	{"multiple of 3 rule", "*foo**bar*", "<p><em>foo**bar</em></p>\n"},
	{"unbalanced", "**a*", "<p>*<em>a</em></p>\n"},
	{"unbalanced right", "*a**", "<p><em>a</em>*</p>\n"},
	{"strong in em", "*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>\n"},
	{"em across link", "*[a*](/u)", "<p>*<a href=\"/u\">a*</a></p>\n"},
	{"mixed delims", "*a_b*_", "<p><em>a_b</em>_</p>\n"},
	{"strike", "~~a~~ ~b~ ~~~c~~~", "<p><del>a</del> ~b~ ~~~c~~~</p>\n"},
	{"strike with em", "~~*a*~~", "<p><del><em>a</em></del></p>\n"},

	// Links.
	{"link", "[a](/u)", "<p><a href=\"/u\">a</a></p>\n"},
	{"link title", "[a](/u \"t&\")", "<p><a href=\"/u\" title=\"t&amp;\">a</a></p>\n"},
	{"link title parens", "[a](/u (t))", "<p><a href=\"/u\" title=\"t\">a</a></p>\n"},
	{"link empty dest", "[a]()", "<p><a href=\"\">a</a></p>\n"},
	{"link angle dest", "[a](<b c>)", "<p><a href=\"b%20c\">a</a></p>\n"},
	{"link space in dest", "[a](b c)", "<p>[a](b c)</p>\n"},
	{"link balanced parens", "[a](f(x)y)", "<p><a href=\"f(x)y\">a</a></p>\n"},
	{"link unbalanced parens", "[a](f(x)", "<p>[a](f(x)</p>\n"},
	{"link nested brackets", "[a [b] c](/u)", "<p><a href=\"/u\">a [b] c</a></p>\n"},
	{"link in link", "[a [b](/i) c](/o)", "<p>[a <a href=\"/i\">b</a> c](/o)</p>\n"},
	{"image in link", "[![i](/s)](/u)", "<p><a href=\"/u\"><img src=\"/s\" alt=\"i\" /></a></p>\n"},
	{"link emphasis inside", "[*a*](/u)", "<p><a href=\"/u\"><em>a</em></a></p>\n"},
	{"link dest escapes and entities", "[a](/u\\)&amp;x)", "<p><a href=\"/u)&amp;x\">a</a></p>\n"},
	{"link dest percent", "[a](/ü?q=%20 x)", "<p>[a](/ü?q=%20 x)</p>\n"},
	{"link dest encoding", "[a](/ü?q=%2g\"[]`)", "<p><a href=\"/%C3%BC?q=%252g%22%5B%5D%60\">a</a></p>\n"},
	{"link javascript passes escaped", "[a](javascript:alert(\"x\"))", "<p><a href=\"javascript:alert(%22x%22)\">a</a></p>\n"},
	{"link unclosed", "[a](/u", "<p>[a](/u</p>\n"},
	{"bracket alone", "[a] ]b[", "<p>[a] ]b[</p>\n"},
	{"ref full", "[x][Ref]\n\n[ref]: /u", "<p><a href=\"/u\">x</a></p>\n"},
	{"ref collapsed", "[Ref][]\n\n[ref]: /u", "<p><a href=\"/u\">Ref</a></p>\n"},
	{"ref full undefined", "[x][nope]\n\n[x]: /u", "<p>[x][nope]</p>\n"},
	{"ref chain", "[foo][bar][baz]\n\n[baz]: /u1", "<p>[foo]<a href=\"/u1\">bar</a></p>\n"},
	{"ref with emphasis text", "[*a*]\n\n[*a*]: /u", "<p><a href=\"/u\"><em>a</em></a></p>\n"},
	{"ref title escaped", "[a]\n\n[a]: /u \"<&>\"", "<p><a href=\"/u\" title=\"&lt;&amp;&gt;\">a</a></p>\n"},

	// Images.
	{"image", "![alt *x*](/i.png \"t\")", "<p><img src=\"/i.png\" alt=\"alt x\" title=\"t\" /></p>\n"},
	{"image ref", "![a][i]\n\n[i]: /i", "<p><img src=\"/i\" alt=\"a\" /></p>\n"},
	{"image alt escaped", "![a\"<b>](/i)", "<p><img src=\"/i\" alt=\"a&quot;\" /></p>\n"},
	{"bang not image", "!a ![b", "<p>!a ![b</p>\n"},

	// Autolinks.
	{"autolink uri", "<https://a.b/c?d=e&f>", "<p><a href=\"https://a.b/c?d=e&amp;f\">https://a.b/c?d=e&amp;f</a></p>\n"},
	{"autolink mailto", "<mailto:a@b.c>", "<p><a href=\"mailto:a@b.c\">mailto:a@b.c</a></p>\n"},
	{"autolink email", "<a.b@c.d>", "<p><a href=\"mailto:a.b@c.d\">a.b@c.d</a></p>\n"},
	{"autolink with space is not", "<https://a b>", "<p>&lt;https://a b&gt;</p>\n"},
	{"autolink backslash literal", "<https://a\\b>", "<p><a href=\"https://a%5Cb\">https://a\\b</a></p>\n"},
	{"bare www", "see www.example.com/a.", "<p>see <a href=\"http://www.example.com/a\">www.example.com/a</a>.</p>\n"},
	{"bare https", "(https://x.org/a_(b))", "<p>(<a href=\"https://x.org/a_(b)\">https://x.org/a_(b)</a>)</p>\n"},
	{"bare http query", "http://x.org/?q=1&r=2, ok", "<p><a href=\"http://x.org/?q=1&amp;r=2\">http://x.org/?q=1&amp;r=2</a>, ok</p>\n"},
	{"bare entity tail", "www.x.com/a&hl;", "<p><a href=\"http://www.x.com/a\">www.x.com/a</a>&amp;hl;</p>\n"},
	{"bare needs dot", "http://localhost/x", "<p>http://localhost/x</p>\n"},
	{"bare underscore in domain", "www.a_b.com", "<p>www.a_b.com</p>\n"},
	{"bare intraword not", "awww.x.com", "<p>awww.x.com</p>\n"},
	{"bare in emphasis", "*www.x.com*", "<p><em><a href=\"http://www.x.com\">www.x.com</a></em></p>\n"},
	{"bare in link text", "[www.x.com](/u)", "<p><a href=\"/u\">www.x.com</a></p>\n"},

	{"bare url as link text", "[https://x.org/a](https://x.org/a)", "<p><a href=\"https://x.org/a\">https://x.org/a</a></p>\n"},
	{"bare url bracket without link", "a] https://x.org/a]b", "<p>a] <a href=\"https://x.org/a%5Db\">https://x.org/a]b</a></p>\n"},
	{"bare ftp", "at ftp://foo.bar.baz.", "<p>at <a href=\"ftp://foo.bar.baz\">ftp://foo.bar.baz</a>.</p>\n"},
	{"bare email", "mail foo@bar.baz.", "<p>mail <a href=\"mailto:foo@bar.baz\">foo@bar.baz</a>.</p>\n"},
	{"bare email plus", "hello@mail+xyz.example no, hello+xyz@mail.example yes", "<p>hello@mail+xyz.example no, <a href=\"mailto:hello+xyz@mail.example\">hello+xyz@mail.example</a> yes</p>\n"},
	{"bare email underscore not linked", "first_last@x.org", "<p>first_last@x.org</p>\n"}, // GFM links it
	{"bare email bad end", "a.b-c_d@a.b- a.b-c_d@a.b_", "<p>a.b-c_d@a.b- a.b-c_d@a.b_</p>\n"},
	{"bare email no local", "@user.name and x @b.c", "<p>@user.name and x @b.c</p>\n"},
	{"bare email in link text", "[a@b.c](/u)", "<p><a href=\"/u\">a@b.c</a></p>\n"},
	// Raw inline HTML.
	{"inline html", "a <span class=\"x\">b</span> c", "<p>a <span class=\"x\">b</span> c</p>\n"},
	{"inline html comment", "a <!-- *c* --> b", "<p>a <!-- *c* --> b</p>\n"},
	{"inline html attrs", "x <a href='x' data-y=z\ndisabled>", "<p>x <a href='x' data-y=z\ndisabled></p>\n"},
	{"inline html bad attr", "<a href=\"x>", "<p>&lt;a href=&quot;x&gt;</p>\n"},
	{"inline html closing", "x</em>y", "<p>x</em>y</p>\n"},
	{"inline html self closing", "a<br/>b", "<p>a<br/>b</p>\n"},

	// More spec examples: nesting, laziness, precedence.
	{"list survives two blank lines", "- foo\n\n\n  bar", "<ul>\n<li>\n<p>foo</p>\n<p>bar</p>\n</li>\n</ul>\n"},
	{"tab continues item", "  - foo\n\n\tbar", "<ul>\n<li>\n<p>foo</p>\n<p>bar</p>\n</li>\n</ul>\n"},
	{"staircase list", "- a\n - b\n  - c\n   - d\n    - e", "<ul>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n<li>d\n- e</li>\n</ul>\n"},
	{"hr between lists", "- foo\n***\n- bar", "<ul>\n<li>foo</li>\n</ul>\n<hr />\n<ul>\n<li>bar</li>\n</ul>\n"},
	{"empty middle item loose", "* a\n*\n\n* c", "<ul>\n<li>\n<p>a</p>\n</li>\n<li></li>\n<li>\n<p>c</p>\n</li>\n</ul>\n"},
	{"blank lines in fence keep list tight", "- a\n  ```\n  b\n\n\n  ```\n- c", "<ul>\n<li>a\n<pre><code>b\n\n\n</code></pre>\n</li>\n<li>c</li>\n</ul>\n"},
	{"sublist in ordered", "1. foo\n   - bar", "<ol>\n<li>foo\n<ul>\n<li>bar</li>\n</ul>\n</li>\n</ol>\n"},
	{"quote in list lazy", "- > a\nb", "<ul>\n<li>\n<blockquote>\n<p>a\nb</p>\n</blockquote>\n</li>\n</ul>\n"},
	{"list in quote", "> - a\n> - b\n\nc", "<blockquote>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n</blockquote>\n<p>c</p>\n"},
	{"ref def cannot interrupt paragraph", "Foo\n[bar]: /baz\n\n[bar]", "<p>Foo\n[bar]: /baz</p>\n<p>[bar]</p>\n"},
	{"ref def before setext", "[foo]: /url\nbar\n===\n[foo]", "<h1>bar</h1>\n<p><a href=\"/url\">foo</a></p>\n"},
	{"em nested same", "*foo *bar**", "<p><em>foo <em>bar</em></em></p>\n"},
	{"strong nested same", "__foo, __bar__, baz__", "<p><strong>foo, <strong>bar</strong>, baz</strong></p>\n"},
	{"underscore inner", "_foo_bar_baz_", "<p><em>foo_bar_baz</em></p>\n"},
	{"underscore punct", "_(_foo_)_", "<p><em>(<em>foo</em>)</em></p>\n"},
	{"em with quotes", "**foo \"*bar*\" foo**", "<p><strong>foo &quot;<em>bar</em>&quot; foo</strong></p>\n"},
	{"intraword triple", "foo***bar***baz", "<p>foo<em><strong>bar</strong></em>baz</p>\n"},
	{"long runs", "foo******bar*********baz", "<p>foo<strong><strong><strong>bar</strong></strong></strong>***baz</p>\n"},
	{"trailing space not emphasis", "*foo bar *", "<p>*foo bar *</p>\n"},
	{"link angle dest with space", "[link](</my uri>)", "<p><a href=\"/my%20uri\">link</a></p>\n"},
	{"link backslash in dest", "[link](foo\\bar)", "<p><a href=\"foo%5Cbar\">link</a></p>\n"},
	{"link angle dest paren", "[a](<b)c>)", "<p><a href=\"b)c\">a</a></p>\n"},
	{"link entity in dest", "[link](foo%20b&auml;)", "<p><a href=\"foo%20b%C3%A4\">link</a></p>\n"},
	{"link quoted dest", "[link](\"title\")", "<p><a href=\"%22title%22\">link</a></p>\n"},
	{"link fragment", "[link](#frag)", "<p><a href=\"#frag\">link</a></p>\n"},
	{"shortcut after bracket text", "[foo] [bar]\n\n[bar]: /url", "<p>[foo] <a href=\"/url\">bar</a></p>\n"},
	{"image alt nested", "![foo ![bar](/b)](/f)", "<p><img src=\"/f\" alt=\"foo bar\" /></p>\n"},
	{"entity too long", "&#87654321; &#x110000; &MadeUp;", "<p>&amp;#87654321; \uFFFD &amp;MadeUp;</p>\n"},
	{"entity in code stays", "`&amp;`", "<p><code>&amp;amp;</code></p>\n"},
	{"entity in link title", "[a](/u \"&quot;x&quot;\")", "<p><a href=\"/u\" title=\"&quot;x&quot;\">a</a></p>\n"},
	{"escaped bang bracket", "\\![a](/u)", "<p>!<a href=\"/u\">a</a></p>\n"},
	{"heading trailing backslash hash", "### foo \\###", "<h3>foo ###</h3>\n"},
	{"html comment inline unterminated", "a <!-- b", "<p>a &lt;!-- b</p>\n"},
	{"autolink beats link", "[a<https://x.y/](z)>", "<p>[a<a href=\"https://x.y/%5D(z)\">https://x.y/](z)</a></p>\n"},
	{"code beats link", "[a`](/u)`", "<p>[a<code>](/u)</code></p>\n"},
	{"html attribute beats emphasis", "*<img src=\"a*\">", "<p>*<img src=\"a*\"></p>\n"},

	// Escaping: text and attributes are escaped, URLs percent-encoded,
	// schemes left to the sanitiser.
	{"esc angle dest quote", "[a](<a b\"c>)", "<p><a href=\"a%20b%22c\">a</a></p>\n"},
	{"esc image src and alt", "![x\"y](a\"b)", "<p><img src=\"a%22b\" alt=\"x&quot;y\" /></p>\n"},
	{"esc javascript kept", "[a](javascript:alert(1))", "<p><a href=\"javascript:alert(1)\">a</a></p>\n"},
	{"esc title quote", "[a](/u 'ti\"t<le>')", "<p><a href=\"/u\" title=\"ti&quot;t&lt;le&gt;\">a</a></p>\n"},
	{"esc autolink quote", "<https://a.b/\"x>", "<p><a href=\"https://a.b/%22x\">https://a.b/&quot;x</a></p>\n"},
	{"esc bare url quote", "www.a.com/\"x", "<p><a href=\"http://www.a.com/%22x\">www.a.com/&quot;x</a></p>\n"},
	{"esc table cell", "|a&b|\n|-|\n|<x|", "<table>\n<thead>\n<tr>\n<th>a&amp;b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>&lt;x</td>\n</tr>\n</tbody>\n</table>\n"},
	{"esc heading", "# a & \"b\"", "<h1>a &amp; &quot;b&quot;</h1>\n"},
	{"esc raw html passes", "x <script>alert(1)</script>", "<p>x <script>alert(1)</script></p>\n"},
	{"esc url non-ascii and space entity", "[a](/é&#32;x)", "<p><a href=\"/%C3%A9%20x\">a</a></p>\n"},

	// Math placeholders pass through.
	{"math placeholder", "see qxMATHxq12x and qxMATHxq3x.", "<p>see qxMATHxq12x and qxMATHxq3x.</p>\n"},
	{"math placeholder in emphasis", "*qxMATHxq0x*", "<p><em>qxMATHxq0x</em></p>\n"},

	// Tabs.
	{"tab in quote code", ">\t\tfoo", "<blockquote>\n<pre><code>  foo\n</code></pre>\n</blockquote>\n"},
	{"tab list code", "- foo\n\n\t\tbar", "<ul>\n<li>\n<p>foo</p>\n<pre><code>  bar\n</code></pre>\n</li>\n</ul>\n"},
	{"tab hr", "*\t*\t*\t", "<hr />\n"},
}

func TestToHTML(t *testing.T) {
	for _, tc := range cases {
		if got := markdown.ToHTML(tc.in); got != tc.want {
			t.Errorf("%s: ToHTML(%q)\n got %q\nwant %q", tc.name, tc.in, got, tc.want)
		}
	}
}
