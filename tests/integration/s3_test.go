//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/kernel/wire"
	"quire/internal/s3gw"
)

// s3Bucket is the bucket the S3 runs use; its posix directory is the
// instance's Root, so a test seeds and checks files there as on disk
// (versitygw's posix backend keeps each object as a plain file).
const s3Bucket = "quire"

// s3Opts starts a versitygw for the test and returns the options that
// back a quire with it. Without the binary the test is skipped, or fails
// under make (QUIRE_TEST_S3_REQUIRED=1).
func s3Opts(t *testing.T) opts {
	t.Helper()
	bin := s3gw.Binary()
	if bin == "" {
		if s3gw.Required() {
			t.Fatal("versitygw not found (QUIRE_TEST_VERSITYGW or .tools/versitygw): `make integration` installs it")
		}
		t.Skip("versitygw not installed (make integration installs it at .tools/versitygw)")
	}
	g, err := s3gw.Start(context.Background(), bin, filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop) // registered before quire's: quire stops first
	if err := g.MakeBucket(s3Bucket); err != nil {
		t.Fatal(err)
	}
	return opts{
		root: filepath.Join(g.Dir, s3Bucket),
		gw:   g,
		args: []string{"--contents-store", "s3://" + s3Bucket, "--s3-endpoint", g.Endpoint(), "--s3-path-style", "--s3-region", "us-east-1", "--s3-timeout", "5s", "--s3-retries", "1"},
		env:  []string{"AWS_ACCESS_KEY_ID=" + g.Access, "AWS_SECRET_ACCESS_KEY=" + g.Secret},
	}
}

// forEachStore runs fn against a quire on the disk store and again on the
// S3 store; fn starts the instance from the options it is given (adding
// its own arguments).
func forEachStore(t *testing.T, fn func(t *testing.T, o opts)) {
	t.Run("disk", func(t *testing.T) { fn(t, opts{}) })
	t.Run("s3", func(t *testing.T) { fn(t, s3Opts(t)) })
}

func (o opts) with(args ...string) opts {
	o.args = append(append([]string(nil), o.args...), args...)
	return o
}

// TestContentsEveryStore walks every contents operation the UI uses and
// checks the answers are the same on both stores.
func TestContentsEveryStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, o opts) {
		in := startQuire(t, o)
		call := func(method, path string, body any, want int) map[string]any {
			t.Helper()
			var r *http.Request
			if body != nil {
				r = in.req(method, path, jsonBody(t, body))
			} else {
				r = in.req(method, path, nil)
			}
			status, b, _ := in.do(r)
			if status != want {
				t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, b)
			}
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			return m
		}
		names := func(dir string) []string {
			t.Helper()
			m := call("GET", "api/contents/"+dir, nil, 200)
			var out []string
			for _, e := range m["content"].([]any) {
				out = append(out, e.(map[string]any)["name"].(string))
			}
			return out
		}
		// Create: an untitled notebook, file and directory.
		nb := call("POST", "api/contents", map[string]any{"type": "notebook"}, 201)
		if nb["path"] != "Untitled.ipynb" {
			t.Fatalf("untitled notebook = %v", nb["path"])
		}
		call("POST", "api/contents", map[string]any{"type": "file", "ext": ".txt"}, 201)
		call("POST", "api/contents", map[string]any{"type": "directory"}, 201)
		call("PUT", "api/contents/work", map[string]any{"type": "directory"}, 201)
		call("PUT", "api/contents/work/empty", map[string]any{"type": "directory"}, 201)
		// Save and get a notebook, a text file and a binary file.
		content := map[string]any{"cells": []any{map[string]any{"cell_type": "markdown", "id": "a", "metadata": map[string]any{}, "source": "# hi"}}, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5}
		saved := call("PUT", "api/contents/work/a.ipynb", map[string]any{"type": "notebook", "content": content}, 201)
		if saved["type"] != "notebook" {
			t.Errorf("save = %v", saved)
		}
		got := call("GET", "api/contents/work/a.ipynb?content=1&hash=1", nil, 200)
		if cells := got["content"].(map[string]any)["cells"].([]any); len(cells) != 1 || got["hash"] == nil {
			t.Errorf("GET notebook = %v", got)
		}
		hash := got["hash"].(string)
		call("PUT", "api/contents/work/t.txt", map[string]any{"type": "file", "format": "text", "content": "héllo"}, 201)
		if got := call("GET", "api/contents/work/t.txt?type=file&format=text", nil, 200); got["content"] != "héllo" {
			t.Errorf("text = %v", got["content"])
		}
		bin := []byte{0, 1, 2, 255}
		call("PUT", "api/contents/work/b.bin", map[string]any{"type": "file", "format": "base64", "content": base64.StdEncoding.EncodeToString(bin)}, 201)
		if got := call("GET", "api/contents/work/b.bin", nil, 200); got["format"] != "base64" || strings.TrimSpace(fmt.Sprint(got["content"])) != base64.StdEncoding.EncodeToString(bin) {
			t.Errorf("base64 = %v %v", got["format"], got["content"])
		}
		// Hidden files stay hidden; empty directories stay listed.
		call("PUT", "api/contents/work/.secret", map[string]any{"type": "file", "format": "text", "content": "x"}, 400)
		if err := os.WriteFile(filepath.Join(in.Root, "work", ".hidden"), []byte("h"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names("work"), ","); got != "a.ipynb,b.bin,empty,t.txt" {
			t.Errorf("listing = %s", got)
		}
		call("GET", "api/contents/work/.hidden", nil, 404)
		// Conflict-safe saves: the right hash saves, a stale one is 412.
		r := in.req("PUT", "api/contents/work/a.ipynb", jsonBody(t, map[string]any{"type": "notebook", "content": content}))
		r.Header.Set("If-Match", `"`+hash+`"`)
		if status, b, _ := in.do(r); status != 200 {
			t.Fatalf("If-Match current: %d %s", status, b)
		}
		call("PUT", "api/contents/work/t.txt", map[string]any{"type": "file", "format": "text", "content": "changed"}, 200)
		r = in.req("PUT", "api/contents/work/t.txt", jsonBody(t, map[string]any{"type": "file", "format": "text", "content": "mine"}))
		r.Header.Set("If-Match", `"`+hash+`"`)
		if status, b, _ := in.do(r); status != 412 {
			t.Fatalf("If-Match stale: %d %s", status, b)
		}
		// Checkpoints: create, list, restore, delete.
		cp := call("POST", "api/contents/work/t.txt/checkpoints", nil, 201)
		call("PUT", "api/contents/work/t.txt", map[string]any{"type": "file", "format": "text", "content": "later"}, 200)
		var list []map[string]any
		status, b, _ := in.do(in.req("GET", "api/contents/work/t.txt/checkpoints", nil))
		if json.Unmarshal(b, &list); status != 200 || len(list) != 1 {
			t.Fatalf("checkpoints = %d %s", status, b)
		}
		call("POST", "api/contents/work/t.txt/checkpoints/"+cp["id"].(string), nil, 204)
		if got := call("GET", "api/contents/work/t.txt", nil, 200); got["content"] != "changed" {
			t.Errorf("restored = %v", got["content"])
		}
		call("DELETE", "api/contents/work/t.txt/checkpoints/"+cp["id"].(string), nil, 204)
		// Copy, rename (file and directory), delete.
		cp2 := call("POST", "api/contents/work", map[string]any{"copy_from": "work/a.ipynb"}, 201)
		if cp2["path"] != "work/a-Copy1.ipynb" {
			t.Errorf("copy = %v", cp2["path"])
		}
		call("PATCH", "api/contents/work/a-Copy1.ipynb", map[string]any{"path": "work/renamed.ipynb"}, 200)
		call("PATCH", "api/contents/work", map[string]any{"path": "moved"}, 200)
		if got := strings.Join(names("moved"), ","); got != "a.ipynb,b.bin,empty,renamed.ipynb,t.txt" {
			t.Errorf("after renames = %s", got)
		}
		call("GET", "api/contents/work", nil, 404)
		call("DELETE", "api/contents/moved/renamed.ipynb", nil, 204)
		call("GET", "api/contents/moved/renamed.ipynb", nil, 404)
		// Chunked upload: three 1 MiB chunks, visible only at the end.
		chunk := bytes.Repeat([]byte("z"), 1<<20)
		for i, n := range []int{1, 2, -1} {
			want := 200
			if i == 0 {
				want = 201
			}
			call("PUT", "api/contents/moved/up.bin", map[string]any{"type": "file", "format": "base64", "chunk": n, "content": base64.StdEncoding.EncodeToString(chunk)}, want)
			if n != -1 {
				call("GET", "api/contents/moved/up.bin", nil, 404)
			}
		}
		if got := call("GET", "api/contents/moved/up.bin?content=0", nil, 200); got["size"] != float64(3<<20) {
			t.Errorf("uploaded size = %v", got["size"])
		}
		// /files/ with a Range, and an export.
		r = in.req("GET", "files/moved/t.txt", nil)
		r.Header.Set("Range", "bytes=2-4")
		if status, b, _ := in.do(r); status != 206 || string(b) != "ang" {
			t.Errorf("range = %d %q", status, b)
		}
		if status, b, _ := in.do(in.req("GET", "nbconvert/markdown/moved/a.ipynb", nil)); status != 200 || !strings.Contains(string(b), "# hi") {
			t.Errorf("export = %d %.200s", status, b)
		}
		// Delete a directory (to the trash by default).
		call("DELETE", "api/contents/moved", nil, 204)
		call("GET", "api/contents/moved", nil, 404)
	})
}

// TestS3StoppedMidSave stops the gateway while a large notebook is saved:
// the save answers 502/503 naming the bucket, and once the gateway is
// back the old notebook is whole.
func TestS3StoppedMidSave(t *testing.T) {
	o := s3Opts(t)
	in := startQuire(t, o)
	old := notebookWith("old", 50)
	if status, b, _ := in.do(in.req("PUT", "api/contents/nb.ipynb", jsonBody(t, map[string]any{"type": "notebook", "content": old}))); status != 201 {
		t.Fatalf("first save: %d %s", status, b)
	}
	body, _ := json.Marshal(map[string]any{"type": "notebook", "content": notebookWith("new", 3000)})
	done := make(chan struct{})
	var status int
	var b []byte
	go func() {
		defer close(done)
		status, b, _ = in.do(in.req("PUT", "api/contents/nb.ipynb", bytes.NewReader(body)))
	}()
	time.Sleep(30 * time.Millisecond)
	o.gw.Stop()
	<-done
	t.Logf("the save during the stop answered %d", status)
	if status == 200 {
		t.Log("the save finished before the gateway stopped")
	} else if (status != 502 && status != 503) || !strings.Contains(messageOf(b), s3Bucket) {
		t.Fatalf("save with the gateway stopped: %d %s", status, b)
	}
	status, b, _ = in.do(in.req("GET", "api/contents/nb.ipynb", nil))
	if status != 503 || !strings.Contains(messageOf(b), s3Bucket) {
		t.Errorf("GET with the gateway stopped: %d %s", status, b)
	}
	if err := o.gw.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	status, b, _ = in.do(in.req("GET", "api/contents/nb.ipynb", nil))
	var m struct {
		Content struct {
			Cells    []any
			Metadata struct{ Marker string }
		}
	}
	if status != 200 || json.Unmarshal(b, &m) != nil {
		t.Fatalf("GET after restart: %d %.300s", status, b)
	}
	if !(m.Content.Metadata.Marker == "old" && len(m.Content.Cells) == 50) && !(m.Content.Metadata.Marker == "new" && len(m.Content.Cells) == 3000) {
		t.Fatalf("after the interrupted save: marker %q, %d cells (a mix)", m.Content.Metadata.Marker, len(m.Content.Cells))
	}
}

// TestS3AbandonedUpload: an upload that stops sending chunks is aborted
// after --upload-expiry (its multipart parts leave the gateway) and a late
// chunk is refused.
func TestS3AbandonedUpload(t *testing.T) {
	o := s3Opts(t)
	in := startQuire(t, o.with("--upload-expiry", "2s"))
	chunk := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("q"), 1<<20))
	for n := 1; n <= 6; n++ { // past 5 MiB: a multipart upload with a part
		status, b, _ := in.do(in.req("PUT", "api/contents/big.bin", jsonBody(t, map[string]any{"type": "file", "format": "base64", "chunk": n, "content": chunk})))
		if status != 200 && status != 201 {
			t.Fatalf("chunk %d: %d %s", n, status, b)
		}
	}
	multipart := filepath.Join(in.Root, ".sgwtmp", "multipart")
	if entries, _ := os.ReadDir(multipart); len(entries) == 0 {
		t.Fatalf("no multipart upload in progress in %s", multipart)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries, _ := os.ReadDir(multipart)
		if len(entries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned upload is still there after 15 s: %v", entries)
		}
		time.Sleep(200 * time.Millisecond)
	}
	status, b, _ := in.do(in.req("PUT", "api/contents/big.bin", jsonBody(t, map[string]any{"type": "file", "format": "base64", "chunk": -1, "content": chunk})))
	if status != 400 || !strings.Contains(messageOf(b), "No chunked upload in progress") {
		t.Fatalf("late chunk: %d %s", status, b)
	}
	if status, _, _ := in.do(in.req("GET", "api/contents/big.bin", nil)); status != 404 {
		t.Errorf("GET of the abandoned upload: %d", status)
	}
}

// TestS3WrongCredentials: the server starts, says in its log that S3
// refuses it, and answers 502 naming the bucket, never 500.
func TestS3WrongCredentials(t *testing.T) {
	o := s3Opts(t)
	o.env = []string{"AWS_ACCESS_KEY_ID=" + o.gw.Access, "AWS_SECRET_ACCESS_KEY=not-the-secret"}
	in := startQuire(t, o)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "api/contents", ""},
		{"PUT", "api/contents/x.txt", `{"type":"file","format":"text","content":"x"}`},
		{"POST", "api/contents", `{"type":"notebook"}`},
		{"GET", "files/x.txt", ""},
	} {
		status, b, _ := in.do(in.req(tc.method, tc.path, strings.NewReader(tc.body)))
		if status != 502 || (tc.path != "files/x.txt" && !strings.Contains(messageOf(b), s3Bucket)) {
			t.Errorf("%s %s = %d %s; want 502 naming the bucket", tc.method, tc.path, status, b)
		}
		if strings.Contains(string(b), "not-the-secret") {
			t.Errorf("the answer holds the secret: %s", b)
		}
	}
	if !strings.Contains(in.Stderr.String(), "S3 store not reachable at start") {
		t.Errorf("the log does not say S3 refused the start:\n%s", in.Stderr)
	}
	if strings.Contains(in.Stderr.String(), "not-the-secret") || strings.Contains(in.Stderr.String(), o.gw.Secret) {
		t.Error("the log holds a secret")
	}
}

// TestS3Listing5000 lists a directory of 5000 objects through the API.
func TestS3Listing5000(t *testing.T) {
	o := s3Opts(t)
	dir := filepath.Join(o.root, "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("n%04d.txt", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := startQuire(t, o)
	status, b, _ := in.do(in.req("GET", "api/contents/many", nil))
	var m struct {
		Content []struct {
			Name string
			Size int
		}
	}
	if status != 200 || json.Unmarshal(b, &m) != nil {
		t.Fatalf("listing: %d %.300s", status, b)
	}
	if len(m.Content) != 5000 {
		t.Fatalf("listing has %d entries, want 5000", len(m.Content))
	}
	seen := map[string]bool{}
	for _, e := range m.Content {
		if seen[e.Name] || e.Size != 1 {
			t.Fatalf("entry %+v", e)
		}
		seen[e.Name] = true
	}
}

// TestS3Doctor: quire doctor reaches the bucket and says saves are
// conflict-safe (versitygw honours conditional PUTs); with a wrong secret
// it fails naming the bucket and nothing secret.
func TestS3Doctor(t *testing.T) {
	o := s3Opts(t)
	in := startQuire(t, o)
	r, _ := runDoctor(t, in, o.env, o.args...)
	if level, text, ok := r.find("s3.reach"); !ok || level != "ok" {
		t.Errorf("s3.reach = %s %s\n%s", level, text, r)
	}
	if level, text, ok := r.find("s3.conditional"); !ok || level != "ok" {
		t.Errorf("s3.conditional = %s %s\n%s", level, text, r)
	}
	bad := []string{"AWS_ACCESS_KEY_ID=" + o.gw.Access, "AWS_SECRET_ACCESS_KEY=not-the-secret"}
	r, code := runDoctor(t, in, bad, o.args...)
	level, text, ok := r.find("s3.reach")
	if !ok || level != "error" || code == 0 || !strings.Contains(text, s3Bucket) || strings.Contains(text, "not-the-secret") {
		t.Errorf("wrong secret: exit %d, s3.reach = %s %q", code, level, text)
	}
}

// TestS3KernelRoot: with the S3 store, kernels run in --kernel-root-dir
// (they cannot open() an S3 key), whatever the notebook's directory in the
// bucket, and JPY_SESSION_NAME still names the notebook.
func TestS3KernelRoot(t *testing.T) {
	needIPyKernel(t)
	o := s3Opts(t)
	kroot := filepath.Join(t.TempDir(), "kernel-root")
	in := startQuire(t, o.with("--kernel-root-dir", kroot))
	if status, b, _ := apiJSON(t, in, "PUT", "api/contents/proj", map[string]any{"type": "directory"}); status != 201 {
		t.Fatalf("mkdir: %d %s", status, b)
	}
	status, b, _ := apiJSON(t, in, "POST", "api/sessions", map[string]any{"path": "proj/a.ipynb", "type": "notebook", "kernel": map[string]any{"name": "python3"}})
	if status != 201 {
		t.Fatalf("POST session: %d %s", status, b)
	}
	var s sessionModel
	decode(t, "session", b, &s)
	w := mustDial(t, in, s.Kernel.ID, wire.NewID(), false)
	r := w.execute("import os; print(os.getcwd()); print(os.environ.get('JPY_SESSION_NAME'))", 30*time.Second)
	if want := kroot + "\nproj/a.ipynb\n"; r.Stdout != want {
		t.Errorf("kernel cwd and JPY_SESSION_NAME %q, want %q", r.Stdout, want)
	}
	if fi, err := os.Stat(kroot); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("kernel root: %v, %v; want a 0700 directory made at start", fi, err)
	}
}

// TestS3TwoServers: two servers on one bucket (a user's server started
// on another machine) see each other's saves at once, and a save based
// on a stale hash is refused on either.
func TestS3TwoServers(t *testing.T) {
	o := s3Opts(t)
	a, b := startQuire(t, o), startQuire(t, o)
	save := func(in *instance, text, ifMatch string) (int, map[string]any) {
		t.Helper()
		r := in.req("PUT", "api/contents/shared.txt", jsonBody(t, map[string]any{"type": "file", "format": "text", "content": text}))
		if ifMatch != "" {
			r.Header.Set("If-Match", `"`+ifMatch+`"`)
		}
		status, body, _ := in.do(r)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return status, m
	}
	if status, _ := save(a, "from a", ""); status != 201 {
		t.Fatalf("save on a: %d", status)
	}
	status, body, _ := b.do(b.req("GET", "api/contents/shared.txt?hash=1", nil))
	var m map[string]any
	if json.Unmarshal(body, &m); status != 200 || m["content"] != "from a" {
		t.Fatalf("b reads a's save: %d %s", status, body)
	}
	hash := m["hash"].(string)
	if status, _ := save(a, "a again", hash); status != 200 {
		t.Fatalf("a saves on the hash: %d", status)
	}
	if status, _ := save(b, "b, from a stale copy", hash); status != 412 {
		t.Fatalf("b saves on a stale hash: %d, want 412", status)
	}
	status, body, _ = a.do(a.req("GET", "api/contents/shared.txt", nil))
	if json.Unmarshal(body, &m); status != 200 || m["content"] != "a again" {
		t.Errorf("after the refused save: %d %s", status, body)
	}
}

// TestS3CredentialsKeptFromKernelsAndTerminals: with the S3 store, the
// AWS variables that gave Quire its bucket credentials are Quire's
// secrets (config's ChildEnv, the one place that decides): a kernel's
// os.environ and a terminal's env hold none of them, while AWS_REGION
// and ordinary variables pass. With the disk store they are the user's
// own and a kernel keeps them.
func TestS3CredentialsKeptFromKernelsAndTerminals(t *testing.T) {
	needIPyKernel(t)
	const session = "sessiontoken0123456789"
	forEachStore(t, func(t *testing.T, o opts) {
		s3 := o.gw != nil
		access, secret := "AKIADISKSTOREUSER", "disk-store-user-secret"
		if s3 {
			access, secret = o.gw.Access, o.gw.Secret
		}
		o.env = []string{"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_REGION=us-east-1", "QUIRE_TEST_PLAIN=kept"}
		if !s3 {
			// The gateway checks no session token, but a signed request
			// carrying one it does not know is refused: only the disk
			// run has one.
			o.env = append(o.env, "AWS_SESSION_TOKEN="+session)
		}
		in := startQuire(t, o.with("--kernel-root-dir", filepath.Join(t.TempDir(), "kroot")))
		k := startKernel(t, in)
		w := mustDial(t, in, k.ID, wire.NewID(), false)
		defer w.close()
		r := w.execute("import os; print(sorted(k for k in os.environ if k.startswith('AWS_'))); print(os.environ.get('QUIRE_TEST_PLAIN'))\n"+
			"print(any(v in ("+pyStr(access)+", "+pyStr(secret)+", "+pyStr(session)+") for v in os.environ.values()))", 60*time.Second)
		want := "['AWS_REGION']\nkept\nFalse\n"
		if !s3 {
			want = "['AWS_ACCESS_KEY_ID', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']\nkept\nTrue\n"
		}
		if r.Stdout != want {
			t.Errorf("kernel environment: stdout %q, want %q", r.Stdout, want)
		}
		if !s3 {
			return
		}
		name := mustCreateTerminal(t, in, nil)
		tw := mustDialTerminal(t, in, name)
		tw.send("stdin", "echo N=$(env | grep -cE 'AWS_ACCESS|AWS_SECRET|AWS_SESSION|"+access+"|"+secret+"') R=$AWS_REGION P=$QUIRE_TEST_PLAIN\r")
		if m := tw.until(`N=(\d+) R=([\w-]*) P=(\w*)`); m[1] != "0" || m[2] != "us-east-1" || m[3] != "kept" {
			t.Errorf("terminal environment: %s credential lines, AWS_REGION %q, plain %q", m[1], m[2], m[3])
		}
	})
}

// TestChunkedUploadRecheckedAtCompletion: a chunked upload sent with
// If-Match on chunk 1 is held to it when its last chunk completes it. A
// save another client makes in between (on S3, through a second server on
// the same bucket; on disk, through the same server) is never
// overwritten: the last chunk answers 412 and the other save stays. Both
// upload shapes on S3: one PUT at completion (under 5 MiB) and a
// multipart upload (a conditional CompleteMultipartUpload).
func TestChunkedUploadRecheckedAtCompletion(t *testing.T) {
	forEachStore(t, func(t *testing.T, o opts) {
		a := startQuire(t, o)
		b := a
		if o.gw != nil {
			b = startQuire(t, o)
		}
		put := func(in *instance, body map[string]any, ifMatch string) (int, string) {
			t.Helper()
			r := in.req("PUT", "api/contents/shared.bin", jsonBody(t, body))
			if ifMatch != "" {
				r.Header.Set("If-Match", `"`+ifMatch+`"`)
			}
			status, resp, _ := in.do(r)
			return status, string(resp)
		}
		hashOf := func() (string, string) {
			t.Helper()
			status, body, _ := a.do(a.req("GET", "api/contents/shared.bin?hash=1&format=text&type=file", nil))
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil || status != 200 {
				t.Fatalf("GET: %d %s", status, body)
			}
			return m["hash"].(string), m["content"].(string)
		}
		for _, size := range []int{10, 3 << 20} {
			chunk := func(n int) map[string]any {
				return map[string]any{"type": "file", "format": "base64", "chunk": n,
					"content": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'c'}, size))}
			}
			if st, body := put(a, map[string]any{"type": "file", "format": "text", "content": "v1"}, ""); st != 200 && st != 201 {
				t.Fatalf("seed: %d %s", st, body)
			}
			h, _ := hashOf()
			if st, body := put(a, chunk(1), h); st != 200 && st != 201 {
				t.Fatalf("size %d: chunk 1 on the current hash: %d %s", size, st, body)
			}
			if st, body := put(a, chunk(2), ""); st != 200 && st != 201 {
				t.Fatalf("size %d: chunk 2: %d %s", size, st, body)
			}
			if st, body := put(b, map[string]any{"type": "file", "format": "text", "content": "the other save"}, ""); st != 200 {
				t.Fatalf("size %d: the other save: %d %s", size, st, body)
			}
			st, body := put(a, chunk(-1), "")
			if st != http.StatusPreconditionFailed || !strings.Contains(body, "changed on the server") {
				t.Errorf("size %d: last chunk after another save: %d %s, want 412", size, st, body)
			}
			if _, got := hashOf(); got != "the other save" {
				t.Errorf("size %d: after the refused upload: %.40q, want the other save", size, got)
			}
			// Nothing in between: the upload completes.
			h, _ = hashOf()
			for _, n := range []int{1, 2, -1} {
				if st, body := put(a, chunk(n), map[bool]string{true: h}[n == 1]); st != 200 && st != 201 {
					t.Fatalf("size %d: undisturbed chunk %d: %d %s", size, n, st, body)
				}
			}
			if _, got := hashOf(); len(got) != 3*size {
				t.Errorf("size %d: undisturbed upload left %d bytes, want %d", size, len(got), 3*size)
			}
		}
	})
}
