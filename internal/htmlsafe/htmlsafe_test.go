package htmlsafe

import (
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"text escaped", `a < b & "c"`, `a &lt; b &amp; &#34;c&#34;`},
		{"entities decoded then escaped", `&lt;script&gt; &amp;amp;`, `&lt;script&gt; &amp;amp;`},
		{"kept markup", `<b>bold</b> <em>x</em>`, `<b>bold</b> <em>x</em>`},
		{"script and its text go", `a<script>alert(1)</script>b`, `ab`},
		{"self-closing script still raw", `a<script/>alert(1)</script>b`, `ab`},
		{"unclosed script eats the rest", `a<script>alert(1)`, `a`},
		{"style goes", `<style>body{background:url(x)}</style>t`, `t`},
		{"event handlers go", `<img src=x onerror=alert(1)><div onclick="a()">d</div>`, `<img src="x"><div>d</div>`},
		{"javascript link goes", `<a href="javascript:alert(1)">x</a>`, `<a rel="nofollow noopener noreferrer">x</a>`},
		{"entity-hidden javascript", `<a href="jav&#x09;ascript&colon;alert(1)">x</a>`, `<a rel="nofollow noopener noreferrer">x</a>`},
		{"tab and newline in the scheme", "<a href=\"java\tscr\nipt:alert(1)\">x</a>", `<a rel="nofollow noopener noreferrer">x</a>`},
		{"leading control chars", "<a href=\"\x01 javascript:alert(1)\">x</a>", `<a rel="nofollow noopener noreferrer">x</a>`},
		{"upper-case scheme", `<a href="JaVaScRiPt:alert(1)">x</a>`, `<a rel="nofollow noopener noreferrer">x</a>`},
		{"vbscript and data links", `<a href="vbscript:x">1</a><a href="data:text/html,<script>">2</a>`, `<a rel="nofollow noopener noreferrer">1</a><a rel="nofollow noopener noreferrer">2</a>`},
		{"http link kept", `<a href="https://example.com/?a=1&amp;b=2">x</a>`, `<a href="https://example.com/?a=1&amp;b=2" rel="nofollow noopener noreferrer">x</a>`},
		{"relative and fragment links", `<a href="#sec">1</a><a href="a/b:c">2</a>`, `<a href="#sec" rel="nofollow noopener noreferrer">1</a><a href="a/b:c" rel="nofollow noopener noreferrer">2</a>`},
		{"data png image kept", `<img src="data:image/png;base64,AAAA" alt="p">`, `<img src="data:image/png;base64,AAAA" alt="p">`},
		{"data svg image goes", `<img src="data:image/svg+xml;base64,AAAA">`, `<img>`},
		{"svg and its script go", `<svg><script>alert(1)</script><a xlink:href="javascript:x">y</a></svg>t`, `t`},
		{"math goes", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>t`, `t`},
		{"nested svg counted", `<svg><svg></svg>in</svg>out`, `out`},
		{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>t`, `t`},
		{"form controls lose their tags", `<form action="http://evil"><input name=a><button formaction=x>go</button></form>`, `go`},
		{"meta refresh and base go", `<meta http-equiv="refresh" content="0;url=http://evil"><base href="http://evil/">t`, `t`},
		{"comments go", `a<!-- <script>alert(1)</script> -->b<!--->c`, `abc`},
		{"conditional comment", `<!--[if IE]><script>alert(1)</script><![endif]-->t`, `t`},
		{"cdata outside foreign content is a bogus comment", `<![CDATA[<script>alert(1)</script>]]>t`, `alert(1)]]&gt;t`},
		{"plain ids stay, name goes", `<h2 id="sec-1.2" name="x" class="c">p</h2>`, `<h2 id="sec-1.2" class="c">p</h2>`},
		{"odd ids go", `<p id="a b">1</p><p id="1x">2</p><p id="">3</p><p id="x&quot;y">4</p>`, `<p>1</p><p>2</p><p>3</p><p>4</p>`},
		{"style attribute goes", `<span style="background:url(javascript:x)">s</span>`, `<span>s</span>`},
		{"bad dir goes", `<p dir="x">a</p><p dir="RTL">b</p>`, `<p>a</p><p dir="rtl">b</p>`},
		{"unclosed elements closed", `<div><b>x`, `<div><b>x</b></div>`},
		{"stray end tags dropped", `</div>x</b>`, `x`},
		{"misnested closed in order", `<b><i>x</b>y</i>`, `<b><i>x</i></b>y`},
		{"attribute quote breakout", `<img alt='"><script>alert(1)</script>'>`, `<img alt="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`},
		{"pandas table", `<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th><th>a</th></tr></thead><tbody><tr><th>0</th><td>1</td></tr></tbody></table>`,
			`<table border="1" class="dataframe"><thead><tr><th></th><th>a</th></tr></thead><tbody><tr><th>0</th><td>1</td></tr></tbody></table>`},
		{"textarea content goes", `<textarea></textarea><script>alert(1)</script></textarea>t`, `t`},
		{"noscript ends at its first end tag", `<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>t`, `<img src="x">&#34;&gt;t`},
		{"plaintext eats the rest", `a<plaintext><b>x</b>`, `a`},
		{"xmp", `<xmp><script>alert(1)</script></xmp>t`, `t`},
		{"template", `<template><img src=x onerror=alert(1)></template>t`, `t`},
		{"unknown element keeps text", `<blink>hi</blink><custom-el x=1>c</custom-el>`, `hic`},
		{"null bytes", "a\x00<b\x00>c", "a\ufffdc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			checkSafe(t, got)
		})
	}
}

func TestScheme(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://x", "http"}, {"HTTPS://x", "https"}, {"mailto:a@b", "mailto"},
		{"a/b:c", ""}, {"?x=y:z", ""}, {"#a:b", ""}, {"", ""}, {":x", ":"},
		{" \x00\x1fjavascript:x", "javascript"}, {"jav\tascript:x", "javascript"}, {"1abc:x", ""},
		{"web+app:x", "web+app"},
	}
	for _, tt := range tests {
		if got := scheme(tt.in); got != tt.want {
			t.Errorf("scheme(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// checkSafe parses out as a browser would (x/net/html's tree builder,
// with its foreign content and foster parenting) and fails on any element,
// attribute or URL the sanitiser must never let through.
func checkSafe(t *testing.T, out string) {
	t.Helper()
	doc, err := xhtml.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.CommentNode:
			t.Fatalf("comment in the output: %q", out)
		case xhtml.ElementNode:
			name := n.Data
			structural := name == "html" || name == "head" || name == "body"
			extra, ok := allowedAttrs(name)
			if n.Namespace != "" || (!ok && !structural) {
				t.Fatalf("element %s:%s in the output: %q", n.Namespace, name, out)
			}
			for _, a := range n.Attr {
				if a.Namespace != "" || !(global(a.Key) || contains(extra, a.Key) || (name == "a" && a.Key == "rel")) {
					t.Fatalf("attribute %s on %s in the output: %q", a.Key, name, out)
				}
				if a.Key == "href" && !safeLink(a.Val) || a.Key == "src" && !safeImage(a.Val) || a.Key == "id" && !safeID(a.Val) {
					t.Fatalf("unsafe URL %q in the output: %q", a.Val, out)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzClean: whatever goes in, a browser parsing the output finds only
// kept elements and attributes and safe URLs, and cleaning again changes
// nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		`<b>x</b><script>alert(1)</script>`, `<svg><a xlink:href="javascript:x">y</a></svg>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a>`, `<table><tr><td><img src=x onerror=y></td></tr></table>`,
		`<!--><script>x</script>-->`, `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, `<select><template><style><img src=x>`,
		`<p>a<table><b>x</table>`, `<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Clean(in)
		checkSafe(t, out)
		if again := Clean(out); again != out {
			t.Fatalf("not stable:\n in %q\nout %q\nagain %q", in, out, again)
		}
	})
}
