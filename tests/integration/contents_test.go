//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawRequest sends a request line exactly as given (no client-side path
// cleaning), so that traversal probes reach the server unmodified.
func rawRequest(t *testing.T, in *instance, method, target string, body []byte) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", method, target, in.Token, len(body))
	conn.Write(body)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var buf bytes.Buffer
	buf.ReadFrom(conn)
	resp := buf.String()
	var code int
	fmt.Sscanf(resp, "HTTP/1.1 %d", &code)
	return code, resp
}

func TestTraversalAndSymlinkProbes(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("TOP-SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	sibling := filepath.Join(parent, "root2") // the /root vs /root2 prefix trick
	for _, d := range []string{root, sibling, filepath.Join(root, "sub")} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(sibling, "secret.txt"), []byte("TOP-SECRET"), 0o644)
	os.WriteFile(filepath.Join(root, "sub", "ok.txt"), []byte("fine"), 0o644)
	os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "link-file"))
	os.Symlink(outside, filepath.Join(root, "link-dir"))
	os.Symlink("sub/ok.txt", filepath.Join(root, "inside-link"))
	os.Symlink("/etc/passwd", filepath.Join(root, "passwd"))

	in := startQuire(t, opts{root: root})
	reads := []string{
		"/api/contents/../root2/secret.txt",
		"/api/contents/..%2froot2%2fsecret.txt",
		"/api/contents/%2e%2e/root2/secret.txt",
		"/api/contents/%2e%2e%2froot2%2fsecret.txt",
		"/api/contents/sub/../../root2/secret.txt",
		"/api/contents//etc/passwd",
		"/api/contents/%2fetc%2fpasswd",
		"/api/contents/link-file",
		"/api/contents/link-dir/secret.txt",
		"/api/contents/passwd",
		"/api/contents/..%5croot2%5csecret.txt",
		"/files/link-file",
		"/files/link-dir/secret.txt",
		"/files/..%2froot2/secret.txt",
		"/files/%2e%2e/root2/secret.txt",
		"/api/contents/link-dir?content=1",
		"/api/contents/sub%00/ok.txt",
	}
	for _, p := range reads {
		code, resp := rawRequest(t, in, "GET", p, nil)
		if strings.Contains(resp, "TOP-SECRET") || strings.Contains(resp, "root:x:0") {
			t.Errorf("GET %s leaked the outside file (%d)", p, code)
		}
		if code == 200 || code >= 500 {
			t.Errorf("GET %s: status %d, want a 3xx/4xx refusal", p, code)
		}
	}
	// A symlink that stays inside the root works.
	if code, resp := rawRequest(t, in, "GET", "/api/contents/inside-link?content=1", nil); code != 200 || !strings.Contains(resp, "fine") {
		t.Errorf("inside symlink: %d", code)
	}

	writeBody := []byte(`{"type":"file","format":"text","content":"PWNED"}`)
	writes := []struct{ method, target string }{
		{"PUT", "/api/contents/link-dir/new.txt"},
		{"PUT", "/api/contents/link-file"},
		{"PUT", "/api/contents/..%2froot2%2fnew.txt"},
		{"PUT", "/api/contents/%2e%2e/root2/new.txt"},
		{"DELETE", "/api/contents/link-dir/secret.txt"},
		{"POST", "/api/contents/link-dir"},
		{"POST", "/api/contents/link-dir/checkpoints"},
	}
	for _, w := range writes {
		code, _ := rawRequest(t, in, w.method, w.target, writeBody)
		if code < 300 || code >= 500 {
			t.Errorf("%s %s: status %d, want a refusal", w.method, w.target, code)
		}
	}
	for _, body := range []string{
		`{"path": "../root2/moved.txt"}`,
		`{"path": "link-dir/moved.txt"}`,
		`{"path": "/etc/moved.txt"}`,
	} {
		os.WriteFile(filepath.Join(root, "victim.txt"), []byte("v"), 0o644)
		code, _ := rawRequest(t, in, "PATCH", "/api/contents/victim.txt", []byte(body))
		if code < 300 || code >= 500 {
			t.Errorf("PATCH to %s: status %d, want a refusal", body, code)
		}
	}
	code, _ := rawRequest(t, in, "POST", "/api/contents/sub", []byte(`{"copy_from": "link-dir/secret.txt"}`))
	if code < 300 || code >= 500 {
		t.Errorf("copy_from through a symlink: %d", code)
	}
	// Nothing was written outside.
	for _, dir := range []string{outside, sibling, "/etc"} {
		for _, name := range []string{"new.txt", "moved.txt"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Errorf("a file was written outside the root: %s/%s", dir, name)
			}
		}
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "secret.txt")); string(data) != "TOP-SECRET" {
		t.Errorf("the outside file changed")
	}
}

func TestFollowSymlinksOptIn(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "data.txt"), []byte("shared data"), 0o644)
	root := t.TempDir()
	os.Symlink(outside, filepath.Join(root, "shared"))
	in := startQuire(t, opts{root: root, args: []string{"--follow-symlinks"}})
	status, body, _ := in.do(in.req("GET", "api/contents/shared/data.txt", nil))
	if status != 200 || !strings.Contains(string(body), "shared data") {
		t.Fatalf("--follow-symlinks: %d %s", status, body)
	}
}

func TestBadBodies(t *testing.T) { forEachStore(t, testBadBodies) }

func testBadBodies(t *testing.T, o opts) {
	in := startQuire(t, o.with("--max-body-size", "1MiB"))
	os.WriteFile(filepath.Join(in.Root, "keep.ipynb"), []byte(`{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`+"\n"), 0o644)
	original, _ := os.ReadFile(filepath.Join(in.Root, "keep.ipynb"))
	big := `{"type":"file","format":"text","content":"` + strings.Repeat("x", 2<<20) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		msg                      string
	}{
		{"malformed json", "PUT", "api/contents/keep.ipynb", `{"type": "notebook", "content": `, 400, ""},
		{"cells not a list", "PUT", "api/contents/keep.ipynb", `{"type":"notebook","content":{"cells":{},"metadata":{},"nbformat":4,"nbformat_minor":5}}`, 400, "cells"},
		{"unknown cell type", "PUT", "api/contents/keep.ipynb", `{"type":"notebook","content":{"cells":[{"cell_type":"weird","source":"","metadata":{}}],"metadata":{},"nbformat":4,"nbformat_minor":4}}`, 400, "weird"},
		{"content wrong type", "PUT", "api/contents/keep.ipynb", `{"type":"notebook","content":"not a notebook"}`, 400, ""},
		{"text content not a string", "PUT", "api/contents/x.txt", `{"type":"file","format":"text","content":{"a":1}}`, 400, ""},
		{"bad base64", "PUT", "api/contents/x.bin", `{"type":"file","format":"base64","content":"***"}`, 400, ""},
		{"bad format", "PUT", "api/contents/x.txt", `{"type":"file","format":"rot13","content":"a"}`, 400, "format"},
		{"oversize", "PUT", "api/contents/big.txt", big, 413, "1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := in.req(tc.method, tc.path, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			status, body, _ := in.do(r)
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, body)
			}
			msg := messageOf(body)
			if msg == "" || !strings.Contains(msg, tc.msg) {
				t.Fatalf("message %q should name the problem (%q)", msg, tc.msg)
			}
		})
	}
	if now, _ := os.ReadFile(filepath.Join(in.Root, "keep.ipynb")); !bytes.Equal(now, original) {
		t.Fatalf("a refused save changed the file:\n%s", now)
	}
	for _, name := range []string{"x.txt", "x.bin", "big.txt"} {
		if _, err := os.Stat(filepath.Join(in.Root, name)); err == nil {
			t.Errorf("a refused save created %s", name)
		}
	}
	// A corrupt notebook on disk answers 400 and stays untouched.
	corrupt := []byte(`{"cells": [`)
	os.WriteFile(filepath.Join(in.Root, "corrupt.ipynb"), corrupt, 0o644)
	status, body, _ := in.do(in.req("GET", "api/contents/corrupt.ipynb", nil))
	if status != 400 || messageOf(body) == "" {
		t.Fatalf("corrupt notebook: %d %s", status, body)
	}
	if now, _ := os.ReadFile(filepath.Join(in.Root, "corrupt.ipynb")); !bytes.Equal(now, corrupt) {
		t.Fatal("reading a corrupt notebook changed it")
	}
}

func notebookWith(marker string, cells int) map[string]any {
	cs := make([]any, cells)
	for i := range cs {
		cs[i] = map[string]any{
			"cell_type": "code", "id": fmt.Sprintf("c%d", i), "metadata": map[string]any{},
			"execution_count": i, "source": fmt.Sprintf("print(%q)", marker),
			"outputs": []any{map[string]any{"output_type": "stream", "name": "stdout", "text": strings.Repeat(marker+"\n", 200)}},
		}
	}
	return map[string]any{"cells": cs, "metadata": map[string]any{"marker": marker}, "nbformat": 4, "nbformat_minor": 5}
}

// TestKill9MidSave kills the server while it saves a large notebook over
// and over: the file on disk (or the S3 object) must always be one
// complete version.
func TestKill9MidSave(t *testing.T) { forEachStore(t, testKill9MidSave) }

func testKill9MidSave(t *testing.T, o opts) {
	if o.root == "" {
		o.root = t.TempDir()
	}
	root := o.root
	for round := 0; round < 5; round++ {
		in := startQuire(t, o)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := jsonBody(t, map[string]any{"type": "notebook", "content": notebookWith(fmt.Sprintf("v%d-%d", round, i), 300)})
				r := in.req("PUT", "api/contents/big.ipynb", body)
				r.Header.Set("Authorization", "token "+in.Token)
				resp, err := in.client().Do(r)
				if err != nil {
					return
				}
				resp.Body.Close()
			}
		}()
		time.Sleep(time.Duration(300+round*170) * time.Millisecond)
		in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.exited
		close(stop)
		<-done
		data, err := os.ReadFile(filepath.Join(root, "big.ipynb"))
		if err != nil {
			if round == 0 && os.IsNotExist(err) {
				continue
			}
			t.Fatalf("round %d: %v", round, err)
		}
		var nb struct {
			Cells    []json.RawMessage       `json:"cells"`
			Metadata struct{ Marker string } `json:"metadata"`
		}
		if err := json.Unmarshal(data, &nb); err != nil || len(nb.Cells) != 300 || nb.Metadata.Marker == "" {
			t.Fatalf("round %d: the notebook on disk is partial (%d bytes, %d cells, %v)", round, len(data), len(nb.Cells), err)
		}
	}
	// Leftover temp files from the killed saves never show up as content.
	in := startQuire(t, o)
	status, body, _ := in.do(in.req("GET", "api/contents", nil))
	var dir struct {
		Content []struct{ Name string } `json:"content"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &dir) != nil {
		t.Fatalf("listing: %d %s", status, body)
	}
	for _, e := range dir.Content {
		if e.Name != "big.ipynb" {
			t.Errorf("listing after kills shows %q", e.Name)
		}
	}
}
