//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/s3gw"
)

// s3PrefixOpts is s3Opts with the store under prefix alice/ of the bucket,
// so that there is an "outside" in the bucket to probe for: bob/ (another
// user's prefix) and alice2/ (the alice vs alice2 prefix trick). Root is
// the prefix's directory in the posix backend.
func s3PrefixOpts(t *testing.T) (opts, string) {
	t.Helper()
	o := s3Opts(t)
	bucketDir := o.root
	o.root = filepath.Join(bucketDir, "alice")
	for i, a := range o.args {
		if a == "s3://"+s3Bucket {
			o.args = append([]string(nil), o.args...)
			o.args[i] = "s3://" + s3Bucket + "/alice"
		}
	}
	return o, bucketDir
}

// TestS3TraversalProbes is TestTraversalAndSymlinkProbes for the S3 store
// (symlinks do not exist in S3): "..", encoded %2e%2e and %2f, absolute
// paths, NUL, backslashes, hidden files, .ipynb_checkpoints and the
// store's own prefix (the trash and the move journals under .quire-s3/)
// are reachable neither by the contents API nor by /files/, for reads or
// writes, and nothing is written outside the store's prefix.
func TestS3TraversalProbes(t *testing.T) {
	o, bucketDir := s3PrefixOpts(t)
	const secret = "TOP-SECRET"
	seed := map[string]string{
		"bob/secret.txt":    secret,
		"alice2/secret.txt": secret,
		"alice/sub/ok.txt":  "fine",
		"alice/.hidden.txt": secret,
		"alice/sub/.ipynb_checkpoints/ok-checkpoint.txt":         secret,
		"alice/.quire-s3/trash/20260101T000000.000000000Z/t.txt": secret,
		"alice/.quire-s3/moves/j.json":                           secret,
	}
	for p, data := range seed {
		full := filepath.Join(bucketDir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := startQuire(t, o)
	reads := []string{
		"/api/contents/../alice2/secret.txt",
		"/api/contents/..%2falice2%2fsecret.txt",
		"/api/contents/%2e%2e/alice2/secret.txt",
		"/api/contents/%2e%2e%2falice2%2fsecret.txt",
		"/api/contents/%2E%2E/bob/secret.txt",
		"/api/contents/sub/../../bob/secret.txt",
		"/api/contents/sub/%2e%2e/%2e%2e/bob/secret.txt",
		"/api/contents//bob/secret.txt",
		"/api/contents/%2fbob%2fsecret.txt",
		"/api/contents/..%5calice2%5csecret.txt",
		"/api/contents/sub%5c..%5c..%5cbob%5csecret.txt",
		"/api/contents/sub%00/ok.txt",
		"/api/contents/sub/ok.txt%00",
		"/api/contents/.hidden.txt",
		"/api/contents/sub/.ipynb_checkpoints/ok-checkpoint.txt",
		"/api/contents/sub/.ipynb_checkpoints?content=1",
		"/api/contents/.quire-s3?content=1",
		"/api/contents/.quire-s3/trash/20260101T000000.000000000Z/t.txt",
		"/api/contents/%2equire-s3/moves/j.json",
		"/api/contents/sub/../.quire-s3/trash?content=1",
		"/files/..%2falice2/secret.txt",
		"/files/%2e%2e/bob/secret.txt",
		"/files/.hidden.txt",
		"/files/sub/.ipynb_checkpoints/ok-checkpoint.txt",
		"/files/.quire-s3/trash/20260101T000000.000000000Z/t.txt",
		"/files/.quire-s3/moves/j.json",
		"/api/contents/sub/ok.txt/checkpoints/../../../bob/secret.txt",
	}
	for _, p := range reads {
		code, resp := rawRequest(t, in, "GET", p, nil)
		if strings.Contains(resp, secret) {
			t.Errorf("GET %s leaked a file outside the store or hidden (%d)", p, code)
		}
		if code == 200 || code >= 500 {
			t.Errorf("GET %s: status %d, want a 3xx/4xx refusal", p, code)
		}
	}
	// The root and sub/ list what they should, and no hidden or internal
	// name.
	for _, p := range []string{"/api/contents?content=1", "/api/contents/sub?content=1"} {
		code, resp := rawRequest(t, in, "GET", p, nil)
		if code != 200 || strings.Contains(resp, ".quire-s3") || strings.Contains(resp, ".hidden") || strings.Contains(resp, ".ipynb_checkpoints") || strings.Contains(resp, "alice2") {
			t.Errorf("GET %s: %d, lists a hidden or outside name:\n%s", p, code, resp)
		}
	}
	if code, resp := rawRequest(t, in, "GET", "/api/contents/sub/ok.txt?content=1", nil); code != 200 || !strings.Contains(resp, "fine") {
		t.Errorf("a file inside: %d", code)
	}

	writeBody := []byte(`{"type":"file","format":"text","content":"PWNED"}`)
	for _, w := range []struct{ method, target string }{
		{"PUT", "/api/contents/..%2falice2%2fnew.txt"},
		{"PUT", "/api/contents/%2e%2e/bob/new.txt"},
		{"PUT", "/api/contents/sub%5c..%5c..%5cbob%5cnew.txt"},
		{"PUT", "/api/contents/new.txt%00"},
		{"PUT", "/api/contents/.quire-s3/trash/new.txt"},
		{"PUT", "/api/contents/.quire-s3/moves/new.txt"},
		{"PUT", "/api/contents/.new.txt"},
		{"PUT", "/api/contents/sub/.ipynb_checkpoints/new.txt"},
		{"DELETE", "/api/contents/.quire-s3/trash/20260101T000000.000000000Z/t.txt"},
		{"DELETE", "/api/contents/.quire-s3"},
		{"DELETE", "/api/contents/%2e%2e/bob/secret.txt"},
		{"POST", "/api/contents/.quire-s3/trash"},
		{"POST", "/api/contents/%2e%2e/bob/secret.txt/checkpoints"},
	} {
		code, _ := rawRequest(t, in, w.method, w.target, writeBody)
		if code < 300 || code >= 500 {
			t.Errorf("%s %s: status %d, want a refusal", w.method, w.target, code)
		}
	}
	for _, body := range []string{
		`{"path": "../alice2/moved.txt"}`,
		`{"path": "..\\bob\\moved.txt"}`,
		`{"path": "/bob/moved.txt"}`,
		`{"path": ".quire-s3/trash/moved.txt"}`,
		`{"path": "sub/.ipynb_checkpoints/moved.txt"}`,
	} {
		if err := os.WriteFile(filepath.Join(o.root, "victim.txt"), []byte("v"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _ := rawRequest(t, in, "PATCH", "/api/contents/victim.txt", []byte(body))
		if code < 300 || code >= 500 {
			t.Errorf("PATCH to %s: status %d, want a refusal", body, code)
		}
	}
	for _, from := range []string{"../bob/secret.txt", ".quire-s3/trash/20260101T000000.000000000Z/t.txt", ".hidden.txt", "sub/.ipynb_checkpoints/ok-checkpoint.txt"} {
		code, _ := rawRequest(t, in, "POST", "/api/contents/sub", []byte(`{"copy_from": "`+from+`"}`))
		if code < 300 || code >= 500 {
			t.Errorf("copy_from %s: %d, want a refusal", from, code)
		}
	}
	// Nothing was written outside the prefix, nor into its hidden parts,
	// and the seeded files are intact.
	_ = filepath.WalkDir(bucketDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(bucketDir, p)
		rel = filepath.ToSlash(rel)
		if _, ok := seed[rel]; ok {
			return nil
		}
		if strings.HasPrefix(rel, ".sgwtmp") || rel == "alice/victim.txt" || strings.HasPrefix(rel, "alice/.quire-s3/probe") {
			return nil
		}
		t.Errorf("a probe wrote %s", rel)
		return nil
	})
	for p, data := range seed {
		if got, err := os.ReadFile(filepath.Join(bucketDir, filepath.FromSlash(p))); err != nil || string(got) != data {
			t.Errorf("%s changed: %q, %v", p, got, err)
		}
	}
}

// TestS3LogsHoldNoCredentials: whole runs on the S3 store (the varied
// session of TestLogsHoldNoSecrets, then one of every store operation:
// mkdir, saves, a checkpoint, a chunked upload, copy, a directory rename,
// /files/, deletes; both with an audit log), and a run whose credentials the service
// refuses (with a session token, every request failing and logged), leave
// no access key id, secret key or session token in any log line or audit
// record.
func TestS3LogsHoldNoCredentials(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			o := s3Opts(t)
			audit := filepath.Join(t.TempDir(), "audit.log")
			o.args = append(append([]string(nil), o.args...), "--audit-log", audit, "--audit-execute=hash")
			in := logSecretsSessionOn(t, format, o)
			creds := map[string]string{"access key": o.gw.Access, "secret key": o.gw.Secret}
			checkNoCredentials(t, "log", in.Stderr.String(), creds)
			// Then every kind of store operation, on a second run.
			o.args = append(o.args, "--log-format", format)
			in2 := startQuire(t, o)
			for _, r := range []struct {
				method, path string
				body         map[string]any
			}{
				{"PUT", "api/contents/d", map[string]any{"type": "directory"}},
				{"PUT", "api/contents/d/n.ipynb", map[string]any{"type": "notebook", "content": map[string]any{"cells": []any{}, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5}}},
				{"POST", "api/contents/d/n.ipynb/checkpoints", nil},
				{"PUT", "api/contents/d/up.txt", map[string]any{"type": "file", "format": "text", "content": "one", "chunk": 1}},
				{"PUT", "api/contents/d/up.txt", map[string]any{"type": "file", "format": "text", "content": "two", "chunk": -1}},
				{"POST", "api/contents/d", map[string]any{"copy_from": "d/up.txt"}},
				{"PATCH", "api/contents/d", map[string]any{"path": "e"}},
				{"GET", "api/contents/e?content=1", nil},
				{"GET", "files/e/up.txt", nil},
				{"DELETE", "api/contents/e/up.txt", nil},
				{"DELETE", "api/contents/e", nil},
				{"GET", "api/contents/missing.txt", nil},
			} {
				if status, b, _ := apiJSON(t, in2, r.method, r.path, r.body); status >= 500 || (status >= 400 && !strings.Contains(r.path, "missing")) {
					t.Errorf("%s %s: %d %s", r.method, r.path, status, b)
				}
			}
			if err := in2.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			checkNoCredentials(t, "log", in2.Stderr.String(), creds)
			data, err := os.ReadFile(audit)
			if err != nil || len(data) == 0 {
				t.Fatalf("audit log of both runs: %v (%d bytes)", err, len(data))
			}
			checkNoCredentials(t, "audit record", string(data), creds)
		})
	}
	t.Run("refused", func(t *testing.T) {
		bin := s3gw.Binary()
		if bin == "" {
			t.Skip("versitygw not installed")
		}
		g, err := s3gw.Start(context.Background(), bin, filepath.Join(t.TempDir(), "s3"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Stop)
		if err := g.MakeBucket(s3Bucket); err != nil {
			t.Fatal(err)
		}
		const session = "FwoGZXIvYXdzEquireSessionToken0123456789"
		wrongSecret := "wrong" + randomHex(12)
		audit := filepath.Join(t.TempDir(), "audit.log")
		in := startQuire(t, opts{
			root: filepath.Join(g.Dir, s3Bucket),
			args: []string{"--contents-store", "s3://" + s3Bucket, "--s3-endpoint", g.Endpoint(), "--s3-path-style", "--s3-region", "us-east-1",
				"--s3-timeout", "5s", "--s3-retries", "0", "--log-level", "debug", "--audit-log", audit},
			env: []string{"AWS_ACCESS_KEY_ID=" + g.Access, "AWS_SECRET_ACCESS_KEY=" + wrongSecret, "AWS_SESSION_TOKEN=" + session},
		})
		for _, r := range []struct{ method, path string }{
			{"GET", "api/contents"}, {"GET", "api/contents/a.txt"}, {"PUT", "api/contents/a.txt"},
			{"PATCH", "api/contents/a.txt"}, {"DELETE", "api/contents/a.txt"}, {"GET", "files/a.txt"},
			{"POST", "api/contents/a.txt/checkpoints"},
		} {
			status, body, _ := apiJSON(t, in, r.method, r.path, map[string]any{"type": "file", "format": "text", "content": "x", "path": "b.txt"})
			if status < 400 {
				t.Errorf("%s %s with refused credentials: %d %s", r.method, r.path, status, body)
			}
		}
		time.Sleep(200 * time.Millisecond)
		creds := map[string]string{"access key": g.Access, "secret key": wrongSecret, "session token": session}
		checkNoCredentials(t, "log", in.Stderr.String(), creds)
		data, _ := os.ReadFile(audit)
		checkNoCredentials(t, "audit record", string(data), creds)
		if !strings.Contains(in.Stderr.String(), s3Bucket) {
			t.Errorf("the refused run logged nothing about the bucket:\n%s", in.Stderr.String())
		}
	})
}

func checkNoCredentials(t *testing.T, what, text string, creds map[string]string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		for name, v := range creds {
			if strings.Contains(line, v) {
				t.Errorf("%s holds the %s: %s", what, name, line)
			}
		}
	}
}
