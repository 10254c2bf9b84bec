//go:build integration

package integration

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// filesCSPWant is the CSP /files/ sends; exports of untrusted content must
// send the same.
const filesCSPWant = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"

const exportPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// exportNotebook is a python notebook with markdown, a code cell, an HTML
// output carrying script and an application/javascript output; withImage
// adds a PNG output.
func exportNotebook(withImage bool) string {
	outputs := `{"output_type":"stream","name":"stdout","text":"hello out\n"},
{"output_type":"display_data","metadata":{},"data":{"text/html":"<b id=\"shown\">HTML OUTPUT</b><script>document.title='PWNED-HTML'</script><img src=x onerror=\"document.title='PWNED-ERR'\">","text/plain":"html"}},
{"output_type":"display_data","metadata":{},"data":{"application/javascript":"document.title='PWNED-JS'","text/plain":"JS FALLBACK"}}`
	if withImage {
		outputs += `,{"output_type":"display_data","metadata":{},"data":{"image/png":"` + exportPNG + `","text/plain":"fig"}}`
	}
	return `{"nbformat":4,"nbformat_minor":5,
"metadata":{"kernelspec":{"name":"python3","language":"python","display_name":"Python 3"},"language_info":{"name":"python","file_extension":".py","mimetype":"text/x-python"}},
"cells":[
{"cell_type":"markdown","id":"m1","metadata":{},"source":"# Export Title\nSome *markdown* <script>document.title='PWNED-MD'</script>"},
{"cell_type":"code","id":"c1","metadata":{},"execution_count":1,"source":"print('hello')","outputs":[` + outputs + `]}
]}`
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExportFormats(t *testing.T) { forEachStore(t, testExportFormats) }

func testExportFormats(t *testing.T, o opts) {
	in := startQuire(t, o)
	nbText := exportNotebook(false)
	writeFile(t, filepath.Join(in.Root, "dir", "my nb.ipynb"), nbText)
	writeFile(t, filepath.Join(in.Root, "pic.ipynb"), exportNotebook(true))

	tests := []struct {
		name, path  string
		status      int
		ctype       string
		disposition string // "" = none
		want        []string
		notWant     []string
	}{
		{"script", "nbconvert/script/dir/my%20nb.ipynb?download=true", 200, "text/x-python; charset=utf-8",
			"attachment; filename*=UTF-8''my%20nb.py", []string{"# # Export Title\n", "print('hello')\n"}, []string{"hello out"}},
		{"script inline", "nbconvert/script/dir/my%20nb.ipynb", 200, "text/x-python; charset=utf-8", "", []string{"print('hello')"}, nil},
		{"markdown", "nbconvert/markdown/dir/my%20nb.ipynb?download=true", 200, "text/markdown; charset=utf-8",
			"attachment; filename*=UTF-8''my%20nb.md", []string{"# Export Title", "```python\nprint('hello')\n```", "hello out", "HTML OUTPUT"}, []string{"PWNED-HTML", "onerror"}},
		{"html", "nbconvert/html/dir/my%20nb.ipynb?download=true", 200, "text/html; charset=utf-8",
			"attachment; filename*=UTF-8''my%20nb.html",
			[]string{"<h1>Export Title</h1>", "print(&#39;hello&#39;)", "hello out", `<b id="shown">HTML OUTPUT</b>`, "JS FALLBACK", "Content-Security-Policy"},
			[]string{"<script", "PWNED", "onerror"}},
		{"html inline", "nbconvert/html/dir/my%20nb.ipynb?download=false", 200, "text/html; charset=utf-8", "", []string{"HTML OUTPUT"}, nil},
		{"notebook", "nbconvert/notebook/dir/my%20nb.ipynb?download=true", 200, "application/json; charset=utf-8",
			"attachment; filename*=UTF-8''my%20nb.ipynb", []string{nbText}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := in.do(in.req("GET", tt.path, nil))
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if got := h.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := h.Get("Content-Disposition"); got != tt.disposition {
				t.Errorf("Content-Disposition %q, want %q", got, tt.disposition)
			}
			if got := h.Get("Content-Security-Policy"); got != filesCSPWant {
				t.Errorf("CSP %q, want the /files/ one", got)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "no-cache"} {
				if h.Get(k) != v {
					t.Errorf("%s %q, want %q", k, h.Get(k), v)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(string(body), w) {
					t.Errorf("body has %q:\n%s", w, body)
				}
			}
		})
	}

	t.Run("markdown with an image is a zip", func(t *testing.T) {
		status, body, h := in.do(in.req("GET", "nbconvert/markdown/pic.ipynb", nil))
		if status != 200 || h.Get("Content-Type") != "application/zip" || h.Get("Content-Disposition") != "attachment; filename*=UTF-8''pic.zip" {
			t.Fatalf("%d %q %q", status, h.Get("Content-Type"), h.Get("Content-Disposition"))
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		var md string
		for _, f := range zr.File {
			names[f.Name] = true
			if f.Name == "pic.md" {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				md = string(b)
			}
		}
		if !names["pic_files/output_1_3.png"] || !strings.Contains(md, "![png](pic_files/output_1_3.png)") {
			t.Errorf("zip %v, md:\n%s", names, md)
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		status, body, h := in.do(in.req("HEAD", "nbconvert/html/pic.ipynb", nil))
		if status != 200 || len(body) != 0 || h.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("HEAD: %d %q, %d bytes", status, h.Get("Content-Type"), len(body))
		}
	})

	t.Run("api/nbconvert lists the formats", func(t *testing.T) {
		status, body, _ := in.do(in.req("GET", "api/nbconvert", nil))
		var got map[string]struct {
			Mimetype string `json:"output_mimetype"`
		}
		if status != 200 || json.Unmarshal(body, &got) != nil || len(got) != 4 || got["html"].Mimetype != "text/html" {
			t.Errorf("%d %s", status, body)
		}
	})
}

func TestExportTrustedHTML(t *testing.T) {
	in := startQuire(t, opts{})
	writeFile(t, filepath.Join(in.Root, "t.ipynb"), exportNotebook(false))
	if status, body, _ := in.do(in.req("POST", "api/contents/t.ipynb/trust", nil)); status != 201 && status != 200 && status != 204 {
		t.Fatalf("trust: %d %s", status, body)
	}
	status, body, h := in.do(in.req("GET", "nbconvert/html/t.ipynb", nil))
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox allow-scripts;") || strings.Contains(csp, "allow-same-origin") {
		t.Errorf("trusted CSP %q: want a sandbox with scripts and without the server's origin", csp)
	}
	for _, w := range []string{"<script>document.title='PWNED-JS'</script>", "<script>document.title='PWNED-HTML'</script>"} {
		if !strings.Contains(string(body), w) {
			t.Errorf("trusted export lacks %q", w)
		}
	}
	if strings.Contains(string(body), "PWNED-MD") {
		t.Error("a markdown cell's script survived: markdown is sanitised even when trusted")
	}
}

func TestExportRefusals(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.ipynb"), strings.Replace(exportNotebook(false), "Export Title", "TOP-SECRET", 1))
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "ok.ipynb"), exportNotebook(false))
	writeFile(t, filepath.Join(root, "notes.txt"), "plain")
	writeFile(t, filepath.Join(root, ".hidden.ipynb"), exportNotebook(false))
	writeFile(t, filepath.Join(root, "broken.ipynb"), "{not json")
	if err := os.Symlink(filepath.Join(outside, "secret.ipynb"), filepath.Join(root, "link.ipynb")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "linkdir")); err != nil {
		t.Fatal(err)
	}
	in := startQuire(t, opts{root: root})

	tests := []struct {
		path   string
		status int
		msg    string
	}{
		{"/nbconvert/pdf/ok.ipynb", 404, "known formats: html, markdown, notebook, script"},
		{"/nbconvert/latex/ok.ipynb", 404, "unknown export format"},
		{"/nbconvert/html/missing.ipynb", 404, "does not exist"},
		{"/nbconvert/html/notes.txt", 400, "not a notebook"},
		{"/nbconvert/script/missing.txt", 404, "does not exist"},
		{"/nbconvert/html/.hidden.ipynb", 404, ""},
		{"/nbconvert/html/broken.ipynb", 400, "Unreadable Notebook"},
		{"/nbconvert/html/link.ipynb", 404, ""},
		{"/nbconvert/notebook/link.ipynb", 404, ""},
		{"/nbconvert/html/linkdir/secret.ipynb", 404, ""},
		{"/nbconvert/script/linkdir/secret.ipynb", 404, ""},
		{"/nbconvert/notebook/..%2f" + filepath.Base(outside) + "%2fsecret.ipynb", 404, ""},
	}
	for _, tt := range tests {
		code, resp := rawRequest(t, in, "GET", tt.path, nil)
		if code != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, code, tt.status)
		}
		if strings.Contains(resp, "TOP-SECRET") {
			t.Errorf("GET %s leaked the outside notebook", tt.path)
		}
		if !strings.Contains(resp, "application/json") || !strings.Contains(resp, tt.msg) {
			t.Errorf("GET %s: want a JSON error with %q:\n%s", tt.path, tt.msg, resp)
		}
	}
	// "../" segments are cleaned before routing and can never leave the root.
	for _, p := range []string{"/nbconvert/html/../" + filepath.Base(outside) + "/secret.ipynb", "/nbconvert/html/%2e%2e/" + filepath.Base(outside) + "/secret.ipynb"} {
		code, resp := rawRequest(t, in, "GET", p, nil)
		if code == 200 || code >= 500 || strings.Contains(resp, "TOP-SECRET") {
			t.Errorf("GET %s: %d, want a refusal", p, code)
		}
	}

	// Authentication is that of /files/: no token, the same answer.
	c := in.client()
	for _, p := range []string{"nbconvert/html/ok.ipynb", "nbconvert/notebook/ok.ipynb", "nbconvert/pdf/ok.ipynb"} {
		fs, _, fh := send(t, c, in.req("GET", "files/ok.ipynb", nil))
		es, body, eh := send(t, c, in.req("GET", p, nil))
		if es != fs || es == 200 || (es == 302) != strings.Contains(eh.Get("Location"), "login") {
			t.Errorf("no token: %s %d (Location %q), /files/ %d (Location %q)", p, es, eh.Get("Location"), fs, fh.Get("Location"))
		}
		if strings.Contains(string(body), "Export Title") {
			t.Errorf("no token: %s served the notebook", p)
		}
	}
}
