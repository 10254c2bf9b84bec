package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/fsroot"
	"quire/internal/httpapi"
	"quire/internal/nbformat"
)

type env struct {
	t     *testing.T
	dir   string
	trash string
	h     http.Handler
}

type envOpt struct {
	contents contents.Options
	root     fsroot.Options
	notary   contents.Notary
	maxBody  int64
	memory   httpapi.MemoryBudget
}

func newEnv(t *testing.T, o envOpt) *env {
	t.Helper()
	dir, trash := t.TempDir(), t.TempDir()
	root, err := fsroot.Open(dir, o.root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	if o.maxBody == 0 {
		o.maxBody = 1 << 20
	}
	if o.memory != nil {
		o.contents.Memory = o.memory
	}
	svc := contents.New(fsstore.New(root, fsstore.Options{TrashDir: trash}), o.notary, o.contents, nil)
	h := httpapi.New(httpapi.Deps{BaseURL: "/", MaxBodySize: o.maxBody, Contents: svc, Memory: o.memory})
	return &env{t: t, dir: dir, trash: trash, h: h}
}

func (e *env) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

func (e *env) write(p, data string) {
	e.t.Helper()
	full := filepath.Join(e.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) read(p string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(e.dir, filepath.FromSlash(p)))
	return string(b), err == nil
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body.String())
	}
	if status >= 400 {
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || m["message"] == nil || m["message"] == "" {
			t.Fatalf("error body %q is not {\"message\": …}", w.Body.String())
		}
	}
}

var modelKeys = []string{"content", "created", "format", "hash", "hash_algorithm", "last_modified", "mimetype", "name", "path", "size", "type", "writable"}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func TestGetDirectory(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("proj/a.ipynb", `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	e.write("proj/data.csv", "a,b\n")
	e.write("proj/s.py", "print(1)\n")
	e.write("proj/.secret", "x")
	e.write("proj/x.pyc", "x")
	e.write("proj/__pycache__/y", "x")
	e.write("proj/sub/z", "x")
	w := e.do("GET", "/api/contents/proj", "")
	wantStatus(t, w, 200)
	m := decode(t, w)
	if got := keys(m); !slices.Equal(got, modelKeys) {
		t.Errorf("keys %q, want %q", got, modelKeys)
	}
	if m["type"] != "directory" || m["format"] != "json" || m["size"] != nil || m["name"] != "proj" || m["path"] != "proj" {
		t.Errorf("model %v", m)
	}
	if w.Header().Get("Last-Modified") == "" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", w.Header())
	}
	var names []string
	types := map[string]any{}
	for _, c := range m["content"].([]any) {
		cm := c.(map[string]any)
		names = append(names, cm["name"].(string))
		types[cm["name"].(string)] = []any{cm["type"], cm["mimetype"], cm["content"], cm["format"]}
		if got := keys(cm); !slices.Equal(got, modelKeys) {
			t.Errorf("child keys %q", got)
		}
		if _, err := time.Parse(time.RFC3339Nano, cm["last_modified"].(string)); err != nil || !strings.HasSuffix(cm["created"].(string), "Z") {
			t.Errorf("times %v %v", cm["last_modified"], cm["created"])
		}
	}
	if want := []string{"a.ipynb", "data.csv", "s.py", "sub"}; !slices.Equal(names, want) {
		t.Errorf("listing %q, want %q", names, want)
	}
	want := map[string]any{
		"a.ipynb":  []any{"notebook", nil, nil, nil},
		"data.csv": []any{"file", "text/csv", nil, nil},
		"s.py":     []any{"file", "text/x-python", nil, nil},
		"sub":      []any{"directory", nil, nil, nil},
	}
	for k, v := range want {
		if !slices.Equal(types[k].([]any), v.([]any)) {
			t.Errorf("%s: %v, want %v", k, types[k], v)
		}
	}
	// Root, with and without the trailing slash.
	for _, u := range []string{"/api/contents", "/api/contents/", "/api/contents?content=0"} {
		w := e.do("GET", u, "")
		wantStatus(t, w, 200)
		if m := decode(t, w); m["path"] != "" || m["name"] != "" || m["type"] != "directory" {
			t.Errorf("%s: %v", u, m)
		}
	}
}

func TestGetAllowHidden(t *testing.T) {
	e := newEnv(t, envOpt{contents: contents.Options{AllowHidden: true, HideGlobs: []string{}}})
	e.write(".env", "x")
	e.write("a~", "x")
	w := e.do("GET", "/api/contents", "")
	wantStatus(t, w, 200)
	if n := len(decode(t, w)["content"].([]any)); n != 2 {
		t.Errorf("listing has %d entries, want 2", n)
	}
	wantStatus(t, e.do("GET", "/api/contents/.env", ""), 200)
}

func TestGetFile(t *testing.T) {
	e := newEnv(t, envOpt{})
	bin := make([]byte, 200)
	for i := range bin {
		bin[i] = byte(i)
	}
	e.write("bin.dat", string(bin))
	e.write("t.txt", "héllo\r\nworld")
	e.write("nb.ipynb", "{not json")
	e.write(".hidden/x.txt", "x")
	e.write("d/f", "x")

	w := e.do("GET", "/api/contents/t.txt?hash=1", "")
	wantStatus(t, w, 200)
	m := decode(t, w)
	if m["content"] != "héllo\r\nworld" || m["format"] != "text" || m["mimetype"] != "text/plain" ||
		m["hash"] != fmt.Sprintf("%x", sha256.Sum256([]byte("héllo\r\nworld"))) || m["hash_algorithm"] != "sha256" {
		t.Errorf("text model %v", m)
	}

	w = e.do("GET", "/api/contents/bin.dat", "")
	wantStatus(t, w, 200)
	m = decode(t, w)
	c := m["content"].(string)
	lines := strings.Split(c, "\n")
	if m["format"] != "base64" || m["mimetype"] != "application/octet-stream" || !strings.HasSuffix(c, "\n") || len(lines[0]) != 76 {
		t.Errorf("base64 model %v", m)
	}
	if got, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(c, "\n", "")); string(got) != string(bin) {
		t.Error("base64 content does not decode to the file")
	}
	if m["hash"] != nil {
		t.Errorf("hash without hash=1: %v", m["hash"])
	}

	w = e.do("GET", "/api/contents/t.txt?format=base64", "")
	wantStatus(t, w, 200)
	if c := decode(t, w)["content"]; c != base64.StdEncoding.EncodeToString([]byte("héllo\r\nworld"))+"\n" {
		t.Errorf("forced base64 = %q", c)
	}
	w = e.do("GET", "/api/contents/t.txt?content=0&hash=1", "")
	wantStatus(t, w, 200)
	if m := decode(t, w); m["content"] != nil || m["format"] != nil || len(m["hash"].(string)) != 64 {
		t.Errorf("content=0 model %v", m)
	}

	for _, tc := range []struct {
		url    string
		status int
	}{
		{"/api/contents/bin.dat?format=text", 400},
		{"/api/contents/t.txt?format=xml", 400},
		{"/api/contents/t.txt?content=2", 400},
		{"/api/contents/t.txt?hash=yes", 400},
		{"/api/contents/t.txt?type=directory", 400},
		{"/api/contents/d?type=file", 400},
		{"/api/contents/d?type=notebook", 400},
		{"/api/contents/t.txt?type=bogus", 200},
		{"/api/contents/missing", 404},
		{"/api/contents/.hidden/x.txt", 404},
		{"/api/contents/.hidden", 404},
		{"/api/contents/nb.ipynb", 400},
		{"/api/contents/nb.ipynb?type=file", 200},
		{"/api/contents/nb.ipynb?content=0", 200},
	} {
		w := e.do("GET", tc.url, "")
		if w.Code != tc.status {
			t.Errorf("GET %s = %d, want %d: %s", tc.url, w.Code, tc.status, w.Body)
		}
	}
	if got, _ := e.read("nb.ipynb"); got != "{not json" {
		t.Errorf("corrupt notebook changed: %q", got)
	}
}

func TestNotebookRoundTrip(t *testing.T) {
	e := newEnv(t, envOpt{})
	nb := `{"cells":[{"cell_type":"code","execution_count":null,"id":"abc","metadata":{},"outputs":[],"source":"x = 1\nprint(x)"},
	{"cell_type":"markdown","id":"def","metadata":{},"source":"# T"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	w := e.do("PUT", "/api/contents/n.ipynb", `{"type":"notebook","content":`+nb+`}`)
	wantStatus(t, w, 201)
	if loc := w.Header().Get("Location"); loc != "/api/contents/n.ipynb" {
		t.Errorf("Location %q", loc)
	}
	m := decode(t, w)
	if m["content"] != nil || m["type"] != "notebook" || m["hash"] != nil {
		t.Errorf("PUT model %v", m)
	}
	disk, _ := e.read("n.ipynb")
	if !strings.Contains(disk, "\"source\": [\n    \"x = 1\\n\",\n    \"print(x)\"\n   ]") || strings.Contains(disk, "trusted") {
		t.Errorf("file on disk:\n%s", disk)
	}
	if _, ok := e.read(".ipynb_checkpoints/n-checkpoint.ipynb"); !ok {
		t.Error("first notebook save made no checkpoint")
	}
	w = e.do("GET", "/api/contents/n.ipynb", "")
	wantStatus(t, w, 200)
	m = decode(t, w)
	content := m["content"].(map[string]any)
	cells := content["cells"].([]any)
	code := cells[0].(map[string]any)
	if code["source"] != "x = 1\nprint(x)" || code["metadata"].(map[string]any)["trusted"] != false || m["format"] != "json" || m["mimetype"] != nil {
		t.Errorf("GET notebook %v", m)
	}
	// Save again: 200.
	w = e.do("PUT", "/api/contents/n.ipynb", `{"type":"notebook","content":`+nb+`}`)
	wantStatus(t, w, 200)
}

func TestSaveBadInput(t *testing.T) {
	e := newEnv(t, envOpt{maxBody: 4096})
	e.write("keep.txt", "original")
	e.write("keep.ipynb", `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	orig, _ := e.read("keep.ipynb")
	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"malformed JSON", "keep.txt", `{"type":"file",`, 400},
		{"trailing garbage", "keep.txt", `{"type":"file"} x`, 400},
		{"array body", "keep.txt", `[1,2]`, 400},
		{"string body", "keep.txt", `"x"`, 400},
		{"no type", "keep.txt", `{"content":"x","format":"text"}`, 400},
		{"no content", "keep.txt", `{"type":"file","format":"text"}`, 400},
		{"bad format", "keep.txt", `{"type":"file","format":"utf8","content":"x"}`, 400},
		{"content not string", "keep.txt", `{"type":"file","format":"text","content":{"a":1}}`, 400},
		{"invalid base64", "keep.txt", `{"type":"file","format":"base64","content":"!!!"}`, 400},
		{"type not string", "keep.txt", `{"type":5,"format":"text","content":"x"}`, 400},
		{"copy_from", "keep.txt", `{"copy_from":"a"}`, 400},
		{"cells not a list", "keep.ipynb", `{"type":"notebook","content":{"cells":{},"metadata":{},"nbformat":4,"nbformat_minor":5}}`, 400},
		{"notebook content string", "keep.ipynb", `{"type":"notebook","content":"x"}`, 400},
		{"notebook not JSON nb", "keep.ipynb", `{"type":"notebook","content":{"a":1}}`, 400},
		{"unknown cell type", "keep.ipynb", `{"type":"notebook","content":{"cells":[{"cell_type":"evil","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}}`, 400},
		{"cell not object", "keep.ipynb", `{"type":"notebook","content":{"cells":[1],"metadata":{},"nbformat":4,"nbformat_minor":5}}`, 400},
		{"too large", "keep.txt", `{"type":"file","format":"text","content":"` + strings.Repeat("x", 5000) + `"}`, 413},
		{"hidden", ".x", `{"type":"file","format":"text","content":"x"}`, 400},
		{"hidden body path", "keep.txt", `{"type":"file","format":"text","content":"x","path":".x"}`, 400},
		{"chunk zero", "keep.txt", `{"type":"file","format":"text","content":"x","chunk":0}`, 400},
		{"chunk -2", "keep.txt", `{"type":"file","format":"text","content":"x","chunk":-2}`, 400},
		{"chunk string", "keep.txt", `{"type":"file","format":"text","content":"x","chunk":"1"}`, 400},
		{"chunk float", "keep.txt", `{"type":"file","format":"text","content":"x","chunk":1.5}`, 400},
		{"chunk notebook", "keep.ipynb", `{"type":"notebook","content":{},"chunk":1}`, 400},
		{"chunk 2 first", "keep.txt", `{"type":"file","format":"text","content":"x","chunk":2}`, 400},
		{"over directory", "", `{"type":"file","format":"text","content":"x"}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("PUT", "/api/contents/"+tc.path, tc.body)
			wantStatus(t, w, tc.status)
			if got, _ := e.read("keep.txt"); got != "original" {
				t.Errorf("keep.txt changed to %q", got)
			}
			if got, _ := e.read("keep.ipynb"); got != orig {
				t.Errorf("keep.ipynb changed to %q", got)
			}
			if _, ok := e.read(".x"); ok {
				t.Error("hidden file written")
			}
		})
	}
}

func TestSaveFile(t *testing.T) {
	e := newEnv(t, envOpt{})
	w := e.do("PUT", "/api/contents/a.txt", `{"type":"file","format":"text","content":"one"}`)
	wantStatus(t, w, 201)
	if m := decode(t, w); m["name"] != "a.txt" || m["size"] != 3.0 || m["content"] != nil {
		t.Errorf("model %v", m)
	}
	if w.Header().Get("Last-Modified") == "" {
		t.Error("no Last-Modified")
	}
	w = e.do("PUT", "/api/contents/a.txt", `{"type":"file","format":"text","content":"two"}`)
	wantStatus(t, w, 200)
	data := strings.Repeat("\x00\xff binary ", 40)
	wrapped := base64.StdEncoding.EncodeToString([]byte(data))
	for i := 76; i < len(wrapped); i += 77 {
		wrapped = wrapped[:i] + "\n" + wrapped[i:]
	}
	for _, b64 := range []string{base64.StdEncoding.EncodeToString([]byte(data)), wrapped + "\n"} {
		body, _ := json.Marshal(map[string]any{"type": "file", "format": "base64", "content": b64})
		wantStatus(t, e.do("PUT", "/api/contents/b.bin", string(body)), map[bool]int{true: 201, false: 200}[b64[len(b64)-1] != '\n'])
		if got, _ := e.read("b.bin"); got != data {
			t.Errorf("base64 save wrote %q", got)
		}
	}
	// Create without content: empty file / empty notebook; directory.
	wantStatus(t, e.do("PUT", "/api/contents/empty.txt", `{"type":"file"}`), 201)
	wantStatus(t, e.do("PUT", "/api/contents/new.ipynb", `{"path":"new.ipynb"}`), 201)
	if nb, _ := e.read("new.ipynb"); !strings.Contains(nb, `"nbformat": 4`) {
		t.Errorf("new notebook %q", nb)
	}
	wantStatus(t, e.do("PUT", "/api/contents/dir", `{"type":"directory"}`), 201)
	if fi, err := os.Stat(filepath.Join(e.dir, "dir")); err != nil || !fi.IsDir() {
		t.Errorf("directory not made: %v", err)
	}
	wantStatus(t, e.do("PUT", "/api/contents/a.txt", `{"type":"directory"}`), 400)
	wantStatus(t, e.do("PUT", "/api/contents/nodir/x.txt", `{"type":"file","format":"text","content":""}`), 404)
	// Empty body: new untitled inside the path.
	w = e.do("PUT", "/api/contents/dir", "")
	wantStatus(t, w, 201)
	if m := decode(t, w); m["path"] != "dir/untitled" {
		t.Errorf("PUT empty body made %v", m["path"])
	}
	wantStatus(t, e.do("PUT", "/api/contents/dir", "{}"), 201)
}

func TestConditionalSave(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("a.txt", "v1")
	w := e.do("GET", "/api/contents/a.txt?content=0&hash=1", "")
	wantStatus(t, w, 200)
	h := decode(t, w)["hash"].(string)
	body := `{"type":"file","format":"text","content":"v2"}`
	wantStatus(t, e.do("PUT", "/api/contents/a.txt", body, "If-Match", `"`+h+`"`), 200)
	// The hash is now stale.
	wantStatus(t, e.do("PUT", "/api/contents/a.txt", `{"type":"file","format":"text","content":"v3"}`, "If-Match", h), 412)
	if got, _ := e.read("a.txt"); got != "v2" {
		t.Errorf("412 save wrote: %q", got)
	}
	// Chunk 1 honours If-Match too.
	wantStatus(t, e.do("PUT", "/api/contents/a.txt", `{"type":"file","format":"text","content":"v3","chunk":1}`, "If-Match", h), 412)
	wantStatus(t, e.do("PUT", "/api/contents/missing.txt", body, "If-Match", h), 412)
	if _, ok := e.read("missing.txt"); ok {
		t.Error("If-Match on a missing file created it")
	}
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	wantStatus(t, e.do("PUT", "/api/contents/a.txt", `{"type":"file","format":"text","content":"v4"}`, "If-Unmodified-Since", past), 412)
	wantStatus(t, e.do("PUT", "/api/contents/a.txt", `{"type":"file","format":"text","content":"v4"}`, "If-Unmodified-Since", future), 200)
	if got, _ := e.read("a.txt"); got != "v4" {
		t.Errorf("content %q", got)
	}
}

// A PUT with hash=1 answers the sha256 of what it wrote as the ETag, so a
// client's next save can be conditional on exactly that; the model itself
// stays Jupyter's (no hash).
func TestSaveETag(t *testing.T) {
	e := newEnv(t, envOpt{})
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	cases := []struct {
		name, path, body, query, wantETag string
	}{
		{"text", "a.txt", `{"type":"file","format":"text","content":"v1"}`, "?hash=1", `"` + sum("v1") + `"`},
		{"not asked", "b.txt", `{"type":"file","format":"text","content":"v1"}`, "", ""},
		{"empty file", "e.bin", `{"type":"file","format":"base64","content":""}`, "?hash=1", `"` + sum("") + `"`},
		{"directory", "d", `{"type":"directory"}`, "?hash=1", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := e.do("PUT", "/api/contents/"+c.path+c.query, c.body)
			if w.Code/100 != 2 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("ETag"); got != c.wantETag {
				t.Errorf("ETag = %q, want %q", got, c.wantETag)
			}
			if h := decode(t, w)["hash"]; h != nil {
				t.Errorf("model hash = %v, want null", h)
			}
		})
	}
	// The ETag works as the next If-Match; a notebook's is the hash of the
	// bytes on disk, not of the JSON sent.
	nb := `{"type":"notebook","content":{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}}`
	w := e.do("PUT", "/api/contents/n.ipynb?hash=1", nb)
	wantStatus(t, w, 201)
	disk, _ := e.read("n.ipynb")
	if got := w.Header().Get("ETag"); got != `"`+sum(disk)+`"` {
		t.Errorf("notebook ETag %q, disk hash %q", got, sum(disk))
	}
	wantStatus(t, e.do("PUT", "/api/contents/n.ipynb?hash=1", nb, "If-Match", w.Header().Get("ETag")), 200)
	wantStatus(t, e.do("PUT", "/api/contents/n.ipynb?hash=2", nb), 400)
	// The last chunk of an upload carries it too.
	c1, _ := json.Marshal(map[string]any{"type": "file", "format": "base64", "chunk": 1, "content": base64.StdEncoding.EncodeToString([]byte("ab"))})
	c2, _ := json.Marshal(map[string]any{"type": "file", "format": "base64", "chunk": -1, "content": base64.StdEncoding.EncodeToString([]byte("cd"))})
	if w := e.do("PUT", "/api/contents/up.bin?hash=1", string(c1)); w.Header().Get("ETag") != "" {
		t.Error("ETag on a chunk before the last")
	}
	if w := e.do("PUT", "/api/contents/up.bin?hash=1", string(c2)); w.Header().Get("ETag") != `"`+sum("abcd")+`"` {
		t.Errorf("last chunk ETag %q", w.Header().Get("ETag"))
	}
}

func TestChunkedUpload(t *testing.T) {
	e := newEnv(t, envOpt{})
	put := func(chunk int, data string) *httptest.ResponseRecorder {
		body, _ := json.Marshal(map[string]any{"type": "file", "format": "base64", "chunk": chunk,
			"content": base64.StdEncoding.EncodeToString([]byte(data))})
		return e.do("PUT", "/api/contents/up.bin", string(body))
	}
	wantStatus(t, put(1, "aaa"), 201)
	if _, ok := e.read("up.bin"); ok {
		t.Error("partial upload visible at the target")
	}
	w := e.do("GET", "/api/contents", "")
	if strings.Contains(w.Body.String(), "quire-upload") {
		t.Error("upload file listed")
	}
	wantStatus(t, put(2, "bbb"), 200)
	wantStatus(t, put(-1, "cc"), 200)
	if got, _ := e.read("up.bin"); got != "aaabbbcc" {
		t.Errorf("upload = %q", got)
	}
	wantStatus(t, put(2, "x"), 400) // no upload in progress
	wantStatus(t, put(1, "new"), 200)
	if got, _ := e.read("up.bin"); got != "aaabbbcc" {
		t.Errorf("upload in progress changed the target: %q", got)
	}
	wantStatus(t, put(-1, ""), 200)
	if got, _ := e.read("up.bin"); got != "new" {
		t.Errorf("second upload = %q", got)
	}
}

func TestNewUntitledAndCopy(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("d/nb.ipynb", `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	e.write("d/a.tar.gz", "x")
	e.write("f.txt", "x")
	post := func(url, body string, status int) string {
		t.Helper()
		w := e.do("POST", url, body)
		wantStatus(t, w, status)
		if status != 201 {
			return ""
		}
		p := decode(t, w)["path"].(string)
		if loc := w.Header().Get("Location"); loc != "/api/contents/"+strings.ReplaceAll(p, " ", "%20") {
			t.Errorf("Location %q for %q", loc, p)
		}
		return p
	}
	for _, tc := range []struct{ url, body, want string }{
		{"/api/contents/d", `{"type":"notebook"}`, "d/Untitled.ipynb"},
		{"/api/contents/d", `{"type":"notebook"}`, "d/Untitled1.ipynb"},
		{"/api/contents/d", `{"ext":".ipynb"}`, "d/Untitled2.ipynb"},
		{"/api/contents/d", ``, "d/untitled"},
		{"/api/contents/d", `{}`, "d/untitled1"},
		{"/api/contents/d", `{"type":"file","ext":".py"}`, "d/untitled.py"},
		{"/api/contents/d", `{"type":"file","ext":".py"}`, "d/untitled1.py"},
		{"/api/contents/d", `{"type":"directory"}`, "d/Untitled Folder"},
		{"/api/contents/d", `{"type":"directory"}`, "d/Untitled Folder 1"},
		{"/api/contents/d", `{"copy_from":"d/nb.ipynb"}`, "d/nb-Copy1.ipynb"},
		{"/api/contents/d", `{"copy_from":"d/nb-Copy1.ipynb"}`, "d/nb-Copy2.ipynb"},
		{"/api/contents/d", `{"copy_from":"d/a.tar.gz"}`, "d/a-Copy1.tar.gz"},
		{"/api/contents", `{"copy_from":"d/nb.ipynb"}`, "nb.ipynb"},
		{"/api/contents", `{"copy_from":"d"}`, "d-Copy1"},
	} {
		if got := post(tc.url, tc.body, 201); got != tc.want {
			t.Errorf("POST %s %s made %q, want %q", tc.url, tc.body, got, tc.want)
		}
	}
	if _, ok := e.read("d-Copy1/Untitled Folder 1/../nb.ipynb"); !ok {
		t.Error("directory copy incomplete")
	}
	post("/api/contents/f.txt", `{"type":"file"}`, 400)
	post("/api/contents/missing", `{"type":"file"}`, 404)
	post("/api/contents/d", `{"copy_from":"missing"}`, 404)
	post("/api/contents/d", `{"copy_from":".hidden"}`, 400)
	post("/api/contents/d", `{"copy_from":"d"}`, 400) // into itself
	post("/api/contents/d", `{"type":`, 400)
	e.write(".ipynb_checkpoints/x", "x")
	post("/api/contents/.ipynb_checkpoints", `{"type":"file"}`, 400)
}

func TestCopyDirLimit(t *testing.T) {
	e := newEnv(t, envOpt{contents: contents.Options{MaxCopyDirSize: 10}})
	e.write("big/a", strings.Repeat("x", 20))
	wantStatus(t, e.do("POST", "/api/contents", `{"copy_from":"big"}`), 400)
	if _, err := os.Stat(filepath.Join(e.dir, "big-Copy1")); err == nil {
		t.Error("refused copy left a directory")
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("a.txt", "a")
	e.write("b.txt", "b")
	e.write("sub/x", "x")
	wantStatus(t, e.do("POST", "/api/contents/a.txt/checkpoints", ""), 201)
	w := e.do("PATCH", "/api/contents/a.txt", `{"path":"sub/c.txt"}`)
	wantStatus(t, w, 200)
	if m := decode(t, w); m["path"] != "sub/c.txt" || w.Header().Get("Location") != "/api/contents/sub/c.txt" {
		t.Errorf("rename model %v", m)
	}
	if got, _ := e.read("sub/c.txt"); got != "a" {
		t.Errorf("renamed content %q", got)
	}
	if _, ok := e.read("sub/.ipynb_checkpoints/c-checkpoint.txt"); !ok {
		t.Error("checkpoint did not move")
	}
	if _, ok := e.read(".ipynb_checkpoints/a-checkpoint.txt"); ok {
		t.Error("old checkpoint left behind")
	}
	for _, tc := range []struct {
		from, body string
		status     int
	}{
		{"b.txt", `{"path":"sub/c.txt"}`, 409},
		{"b.txt", `{"path":"b.txt"}`, 200},
		{"missing", `{"path":"z"}`, 404},
		{"b.txt", `{"path":".z"}`, 400},
		{"b.txt", `{"path":"nodir/z"}`, 404},
		{"b.txt", ``, 400},
		{"b.txt", `{}`, 400},
		{"b.txt", `{"path":3}`, 400},
		{"sub", `{"path":"sub/inner"}`, 400},
		{"sub", `{"path":"moved"}`, 200},
	} {
		w := e.do("PATCH", "/api/contents/"+tc.from, tc.body)
		if w.Code != tc.status {
			t.Errorf("PATCH %s %s = %d, want %d: %s", tc.from, tc.body, w.Code, tc.status, w.Body)
		}
	}
	if got, _ := e.read("b.txt"); got != "b" {
		t.Errorf("b.txt damaged: %q", got)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, envOpt{contents: contents.Options{DeleteToTrash: true}})
	e.write("a.txt", "a")
	e.write("d/x", "x")
	wantStatus(t, e.do("POST", "/api/contents/a.txt/checkpoints", ""), 201)
	w := e.do("DELETE", "/api/contents/a.txt", "")
	wantStatus(t, w, 204)
	if w.Body.Len() != 0 {
		t.Errorf("204 with body %q", w.Body)
	}
	if _, err := os.Stat(filepath.Join(e.trash, "files", "a.txt")); err != nil {
		t.Errorf("not in trash: %v", err)
	}
	if _, ok := e.read(".ipynb_checkpoints/a-checkpoint.txt"); ok {
		t.Error("checkpoint survived delete")
	}
	wantStatus(t, e.do("DELETE", "/api/contents/d", ""), 204)
	wantStatus(t, e.do("DELETE", "/api/contents/d", ""), 404)
	wantStatus(t, e.do("DELETE", "/api/contents", ""), 400)
	wantStatus(t, e.do("DELETE", "/api/contents/", ""), 400)
	e.write(".h", "x")
	wantStatus(t, e.do("DELETE", "/api/contents/.h", ""), 400)

	p := newEnv(t, envOpt{})
	p.write("full/x", "x")
	p.write("cp/.ipynb_checkpoints/x-checkpoint", "x")
	p.write("f", "x")
	wantStatus(t, p.do("DELETE", "/api/contents/full", ""), 400)
	wantStatus(t, p.do("DELETE", "/api/contents/cp", ""), 204)
	wantStatus(t, p.do("DELETE", "/api/contents/f", ""), 204)
	for _, n := range []string{"cp", "f"} {
		if _, err := os.Lstat(filepath.Join(p.dir, n)); err == nil {
			t.Errorf("%s not deleted", n)
		}
	}
	if entries, _ := os.ReadDir(p.trash); len(entries) != 0 {
		t.Error("permanent delete used the trash")
	}
}

func TestCheckpoints(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("a.txt", "v1")
	w := e.do("GET", "/api/contents/a.txt/checkpoints", "")
	wantStatus(t, w, 200)
	if strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("list = %s", w.Body)
	}
	w = e.do("POST", "/api/contents/a.txt/checkpoints", "")
	wantStatus(t, w, 201)
	if loc := w.Header().Get("Location"); loc != "/api/contents/a.txt/checkpoints/checkpoint" {
		t.Errorf("Location %q", loc)
	}
	if m := decode(t, w); m["id"] != "checkpoint" || m["last_modified"] == nil || len(m) != 2 {
		t.Errorf("checkpoint %v", m)
	}
	w = e.do("GET", "/api/contents/a.txt/checkpoints", "")
	var list []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list) != 1 || list[0]["id"] != "checkpoint" {
		t.Errorf("list %s", w.Body)
	}
	e.write("a.txt", "v2")
	wantStatus(t, e.do("POST", "/api/contents/a.txt/checkpoints/checkpoint", ""), 204)
	if got, _ := e.read("a.txt"); got != "v1" {
		t.Errorf("restored %q", got)
	}
	wantStatus(t, e.do("POST", "/api/contents/a.txt/checkpoints/other", ""), 404)
	wantStatus(t, e.do("DELETE", "/api/contents/a.txt/checkpoints/checkpoint", ""), 204)
	wantStatus(t, e.do("DELETE", "/api/contents/a.txt/checkpoints/checkpoint", ""), 404)
	wantStatus(t, e.do("POST", "/api/contents/a.txt/checkpoints/checkpoint", ""), 404)
	wantStatus(t, e.do("POST", "/api/contents/missing/checkpoints", ""), 404)
	// A file literally named "checkpoints" stays reachable for PUT.
	wantStatus(t, e.do("PUT", "/api/contents/checkpoints", `{"type":"file","format":"text","content":"x"}`), 201)
}

type fakeNotary struct {
	trusted bool
	signed  int
}

func (n *fakeNotary) Trusted(*nbformat.Notebook) bool { return n.trusted }
func (n *fakeNotary) Sign(*nbformat.Notebook) error   { n.signed++; return nil }

func TestTrust(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.write("n.ipynb", `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	wantStatus(t, e.do("POST", "/api/contents/n.ipynb/trust", ""), 501)

	n := &fakeNotary{trusted: true}
	e = newEnv(t, envOpt{notary: n})
	e.write("n.ipynb", `{"cells":[{"cell_type":"code","execution_count":null,"id":"a","metadata":{},"outputs":[],"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	w := e.do("POST", "/api/contents/n.ipynb/trust", "")
	wantStatus(t, w, 201)
	if n.signed != 1 || w.Body.Len() != 0 {
		t.Errorf("signed %d, body %q", n.signed, w.Body)
	}
	w = e.do("GET", "/api/contents/n.ipynb", "")
	if !strings.Contains(w.Body.String(), `"trusted":true`) {
		t.Errorf("not marked trusted: %s", w.Body)
	}
	wantStatus(t, e.do("PUT", "/api/contents/n.ipynb", `{"type":"notebook","content":{"cells":[{"cell_type":"code","execution_count":null,"id":"a","metadata":{"trusted":true},"outputs":[],"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}}`), 200)
	if n.signed != 2 {
		t.Errorf("trusted save signed %d times", n.signed)
	}
	// As Jupyter's check_cells: an untrusted cell without rich output is
	// safe and still signed; one with HTML output is not.
	wantStatus(t, e.do("PUT", "/api/contents/n.ipynb", `{"type":"notebook","content":{"cells":[{"cell_type":"code","execution_count":null,"id":"a","metadata":{"trusted":false},"outputs":[{"output_type":"stream","name":"stdout","text":"x"}],"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}}`), 200)
	if n.signed != 3 {
		t.Errorf("a save with only stream output was not signed (%d)", n.signed)
	}
	wantStatus(t, e.do("PUT", "/api/contents/n.ipynb", `{"type":"notebook","content":{"cells":[{"cell_type":"code","execution_count":1,"id":"a","metadata":{"trusted":false},"outputs":[{"output_type":"display_data","data":{"text/html":"<script>x()</script>"},"metadata":{}}],"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}}`), 200)
	if n.signed != 3 {
		t.Errorf("untrusted save with HTML output signed")
	}
	if disk, _ := e.read("n.ipynb"); strings.Contains(disk, "trusted") {
		t.Errorf("trusted written to disk: %s", disk)
	}
}

func TestRecoverBackup(t *testing.T) {
	e := newEnv(t, envOpt{})
	good := `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	e.write("n.ipynb", `{"cells": [`)
	e.write(".~n.ipynb", good)
	wantStatus(t, e.do("GET", "/api/contents/n.ipynb", ""), 200)
	if got, _ := e.read("n.ipynb"); got != good {
		t.Errorf("not restored: %q", got)
	}
	if got, _ := e.read("n.ipynb.invalid"); got != `{"cells": [` {
		t.Errorf("bad file not kept: %q", got)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, envOpt{})
	w := e.do("OPTIONS", "/api/contents/x", "")
	if w.Code != 405 {
		t.Errorf("OPTIONS = %d", w.Code)
	}
}
