package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"quire/internal/config"
	"quire/internal/fsroot"
)

// A kernel starts in its notebook's directory, or the nearest existing one
// above it, never outside the root unless symlinks may be followed.
func TestKernelCwd(t *testing.T) {
	base := t.TempDir()
	rootDir := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(rootDir, "a", "b"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootDir, "a", "nb.ipynb"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(rootDir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b", filepath.Join(rootDir, "in")); err != nil {
		t.Fatal(err)
	}
	for _, follow := range []bool{false, true} {
		root, err := fsroot.Open(rootDir, fsroot.Options{FollowSymlinks: follow})
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		k := &kernels{root: root}
		outWant := rootDir
		if follow {
			outWant = filepath.Join(rootDir, "out")
		}
		for _, tc := range []struct{ path, want string }{
			{"", rootDir},
			{"top.ipynb", rootDir},
			{"a/nb.ipynb", filepath.Join(rootDir, "a")},
			{"a/b/new.ipynb", filepath.Join(rootDir, "a", "b")},
			{"a/b/c/d/deep.ipynb", filepath.Join(rootDir, "a", "b")},
			{"a/b", filepath.Join(rootDir, "a", "b")},
			{"in/x.ipynb", filepath.Join(rootDir, "in")},
			{"out/x.ipynb", outWant},
			{"../outside/x.ipynb", rootDir},
			{"/etc/x.ipynb", rootDir},
		} {
			if got := k.cwd(tc.path); got != tc.want {
				t.Errorf("follow=%v cwd(%q) = %s, want %s", follow, tc.path, got, tc.want)
			}
		}
	}
}

// A kernel for a notebook path inside Quire's state (the runtime, data or
// trust files, served when the root contains them) starts in the nearest
// directory above that is not: it never runs with the secrets as its
// working directory.
func TestKernelCwdStateDirs(t *testing.T) {
	rootDir := t.TempDir()
	for _, d := range []string{"run/sub", "data", "notes"} {
		if err := os.MkdirAll(filepath.Join(rootDir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("run/sub", filepath.Join(rootDir, "link")); err != nil {
		t.Fatal(err)
	}
	s := &server{cfg: &config.Config{
		RuntimeDir:   filepath.Join(rootDir, "run"),
		DataDir:      filepath.Join(rootDir, "data"),
		TrustDataDir: rootDir,
	}}
	for _, follow := range []bool{false, true} {
		root, err := fsroot.Open(rootDir, fsroot.Options{FollowSymlinks: follow, Protected: s.stateDirs()})
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		k := &kernels{root: root}
		for _, tc := range []struct{ path, want string }{
			{"run/x.ipynb", rootDir},
			{"run/sub/x.ipynb", rootDir},
			{"link/x.ipynb", rootDir},
			{"data/x.ipynb", rootDir},
			{"notebook_secret/x.ipynb", rootDir},
			{"notes/x.ipynb", filepath.Join(rootDir, "notes")},
		} {
			if got := k.cwd(tc.path); got != tc.want {
				t.Errorf("follow=%v cwd(%q) = %s, want %s", follow, tc.path, got, tc.want)
			}
		}
	}
}

// A TLS key given with --keyfile inside the root is kept like the state
// directories; its certificate beside it is not secret.
func TestStateDirsKeyFile(t *testing.T) {
	rootDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootDir, "tls"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"key.pem", "cert.pem"} {
		if err := os.WriteFile(filepath.Join(rootDir, "tls", f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := t.TempDir()
	s := &server{cfg: &config.Config{
		RuntimeDir: filepath.Join(base, "run"), DataDir: filepath.Join(base, "data"), TrustDataDir: base,
		KeyFile: filepath.Join(rootDir, "tls", "key.pem"),
	}}
	root, err := fsroot.Open(rootDir, fsroot.Options{Protected: s.stateDirs()})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.Stat("tls/key.pem"); !errors.Is(err, fsroot.ErrProtected) {
		t.Errorf("Stat(tls/key.pem) = %v; want ErrProtected", err)
	}
	if _, err := root.Stat("tls/cert.pem"); err != nil {
		t.Errorf("Stat(tls/cert.pem): %v", err)
	}
}
