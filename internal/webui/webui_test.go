package webui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

const viteIndex = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Quire</title>
    <script type="module" crossorigin src="./assets/index-abc.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-def.css">
  </head>
  <body><div id="app"></div></body>
</html>`

func built() fstest.MapFS {
	return fstest.MapFS{
		"app/index.html":           {Data: []byte(viteIndex)},
		"app/sandbox.html":         {Data: []byte(`<!doctype html><script src="sandbox.js"></script>`)},
		"app/sandbox.js":           {Data: []byte(`// frame`)},
		"app/favicon.ico":          {Data: []byte("\x00\x00\x01\x00icon")},
		"app/assets/index-abc.js":  {Data: bytes.Repeat([]byte("console.log('quire');\n"), 200)},
		"app/assets/index-def.css": {Data: []byte("body{}")},
		"README":                   {Data: []byte("x")},
	}
}

func newUI(t *testing.T, base string, fs fstest.MapFS) *UI {
	t.Helper()
	u, err := New(base, fs)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPage(t *testing.T) {
	for _, base := range []string{"/", "/lab/x/"} {
		u := newUI(t, base, built())
		if !u.Built() {
			t.Fatal("not built")
		}
		w := httptest.NewRecorder()
		u.ServePage(w, httptest.NewRequest("GET", base+"tree/a/b", nil))
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		for _, want := range []string{
			`src="` + base + `static/app/assets/index-abc.js"`,
			`href="` + base + `static/app/assets/index-def.css"`,
			`<meta name="quire-base" content="` + base + `" />`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("base %s: page lacks %s:\n%s", base, want, body)
			}
		}
		if strings.Contains(body, `"./`) {
			t.Errorf("relative asset URL left in the page")
		}
		csp := w.Header().Get("Content-Security-Policy")
		script := directive(csp, "script-src")
		if script != "'self'" {
			t.Errorf("script-src = %q", script)
		}
		for _, d := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("CSP lacks %s: %s", d, csp)
			}
		}
		if w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
		}
	}
}

func directive(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if v, ok := strings.CutPrefix(d, name+" "); ok {
			return v
		}
	}
	return ""
}

func TestPageMethods(t *testing.T) {
	u := newUI(t, "/", built())
	w := httptest.NewRecorder()
	u.ServePage(w, httptest.NewRequest("HEAD", "/tree", nil))
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
	w = httptest.NewRecorder()
	u.ServePage(w, httptest.NewRequest("POST", "/tree", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

func TestNotBuilt(t *testing.T) {
	u := newUI(t, "/q/", fstest.MapFS{"README": {Data: []byte("x")}})
	if u.Built() {
		t.Fatal("built")
	}
	w := httptest.NewRecorder()
	u.ServePage(w, httptest.NewRequest("GET", "/q/", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "make build") || !strings.Contains(w.Body.String(), "/q/api/") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	u.ServeStatic(w, httptest.NewRequest("GET", "/q/static/app/sandbox.js", nil))
	if w.Code != 404 {
		t.Errorf("static without a build: %d", w.Code)
	}
}

func TestStatic(t *testing.T) {
	u := newUI(t, "/b/", built())
	cases := []struct {
		path, accept string
		status       int
		ctype, cache string
		csp          string // substring
		gzip         bool
	}{
		{"/b/static/app/assets/index-abc.js", "", 200, "text/javascript", "immutable", "", false},
		{"/b/static/app/assets/index-abc.js", "gzip, deflate", 200, "text/javascript", "immutable", "", true},
		{"/b/static/app/assets/index-abc.js", "gzip;q=0", 200, "text/javascript", "immutable", "", false},
		{"/b/static/app/assets/index-abc.js", "br, gzip;q=0.5", 200, "text/javascript", "immutable", "", true},
		{"/b/static/app/assets/index-def.css", "gzip", 200, "text/css", "immutable", "", false}, // too small to bother
		{"/b/static/app/sandbox.html", "", 200, "text/html", "no-cache", "sandbox allow-scripts", false},
		{"/b/static/app/sandbox.js", "", 200, "text/javascript", "no-cache", "", false},
		{"/b/static/app/index.html", "", 404, "", "", "", false},
		{"/b/static/app/", "", 404, "", "", "", false},
		{"/b/static/app/missing.js", "", 404, "", "", "", false},
		{"/b/static/app/../app/sandbox.js", "", 404, "", "", "", false},
		{"/b/static/app//sandbox.js", "", 404, "", "", "", false},
		{"/b/static/app/assets", "", 404, "", "", "", false},
		{"/other/static/app/sandbox.js", "", 404, "", "", "", false},
		{"/b/favicon.ico", "", 200, "image/x-icon", "no-cache", "", false},
		{"/b/static/app/favicon.ico", "", 200, "image/x-icon", "no-cache", "", false},
		{"/favicon.ico", "", 404, "", "", "", false},
		{"/b/favicon.svg", "", 404, "", "", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = c.path
		if c.accept != "" {
			r.Header.Set("Accept-Encoding", c.accept)
		}
		w := httptest.NewRecorder()
		u.ServeStatic(w, r)
		if w.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.path, w.Code, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		h := w.Header()
		if !strings.HasPrefix(h.Get("Content-Type"), c.ctype) {
			t.Errorf("%s: Content-Type %q", c.path, h.Get("Content-Type"))
		}
		if !strings.Contains(h.Get("Cache-Control"), c.cache) {
			t.Errorf("%s: Cache-Control %q", c.path, h.Get("Cache-Control"))
		}
		if c.csp != "" && !strings.Contains(h.Get("Content-Security-Policy"), c.csp) {
			t.Errorf("%s: CSP %q", c.path, h.Get("Content-Security-Policy"))
		}
		gz := h.Get("Content-Encoding") == "gzip"
		if gz != c.gzip {
			t.Errorf("%s (Accept-Encoding %q): gzip %v", c.path, c.accept, gz)
		}
		body := w.Body.Bytes()
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		name := strings.TrimPrefix(c.path, "/b/static/app/")
		if c.path == "/b/favicon.ico" {
			name = "favicon.ico"
		}
		want := built()["app/"+name].Data
		if !bytes.Equal(body, want) {
			t.Errorf("%s: body differs", c.path)
		}
	}
}

// withPreloads is a build with preload.json listing each view's chunks.
func withPreloads() fstest.MapFS {
	fs := built()
	for _, f := range []string{"assets/nb-1.js", "assets/view-2.js", "assets/nb-3.css", "assets/files-4.js", "assets/ed-5.js"} {
		fs["app/"+f] = &fstest.MapFile{Data: []byte("x")}
	}
	fs["app/preload.json"] = &fstest.MapFile{Data: []byte(`{
		"notebooks": {"js": ["assets/nb-1.js", "assets/view-2.js"], "css": ["assets/nb-3.css"]},
		"tree": {"js": ["assets/files-4.js"], "css": []},
		"edit": {"js": ["assets/ed-5.js"], "css": []}
	}`)}
	return fs
}

func TestPagePreloads(t *testing.T) {
	for _, base := range []string{"/", "/user/zo%C3%AB/"} {
		u := newUI(t, base, withPreloads())
		st := base + "static/app/"
		mod := func(f string) string { return `<link rel="modulepreload" crossorigin href="` + st + f + `">` }
		contents := func(p string) string {
			return `<link rel="preload" as="fetch" crossorigin href="` + base + `api/contents/` + p + `?hash=1&amp;type=notebook">`
		}
		for _, tc := range []struct {
			path      string
			want, not []string
		}{
			{"", []string{mod("assets/files-4.js")}, []string{"nb-1", "as=\"fetch\""}},
			{"tree/a/b", []string{mod("assets/files-4.js")}, []string{"nb-1", "as=\"fetch\""}},
			{"somewhere/else", []string{mod("assets/files-4.js")}, []string{"nb-1"}},
			{"notebooks/a.ipynb", []string{
				mod("assets/nb-1.js"), mod("assets/view-2.js"),
				`<link rel="preload" as="style" crossorigin href="` + st + `assets/nb-3.css">`,
				contents("a.ipynb"),
			}, []string{"files-4"}},
			// Each segment as encodeURIComponent writes it (what ui/src/api.ts asks for).
			{"notebooks/dir%20x//sub/%C3%A9t%C3%A9%27%22%3C%26+(1).ipynb", []string{
				contents("dir%20x/sub/%C3%A9t%C3%A9&#39;%22%3C%26%2B(1).ipynb"),
			}, []string{`"<`}},
			{"notebooks/a%2Fb.ipynb", []string{contents("a/b.ipynb")}, nil},
			// Not UTF-8 once decoded: route.ts keeps the segment as it is.
			// (A malformed escape never gets here: net/http refuses the request.)
			{"notebooks/x%FF.ipynb", []string{contents("x%25FF.ipynb")}, nil},
			// A notebooks address without a path, an editor, a terminal.
			{"notebooks/", []string{mod("assets/nb-1.js")}, []string{`as="fetch"`}},
			{"edit/a.py", []string{mod("assets/ed-5.js")}, []string{"nb-1", `as="fetch"`}},
			{"terminals/1", nil, []string{"modulepreload", `as="fetch"`}},
		} {
			w := httptest.NewRecorder()
			u.ServePage(w, httptest.NewRequest("GET", base+tc.path, nil))
			body := w.Body.String()
			if w.Code != 200 || w.Header().Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("%s: %d, Content-Length %s for %d bytes", tc.path, w.Code, w.Header().Get("Content-Length"), len(body))
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("%s%s: page lacks %s:\n%s", base, tc.path, s, body)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(body, s) {
					t.Errorf("%s%s: page has %s:\n%s", base, tc.path, s, body)
				}
			}
			// The preloads sit in the head, after the entry script.
			head, _, _ := strings.Cut(body, "</head>")
			if strings.Count(head, "<link rel=\"modulepreload\"")+strings.Count(head, "rel=\"preload\"") != strings.Count(body, "preload\"") {
				t.Errorf("%s: a preload outside <head>", tc.path)
			}
		}
	}
}

func TestPreloadsRefused(t *testing.T) {
	for name, js := range map[string]string{
		"outside assets": `{"tree": {"js": ["index.html"], "css": []}}`,
		"climbing":       `{"tree": {"js": ["assets/../index.html"], "css": []}}`,
		"missing":        `{"tree": {"js": ["assets/gone.js"], "css": []}}`,
		"not JSON":       `{"tree": `,
	} {
		fs := built()
		fs["app/preload.json"] = &fstest.MapFile{Data: []byte(js)}
		if _, err := New("/", fs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The list itself is not served.
	u := newUI(t, "/", withPreloads())
	w := httptest.NewRecorder()
	u.ServeStatic(w, httptest.NewRequest("GET", "/static/app/preload.json", nil))
	if w.Code != 404 {
		t.Errorf("preload.json served: %d", w.Code)
	}
}

func TestEncodeURIComponent(t *testing.T) {
	// Expected values from JavaScript's encodeURIComponent.
	for in, want := range map[string]string{
		"abc-_.!~*'()XYZ019": "abc-_.!~*'()XYZ019",
		" ":                  "%20",
		"a+b&c=d;e,f/g?h#i":  "a%2Bb%26c%3Dd%3Be%2Cf%2Fg%3Fh%23i",
		"$@:[]\"<>%`{}|\\^":  "%24%40%3A%5B%5D%22%3C%3E%25%60%7B%7D%7C%5C%5E",
		"été 日本":             "%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC",
		"😀":                  "%F0%9F%98%80",
	} {
		if got := encodeURIComponent(in); got != want {
			t.Errorf("encodeURIComponent(%q) = %q, want %q", in, got, want)
		}
	}
}
