package fsstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/contents/storetest"
	"quire/internal/fsroot"
)

func mustOpenRoot(t *testing.T, dir string) *fsroot.Root {
	t.Helper()
	r, err := fsroot.Open(dir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) contents.Store {
		return fsstore.New(mustOpenRoot(t, t.TempDir()), fsstore.Options{TrashDir: t.TempDir()})
	})
}

func TestWriteKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(p, []byte("old"), 0o751); err != nil {
		t.Fatal(err)
	}
	s := fsstore.New(mustOpenRoot(t, dir), fsstore.Options{})
	if _, err := s.Write(context.Background(), "run.sh", strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o751 {
		t.Fatalf("mode after write = %v, %v", fi.Mode(), err)
	}
}

func TestWriteThroughInsideSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "real.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	s := fsstore.New(mustOpenRoot(t, dir), fsstore.Options{})
	if _, err := s.Write(context.Background(), "link.txt", strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "link.txt")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "real.txt")); string(b) != "new" {
		t.Errorf("target = %q", b)
	}
}

func TestTrashInfo(t *testing.T) {
	dir, trash := t.TempDir(), t.TempDir()
	s := fsstore.New(mustOpenRoot(t, dir), fsstore.Options{TrashDir: trash})
	ctx := context.Background()
	for range 2 {
		if err := os.WriteFile(filepath.Join(dir, "my file.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Trash(ctx, "my file.txt"); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"my file.txt", "my file 2.txt"} {
		if _, err := os.Stat(filepath.Join(trash, "files", name)); err != nil {
			t.Errorf("trashed file %q: %v", name, err)
		}
		info, err := os.ReadFile(filepath.Join(trash, "info", name+".trashinfo"))
		if err != nil {
			t.Fatalf("trashinfo: %v", err)
		}
		real, _ := filepath.Abs(dir)
		if !strings.HasPrefix(string(info), "[Trash Info]\nPath="+strings.ReplaceAll(real, " ", "%20")+"/my%20file.txt\nDeletionDate=") {
			t.Errorf("trashinfo = %q", info)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "d", "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.Trash(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(trash, "files", "d", "e")); err != nil {
		t.Errorf("trashed directory: %v", err)
	}
}

func TestTrashDefaultLocation(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	s := fsstore.New(mustOpenRoot(t, dir), fsstore.Options{})
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Trash(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	// Both temp dirs are on one file system here, so the home trash is used.
	if _, err := os.Stat(filepath.Join(data, "Trash", "files", "a")); err != nil {
		t.Errorf("not in $XDG_DATA_HOME/Trash: %v", err)
	}
}

// TestWriteDropsTempsOfDeadProcesses: the temps a killed server left
// beside a file are hidden from listings and removed by the next write of
// that file; other names that merely look alike stay.
func TestWriteDropsTempsOfDeadProcesses(t *testing.T) {
	dir := t.TempDir()
	stale := []string{".a.ipynb.quire-tmp-ABCDEFGH234567ABCDEF", ".a.ipynb.quire-tmp-ZZZZZZZZ234567ABCDEF"}
	kept := []string{
		".b.ipynb.quire-tmp-ABCDEFGH234567ABCDEF",  // another file's temp
		".a.ipynb.quire-tmp-SHORT",                 // not a temp name Quire makes
		".a.ipynb.quire-tmp-x.quire-tmp-ABCDEFGH2", // a temp of "a.ipynb.quire-tmp-x"
		"a.ipynb.quire-tmp-ABCDEFGH234567ABCDEF",   // not hidden: a user's file
	}
	for _, n := range append(append([]string{"a.ipynb"}, stale...), kept...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := fsstore.New(mustOpenRoot(t, dir), fsstore.Options{})
	list, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if strings.Contains(e.Name, ".quire-tmp-") && strings.HasPrefix(e.Name, ".") {
			t.Errorf("listing shows the temp %s", e.Name)
		}
	}
	if _, err := s.Write(context.Background(), "a.ipynb", strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s survived the next write of a.ipynb: %v", n, err)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
}
