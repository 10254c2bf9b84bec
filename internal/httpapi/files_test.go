package httpapi_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/fsroot"
)

const wantCSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"

func TestFiles(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("page.html", "<script>alert(1)</script>")
	e.write("n.ipynb", "{}")
	e.write("t.txt", "0123456789")
	e.write("my file.bin", "x")
	e.write(".secret", "x")
	e.write("d/x", "x")
	for _, tc := range []struct {
		url, ctype, disp string
		status           int
	}{
		{"/files/page.html", "text/html", "", 200},
		{"/files/n.ipynb", "application/x-ipynb+json", "attachment; filename*=UTF-8''n.ipynb", 200},
		{"/files/t.txt", "text/plain; charset=UTF-8", "", 200},
		{"/files/t.txt?download=1", "text/plain; charset=UTF-8", "attachment; filename*=UTF-8''t.txt", 200},
		{"/files/my%20file.bin?download=1", "application/octet-stream", "attachment; filename*=UTF-8''my%20file.bin", 200},
		{"/files/.secret", "", "", 404},
		{"/files/d", "", "", 404},
		{"/files/missing", "", "", 404},
		{"/files/%2e%2e/etc/passwd", "", "", 404},
	} {
		req := httptest.NewRequest("GET", tc.url, nil)
		w := httptest.NewRecorder()
		w.Header().Set("Content-Security-Policy", "default-src 'self'") // an outer middleware's
		e.h.ServeHTTP(w, req)
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.url, w.Code, tc.status)
			continue
		}
		if got := w.Header().Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s: CSP %q", tc.url, got)
		}
		if got := w.Header().Get("Cross-Origin-Resource-Policy"); got != "same-origin" {
			t.Errorf("%s: Cross-Origin-Resource-Policy %q, want same-origin", tc.url, got)
		}
		if tc.status != 200 {
			continue
		}
		if got := w.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.url, got, tc.ctype)
		}
		if got := w.Header().Get("Content-Disposition"); got != tc.disp {
			t.Errorf("%s: Content-Disposition %q, want %q", tc.url, got, tc.disp)
		}
		if w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: Cache-Control %q", tc.url, w.Header().Get("Cache-Control"))
		}
	}
	// Range and conditional GET.
	w := e.do("GET", "/files/t.txt", "", "Range", "bytes=2-4")
	if w.Code != 206 || w.Body.String() != "234" {
		t.Errorf("range: %d %q", w.Code, w.Body)
	}
	lm := e.do("GET", "/files/t.txt", "").Header().Get("Last-Modified")
	if w := e.do("GET", "/files/t.txt", "", "If-Modified-Since", lm); w.Code != 304 {
		t.Errorf("If-Modified-Since: %d", w.Code)
	}
	if w := e.do("HEAD", "/files/t.txt", ""); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d %q", w.Code, w.Body)
	}
}

// traversal builds a root beside "root2" and "outside" with links in and
// out, like the fsroot tests, and probes every contents route.
func traversalEnv(t *testing.T, follow bool) (*env, string) {
	e := newEnv(t, envOpt{root: fsroot.Options{FollowSymlinks: follow}})
	base := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(base, "outside"), 0o755))
	must(os.WriteFile(filepath.Join(base, "outside", "secret"), []byte("SECRET"), 0o644))
	e.write("in.txt", "inside")
	e.write("sub/f.txt", "sub")
	must(os.Symlink(filepath.Join(base, "outside"), filepath.Join(e.dir, "outdir")))
	must(os.Symlink(filepath.Join(base, "outside", "secret"), filepath.Join(e.dir, "outfile")))
	must(os.Symlink("/etc", filepath.Join(e.dir, "etc")))
	must(os.Symlink("sub", filepath.Join(e.dir, "insub")))
	must(os.Symlink("nowhere", filepath.Join(e.dir, "dangling")))
	// root-prefix trick: a sibling whose name extends the root's.
	must(os.MkdirAll(e.dir+"2", 0o755))
	t.Cleanup(func() { os.RemoveAll(e.dir + "2") })
	must(os.WriteFile(filepath.Join(e.dir+"2", "secret"), []byte("SECRET"), 0o644))
	return e, base
}

func TestTraversal(t *testing.T) {
	e, base := traversalEnv(t, false)
	rootName := filepath.Base(e.dir)
	escapes := []string{
		"..%2Foutside%2Fsecret", "%2e%2e/%2e%2e/etc/passwd", "sub/%2e%2e/%2e%2e/x", "%2E%2E",
		"outdir/secret", "outfile", "etc/passwd", "%2Fetc%2Fpasswd/..%2F..", "..%5C..%5Cx",
		"..%2F" + rootName + "2%2Fsecret", "dangling",
	}
	for _, p := range escapes {
		u := "/api/contents/" + p
		if w := e.do("GET", u, ""); w.Code < 400 || strings.Contains(w.Body.String(), "SECRET") || strings.Contains(w.Body.String(), "root:") {
			t.Errorf("GET %s = %d %s", u, w.Code, w.Body)
		}
		if w := e.do("GET", "/files/"+p, ""); w.Code < 400 {
			t.Errorf("GET /files/%s = %d", p, w.Code)
		}
		writes := []struct{ method, url, body string }{
			{"PUT", u, `{"type":"file","format":"text","content":"PWNED"}`},
			{"PUT", u + "%2Fnew", `{"type":"file","format":"text","content":"PWNED"}`},
			{"PUT", u, `{"type":"file","format":"text","content":"PWNED","chunk":1}`},
			{"PATCH", "/api/contents/in.txt", `{"path":"` + strings.ReplaceAll(p, "%2F", "/") + `/moved"}`},
			{"PATCH", u, `{"path":"stolen"}`},
			{"POST", "/api/contents", `{"copy_from":"` + strings.ReplaceAll(p, "%2F", "/") + `"}`},
			{"POST", u, `{"type":"file"}`},
			{"DELETE", u, ``},
			{"POST", u + "/checkpoints", ``},
			{"POST", u + "/checkpoints/checkpoint", ``},
		}
		for _, wr := range writes {
			if strings.Contains(wr.body, `"chunk"`) && (p == "outfile" || p == "dangling") {
				// Chunks collect in a sibling file inside the root; the last
				// one replaces the link itself (never its target): no escape.
				continue
			}
			if w := e.do(wr.method, wr.url, wr.body); w.Code < 400 {
				t.Errorf("%s %s %s = %d %s", wr.method, wr.url, wr.body, w.Code, w.Body)
			}
		}
	}
	if got, err := os.ReadFile(filepath.Join(base, "outside", "secret")); err != nil || string(got) != "SECRET" {
		t.Errorf("outside secret: %q, %v", got, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(base, "outside")); len(entries) != 1 {
		t.Errorf("files created outside: %v", entries)
	}
	if entries, _ := os.ReadDir(e.dir + "2"); len(entries) != 1 {
		t.Errorf("files created in the sibling root: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "stolen")); err == nil {
		t.Error("something was moved into the root")
	}
	// Links that stay inside work.
	if w := e.do("GET", "/api/contents/insub/f.txt", ""); w.Code != 200 {
		t.Errorf("inside link: %d", w.Code)
	}
	// The listing skips escaping and dangling links.
	w := e.do("GET", "/api/contents", "")
	for _, n := range []string{`"outdir"`, `"outfile"`, `"dangling"`, `"etc"`} {
		if strings.Contains(w.Body.String(), n) {
			t.Errorf("listing shows %s", n)
		}
	}
}

func TestFollowSymlinks(t *testing.T) {
	e, base := traversalEnv(t, true)
	w := e.do("GET", "/api/contents/outdir/secret", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "SECRET") {
		t.Errorf("FollowSymlinks GET = %d %s", w.Code, w.Body)
	}
	for _, u := range []string{"/api/contents/..%2Foutside%2Fsecret", "/api/contents/sub/%2e%2e/%2e%2e/outside/secret"} {
		if w := e.do("GET", u, ""); w.Code < 400 {
			t.Errorf("%s = %d even with FollowSymlinks", u, w.Code)
		}
	}
	_ = base
}
