//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Quire refuses to start with a runtime or data directory other users may
// write (they could plant files or symlinks there to catch the token,
// connection keys or cookie secret), naming the directory and the fix
// (issue #14 hole 3).
func TestRefusesSharedDirs(t *testing.T) {
	for _, which := range []string{"--runtime-dir", "--data-dir"} {
		for _, mode := range []os.FileMode{0o777, 0o770, 0o777 | os.ModeSticky} {
			dir := filepath.Join(t.TempDir(), "shared")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			in := startQuire(t, opts{args: []string{which, dir}, noWait: true})
			err := in.waitExit(30 * time.Second)
			if err == nil || !strings.Contains(in.Stderr.String(), "chmod 700 "+dir) {
				t.Errorf("%s %s (mode %v): exit %v, stderr %q; want a refusal naming the fix", which, dir, mode, err, in.Stderr)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("%s %s: files written into the refused dir: %v", which, dir, ents)
			}
		}
	}
}

// Symlinks planted at the runtime file's names (the old fixed temporary
// name quire-<pid>.json.tmp, and the final name) never receive the token:
// the file is written under a random name with O_EXCL|O_NOFOLLOW and
// renamed over the link.
func TestRuntimeFileIgnoresPlantedLinks(t *testing.T) {
	in := startQuire(t, opts{noWait: true})
	pid := in.cmd.Process.Pid
	victims := t.TempDir()
	if err := os.MkdirAll(in.RuntimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	plant := func(name string) string {
		target := filepath.Join(victims, name)
		if err := os.WriteFile(target, []byte("original"), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(in.RuntimeDir, name)
		if err := os.Symlink(target, link); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		return target
	}
	tmpVictim := plant(fmt.Sprintf("quire-%d.json.tmp", pid))
	finalVictim := plant(fmt.Sprintf("quire-%d.json", pid))
	in.waitReady()
	for _, v := range []string{tmpVictim, finalVictim} {
		if b, _ := os.ReadFile(v); string(b) != "original" {
			t.Errorf("%s, the target of a planted link, now holds %q", v, b)
		}
	}
	p := filepath.Join(in.RuntimeDir, fmt.Sprintf("quire-%d.json", pid))
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("runtime file %s: %v, %v; want a 0600 regular file", p, fi.Mode(), err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), in.Token) {
		t.Errorf("runtime file lacks the token")
	}
}

// Files holding secrets are private: the data dir and its cookie secret,
// session store and runtime file; nbsignatures.db (created by Quire when
// a notebook is trusted) is 0600, not SQLite's 0644.
func TestPrivateFileModes(t *testing.T) {
	trustDir := filepath.Join(t.TempDir(), "jupyter")
	in := startQuire(t, opts{args: []string{"--trust-data-dir", trustDir}})
	nb := `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	if err := os.WriteFile(filepath.Join(in.Root, "a.ipynb"), []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	// Saving a notebook through the API signs it: the database is created.
	status, b, _ := apiJSON(t, in, "PUT", "api/contents/a.ipynb", map[string]any{"type": "notebook", "content": map[string]any{"cells": []any{}, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5}})
	if status != 200 {
		t.Fatalf("save notebook: %d %s", status, b)
	}
	if err := in.stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{
		{in.DataDir, 0o700 | os.ModeDir},
		{in.RuntimeDir, 0o700 | os.ModeDir},
		{filepath.Join(in.DataDir, "quire_cookie_secret"), 0o600},
		{filepath.Join(trustDir, "notebook_secret"), 0o600},
		{filepath.Join(trustDir, "nbsignatures.db"), 0o600},
	} {
		fi, err := os.Lstat(tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if fi.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.path, fi.Mode(), tc.mode)
		}
	}
}
