package kernel_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/errkind"
	"quire/internal/fsroot"
	"quire/internal/kernel"
)

// A kernel starts in its notebook's directory, or the nearest existing one
// above it, never outside the root unless symlinks may be followed; the
// notebook's path goes with it unchanged.
func TestStartIn(t *testing.T) {
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
			o, err := kernel.StartIn(root, tc.path)
			if err != nil || o.Dir != tc.want || o.Path != tc.path {
				t.Errorf("follow=%v StartIn(%q) = %+v, %v; want Dir %s, Path %q", follow, tc.path, o, err, tc.want, tc.path)
			}
		}
	}

	// A name too long to exist is the client's mistake, said plainly.
	root, err := fsroot.Open(rootDir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	long := strings.Repeat("n", fsroot.MaxName+1) + ".ipynb"
	if _, err := kernel.StartIn(root, long); errkind.Of(err) != errkind.Invalid || !strings.Contains(err.Error(), "path too long") {
		t.Errorf("StartIn(too long) = %v; want errkind.Invalid, path too long", err)
	}
}
