// Package webui serves the embedded web UI: the app page for every UI
// address under the base URL, its static assets, and the sandbox page that
// trusted notebook output runs in. It sets the UI's Content-Security-Policy.
package webui

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"quire/internal/baseurl"
	"quire/internal/percent"
	"quire/internal/reply"
)

// Content-Security-Policy of the app's pages: only Quire's own scripts,
// no inline script or eval; data: images for notebook outputs; frames only
// from Quire (the sandbox page). Inline style is allowed because the
// editor and KaTeX position elements with style attributes.
const cspApp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; " +
	"worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// cspSandbox is the output frame's own policy. The frame is always
// sandboxed without allow-same-origin (the iframe attribute, and the
// sandbox directive here for a top-level visit), so its origin is opaque:
// the scripts it runs (plots from CDNs, inline scripts of trusted output)
// cannot read Quire's cookies or call its API.
const cspSandbox = "default-src * data: blob: 'unsafe-inline' 'unsafe-eval'; " +
	"sandbox allow-scripts; frame-ancestors 'self'"

// notBuilt is served when the binary was built without the UI.
const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Quire</title></head>
<body><h1>Quire</h1><p>This binary was built without its web interface (run <code>make build</code>).
The REST API lives under <code>%s</code>.</p></body></html>`

// UI serves the files of one Vite build.
type UI struct {
	base  baseurl.Path
	files fs.FS // the build output (index.html, sandbox.html, assets/…)
	index []byte
	// pages holds each view's page ("notebooks", "edit", "terminals",
	// "tree"): the index with the view's chunks listed for preloading,
	// cut where the notebook page adds its contents' address.
	pages  map[string]page
	built  bool
	gzMu   sync.Mutex
	gzip   map[string][]byte
	static string // {base}static/app/, escaped: the page's asset URLs
}

// New returns the UI for dist, the Vite output directory (it holds
// app/index.html when built), served under base ("/", "/x/", or an
// escaped "/user/zo%C3%AB@ex.org/", which the page is given as it is).
func New(base string, dist fs.FS) (*UI, error) {
	b, err := baseurl.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("webui: base URL %w", err)
	}
	base = b.String()
	u := &UI{base: b, gzip: map[string][]byte{}, static: base + "static/app/"}
	app, err := fs.Sub(dist, "app")
	if err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	u.files = app
	idx, err := fs.ReadFile(app, "index.html")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		u.index = []byte(fmt.Sprintf(notBuilt, html.EscapeString(base)+"api/"))
		return u, nil
	case err != nil:
		return nil, fmt.Errorf("webui: read index.html: %w", err)
	}
	u.index = rewriteIndex(idx, base, u.static)
	u.built = true
	pre, err := readPreloads(app)
	if err != nil {
		return nil, err
	}
	u.pages = make(map[string]page, len(pre))
	for view, p := range pre {
		u.pages[view] = makePage(u.index, u.static, p)
	}
	return u, nil
}

// preloads is one view's entry of the build's preload.json (written by
// ui/vite.config.ts): the chunks main.ts imports for that view, and their
// style sheets, beyond what the page's entry script loads itself.
type preloads struct {
	JS  []string `json:"js"`
	CSS []string `json:"css"`
}

// readPreloads reads preload.json; a build without it preloads nothing.
func readPreloads(app fs.FS) (map[string]preloads, error) {
	b, err := fs.ReadFile(app, "preload.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webui: read preload.json: %w", err)
	}
	var m map[string]preloads
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("webui: preload.json: %w", err)
	}
	for view, p := range m {
		for _, f := range append(append([]string{}, p.JS...), p.CSS...) {
			if !strings.HasPrefix(f, "assets/") || !fs.ValidPath(f) {
				return nil, fmt.Errorf("webui: preload.json: view %q lists %q, not a file under assets/", view, f)
			}
			if _, err := fs.Stat(app, f); err != nil {
				return nil, fmt.Errorf("webui: preload.json: view %q: %w", view, err)
			}
		}
	}
	return m, nil
}

// page is a view's page in two halves: the notebook page puts a preload
// of the notebook's contents between them.
type page struct{ full, head, tail []byte }

// makePage lists p's chunks at the end of the index's <head>, so the
// browser fetches and compiles them while the entry script still runs
// (modulepreload; style sheets as preloads, which the entry's own
// <link rel=stylesheet> then finds).
func makePage(index []byte, static string, p preloads) page {
	var links bytes.Buffer
	esc := html.EscapeString(static)
	for _, f := range p.JS {
		fmt.Fprintf(&links, "    <link rel=\"modulepreload\" crossorigin href=\"%s%s\">\n", esc, html.EscapeString(f))
	}
	for _, f := range p.CSS {
		fmt.Fprintf(&links, "    <link rel=\"preload\" as=\"style\" crossorigin href=\"%s%s\">\n", esc, html.EscapeString(f))
	}
	i := bytes.Index(index, []byte("</head>"))
	if i < 0 {
		return page{full: index}
	}
	for i > 0 && (index[i-1] == ' ' || index[i-1] == '\t') {
		i--
	}
	head := append(append([]byte{}, index[:i]...), links.Bytes()...)
	tail := index[i:]
	return page{full: append(head[:len(head):len(head)], tail...), head: head, tail: tail}
}

// viewOf is the view the app shows at rel (the address under the base),
// as ui/src/route.ts picks it, and for a notebook its contents path as
// route.ts decodes it ("" otherwise).
func viewOf(escapedRel string) (view, path string) {
	head, rest, _ := strings.Cut(strings.TrimLeft(escapedRel, "/"), "/")
	switch head {
	case "notebooks", "edit", "terminals":
	default:
		return "tree", ""
	}
	if head != "notebooks" {
		return head, ""
	}
	var segs []string
	for _, s := range strings.Split(rest, "/") {
		if s == "" {
			continue
		}
		// decodeURIComponent keeps a segment that is not valid UTF-8 as it is.
		if d, err := url.PathUnescape(s); err == nil && utf8.ValidString(d) {
			s = d
		}
		segs = append(segs, s)
	}
	return head, strings.Join(segs, "/")
}

// contentsHint is the address the notebook page's first request reads
// (ui/src/api.ts contents.get with hash and type "notebook"), spelled as
// the page spells it: every segment as JavaScript's encodeURIComponent
// writes it. The page uses the preloaded answer only when the two match.
func contentsHint(base, p string) string {
	var b strings.Builder
	b.WriteString(base)
	b.WriteString("api/contents/")
	first := true
	for _, s := range strings.Split(p, "/") {
		if s == "" {
			continue
		}
		if !first {
			b.WriteByte('/')
		}
		first = false
		b.WriteString(encodeURIComponent(s))
	}
	b.WriteString("?hash=1&type=notebook")
	return b.String()
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent does:
// UTF-8 bytes as %XX except A–Z a–z 0–9 - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	return percent.Encode(s, "-_.!~*'()")
}

// Built reports whether the binary carries the UI.
func (u *UI) Built() bool { return u.built }

// rewriteIndex points the page's relative asset URLs ("./assets/…") at
// the static prefix, so the page works at any depth (/tree/a/b/), and tells
// the app its base URL.
func rewriteIndex(idx []byte, base, static string) []byte {
	esc := html.EscapeString(static)
	out := bytes.ReplaceAll(idx, []byte(`="./`), []byte(`="`+esc))
	meta := []byte(`<meta name="quire-base" content="` + html.EscapeString(base) + `" />`)
	if i := bytes.Index(out, []byte("<head>")); i >= 0 {
		i += len("<head>")
		out = append(out[:i:i], append(append([]byte("\n    "), meta...), out[i:]...)...)
	}
	return out
}

// ServePage answers every UI address ({base}, tree/…, notebooks/…,
// edit/…) with the app page; the app reads the view from the address.
func (u *UI) ServePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		reply.NotAllowed(w, "GET, HEAD")
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", cspApp)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	body := u.page(r)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// page is the app page for r's address: the index with the view's chunks
// to preload and, for a notebook, its contents.
func (u *UI) page(r *http.Request) []byte {
	if len(u.pages) == 0 {
		return u.index
	}
	rest, _ := u.base.Cut(r.URL.EscapedPath())
	view, nb := viewOf(rest)
	p, ok := u.pages[view]
	if !ok {
		return u.index
	}
	if nb == "" || p.head == nil {
		return p.full
	}
	// The page's first request, started by the browser as it reads the
	// page instead of once the scripts run: same address, same cookies.
	link := "    <link rel=\"preload\" as=\"fetch\" crossorigin href=\"" + html.EscapeString(contentsHint(u.base.String(), nb)) + "\">\n"
	out := make([]byte, 0, len(p.head)+len(link)+len(p.tail))
	return append(append(append(out, p.head...), link...), p.tail...)
}

// ServeStatic answers GET/HEAD {base}static/app/<file>, and {base}favicon.ico
// with the build's favicon.ico. These routes are public (the files hold no
// secrets, and the sandbox frame fetches them without credentials). Hashed
// assets are cached for a year; the rest must be revalidated.
func (u *UI) ServeStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		reply.NotAllowed(w, "GET, HEAD")
		return
	}
	rel, _ := u.base.Rel(r)
	name, ok := strings.CutPrefix(rel, "static/app/")
	if rel == "favicon.ico" {
		name, ok = "favicon.ico", true
	}
	if !ok || name == "" || name == "index.html" || name == "preload.json" || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f, err := u.files.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".ico" {
		ctype = "image/x-icon" // not in Go's table; the system's may say otherwise
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	switch {
	case name == "sandbox.html":
		h.Set("Content-Security-Policy", cspSandbox)
		h.Set("Cache-Control", "no-cache")
	case strings.HasPrefix(name, "assets/"):
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		h.Set("Cache-Control", "no-cache")
	}
	h.Add("Vary", "Accept-Encoding")
	if compressible(ctype) && st.Size() > 1024 && acceptsGzip(r) {
		if gz := u.gzipped(name); gz != nil {
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", strconv.Itoa(len(gz)))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				w.Write(gz)
			}
			return
		}
	}
	// The embedded file is streamed as it is, not copied per request.
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(w, f)
	}
}

// gzipped returns name's content compressed (nil if that does not make
// it smaller), computing it once.
func (u *UI) gzipped(name string) []byte {
	u.gzMu.Lock()
	defer u.gzMu.Unlock()
	if gz, ok := u.gzip[name]; ok {
		return gz
	}
	body, err := fs.ReadFile(u.files, name)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil
	}
	zw.Write(body)
	if zw.Close() != nil {
		return nil
	}
	gz := buf.Bytes()
	if len(gz) >= len(body) {
		gz = nil
	}
	u.gzip[name] = gz
	return gz
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/javascript") ||
		strings.HasPrefix(ctype, "application/json") || strings.HasPrefix(ctype, "image/svg+xml")
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(params), "=")
		if !ok || strings.TrimSpace(k) != "q" {
			return true
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && q > 0
	}
	return false
}
