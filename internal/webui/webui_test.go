package webui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
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
