package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"quire/internal/config"
	"quire/internal/fsroot"
	"quire/internal/kernel"
)

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
		for _, tc := range []struct{ path, want string }{
			{"run/x.ipynb", rootDir},
			{"run/sub/x.ipynb", rootDir},
			{"link/x.ipynb", rootDir},
			{"data/x.ipynb", rootDir},
			{"notebook_secret/x.ipynb", rootDir},
			{"notes/x.ipynb", filepath.Join(rootDir, "notes")},
		} {
			o, err := kernel.StartIn(root, tc.path)
			if got := o.Dir; err != nil || got != tc.want {
				t.Errorf("follow=%v StartIn(%q) = %s, %v; want %s", follow, tc.path, got, err, tc.want)
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
