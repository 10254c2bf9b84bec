package fsroot_test

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"quire/internal/fsroot"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{"", "", false},
		{"/", "", false},
		{"a", "a", false},
		{"/a/b/", "a/b", false},
		{"a//b/./c", "a/b/c", false},
		{"/etc/passwd", "etc/passwd", false},
		{".hidden/x", ".hidden/x", false},
		{"...", "...", false},
		{"..", "", true},
		{"a/../b", "", true},
		{"a/..", "", true},
		{"../root2/x", "", true},
		{"a\x00b", "", true},
		{`a\..\b`, "", true},
		{`C:\x`, "", true},
		{"C:/x", "", true},
		{"c:", "", true},
		{"x/C:", "x/C:", false},
	} {
		got, err := fsroot.Clean(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, fsroot.ErrInvalidPath) {
				t.Errorf("Clean(%q) = %q, %v; want ErrInvalidPath", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Names over MaxName bytes and paths over MaxPath are refused up front
// with ErrNameTooLong; the limits themselves pass. Stat on such a name
// fails with ErrNameTooLong before the OS is asked.
func TestCleanLength(t *testing.T) {
	n := func(c string, k int) string { return strings.Repeat(c, k) }
	deep := func(total int) string { // "d/d/…/x" of exactly total bytes
		s := n("d/", (total-1)/2)
		return s + n("x", total-len(s))
	}
	for _, tc := range []struct {
		in      string
		tooLong bool
	}{
		{n("a", 255), false},
		{n("a", 256), true},
		{"dir/" + n("a", 256), true},
		{n("a", 256) + "/x", true},
		{"/" + n("a", 255) + "/", false},
		{"./" + n("é", 128), true}, // 256 bytes, 128 runes
		{deep(4095), false},
		{deep(4096), true},
		{"/" + deep(4095) + "//", false}, // counted after cleaning
	} {
		_, err := fsroot.Clean(tc.in)
		short := tc.in
		if len(short) > 40 {
			short = short[:40] + "…"
		}
		if tc.tooLong != errors.Is(err, fsroot.ErrNameTooLong) {
			t.Errorf("Clean(%q, %d bytes) error %v; want name-too-long %v", short, len(tc.in), err, tc.tooLong)
		}
		if !tc.tooLong && err != nil {
			t.Errorf("Clean(%q): %v", short, err)
		}
	}
	r, err := fsroot.Open(t.TempDir(), fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Stat(n("a", 300)); !errors.Is(err, fsroot.ErrNameTooLong) {
		t.Errorf("Stat(300-byte name) = %v, want ErrNameTooLong", err)
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "/", "a/b", "../x", "a/./../b", "//x", `a\b`, "C:x", "\x00", ".../..../"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := fsroot.Clean(p)
		if err != nil {
			return
		}
		if path.IsAbs(got) || filepath.IsAbs(got) || slices.Contains(strings.Split(got, "/"), "..") ||
			strings.ContainsAny(got, "\x00\\") || strings.HasPrefix(got, "/") || strings.HasSuffix(got, "/") {
			t.Fatalf("Clean(%q) = %q escapes the root", p, got)
		}
		if len(got) > fsroot.MaxPath || slices.ContainsFunc(strings.Split(got, "/"), func(s string) bool { return len(s) > fsroot.MaxName }) {
			t.Fatalf("Clean(%q) = a name or path over the limits", p)
		}
		if again, err := fsroot.Clean(got); err != nil || again != got {
			t.Fatalf("Clean not idempotent: %q → %q → %q, %v", p, got, again, err)
		}
	})
}

// layout builds base/root (the root), base/root2 and base/outside with a
// secret, plus symlinks inside root pointing in and out.
func layout(t *testing.T) (base, root string) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "root")
	for _, d := range []string{root, filepath.Join(root, "sub"), filepath.Join(base, "root2"), filepath.Join(base, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "in.txt"), "inside")
	write(filepath.Join(root, "sub", "f.txt"), "sub")
	write(filepath.Join(base, "root2", "secret"), "root2 secret")
	write(filepath.Join(base, "outside", "secret"), "outside secret")
	links := map[string]string{
		"etc":       "/etc",
		"outdir":    filepath.Join(base, "outside"),
		"relout":    "../outside",
		"outfile":   filepath.Join(base, "outside", "secret"),
		"inlink":    "in.txt",
		"insub":     "sub",
		"dangling":  "nowhere",
		"root2link": "../root2",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return base, root
}

func TestContainment(t *testing.T) {
	base, rootDir := layout(t)
	r, err := fsroot.Open(rootDir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// Reads that must fail.
	for _, p := range []string{
		"..", "../outside/secret", "../root2/secret", "sub/../../outside/secret",
		"/../outside/secret", "etc/passwd", "outdir/secret", "relout/secret", "outfile",
		"root2link/secret", "dangling", `..\outside\secret`, "a\x00b",
	} {
		if f, err := r.Open(p); err == nil {
			f.Close()
			t.Errorf("Open(%q) succeeded; want refusal", p)
		}
		if _, err := r.Stat(p); err == nil {
			t.Errorf("Stat(%q) succeeded; want refusal", p)
		}
	}
	// Reads that must work: plain files and links that stay inside.
	for p, want := range map[string]string{"in.txt": "inside", "/in.txt": "inside", "inlink": "inside", "insub/f.txt": "sub", "sub//f.txt": "sub"} {
		f, err := r.Open(p)
		if err != nil {
			t.Errorf("Open(%q): %v", p, err)
			continue
		}
		b := make([]byte, 64)
		n, _ := f.Read(b)
		f.Close()
		if string(b[:n]) != want {
			t.Errorf("Open(%q) read %q, want %q", p, b[:n], want)
		}
	}
	// Writes that must fail, and must not create anything outside.
	for _, p := range []string{"../outside/new", "outdir/new", "relout/new", "outfile", "root2link/new", "etc/quire-test", "../root2/new"} {
		if f, err := r.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) for writing succeeded", p)
		}
		if !strings.Contains(p, "/") {
			continue // renaming onto or creating beside a link replaces the link itself, inside the root
		}
		if err := r.Mkdir(p+"d", 0o755); err == nil {
			t.Errorf("Mkdir(%q) succeeded", p+"d")
		}
		if err := r.Rename("in.txt", p); err == nil {
			t.Errorf("Rename(in.txt, %q) succeeded", p)
			_ = os.Rename(filepath.Join(base, "outside", "new"), filepath.Join(rootDir, "in.txt"))
		}
	}
	for _, p := range []string{"../outside/secret", "outdir/secret", "relout/secret", "root2link/secret"} {
		if err := r.Remove(p); err == nil {
			t.Errorf("Remove(%q) succeeded", p)
		}
		if err := r.RemoveAll(p); err == nil {
			if _, serr := os.Stat(filepath.Join(base, "outside", "secret")); serr != nil {
				t.Errorf("RemoveAll(%q) deleted a file outside the root", p)
			}
		}
	}
	if err := r.RemoveAll(""); err == nil {
		t.Error("RemoveAll(root) succeeded")
	}
	for _, f := range []string{"outside/secret", "root2/secret"} {
		if _, err := os.Stat(filepath.Join(base, f)); err != nil {
			t.Errorf("%s damaged: %v", f, err)
		}
	}
	for _, f := range []string{"outside/new", "outside/newd", "root2/new"} {
		if _, err := os.Lstat(filepath.Join(base, f)); err == nil {
			t.Errorf("%s was created outside the root", f)
		}
	}
}

func TestFollowSymlinks(t *testing.T) {
	base, rootDir := layout(t)
	r, err := fsroot.Open(rootDir, fsroot.Options{FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, p := range []string{"outdir/secret", "relout/secret", "outfile"} {
		if _, err := r.Stat(p); err != nil {
			t.Errorf("Stat(%q) with FollowSymlinks: %v", p, err)
		}
	}
	// ".." still never leaves.
	for _, p := range []string{"../outside/secret", "sub/../../outside/secret"} {
		if _, err := r.Stat(p); err == nil {
			t.Errorf("Stat(%q) succeeded with FollowSymlinks", p)
		}
	}
	_ = base
}

func TestMoveOut(t *testing.T) {
	base, rootDir := layout(t)
	r, err := fsroot.Open(rootDir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dst := filepath.Join(base, "trashed")
	if err := r.MoveOut("sub/f.txt", dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "sub" {
		t.Fatalf("moved file = %q, %v", b, err)
	}
	for _, p := range []string{"outdir/secret", "../outside/secret", "", "root2link/secret"} {
		if err := r.MoveOut(p, filepath.Join(base, "x")); err == nil {
			t.Errorf("MoveOut(%q) succeeded", p)
		}
	}
	// Moving a link moves the link, not its target.
	if err := r.MoveOut("outdir", filepath.Join(base, "linkmoved")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(base, "linkmoved")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("moved link: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(base, "outside", "secret")); err != nil {
		t.Error("link target damaged")
	}
}

// FuzzOps runs every operation on fuzzed paths and checks that nothing
// outside the root changes.
func FuzzOps(f *testing.F) {
	for _, s := range []string{"x", "../x", "outdir/x", "relout/x", "sub/../../x", "/x", "root2link/x", "inlink", "etc/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		base, rootDir := layout(t)
		r, err := fsroot.Open(rootDir, fsroot.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		snapshot := func() []string {
			var out []string
			_ = filepath.WalkDir(base, func(q string, d fs.DirEntry, err error) error {
				if strings.HasPrefix(q, rootDir+string(filepath.Separator)) || q == rootDir {
					return nil
				}
				fi, _ := os.Lstat(q)
				if fi != nil {
					out = append(out, q+" "+fi.Mode().String()+" "+fi.ModTime().String())
				}
				return nil
			})
			return out
		}
		before := snapshot()
		if fh, err := r.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
			_, _ = fh.WriteString("x")
			fh.Close()
		}
		_ = r.Mkdir(p, 0o755)
		_ = r.Chmod(p, 0o600)
		_ = r.Rename("in.txt", p)
		_ = r.Rename(p, "moved")
		_ = r.Remove(p)
		_ = r.RemoveAll(p)
		if after := snapshot(); !slices.Equal(before, after) {
			t.Fatalf("operations on %q changed files outside the root:\nbefore %q\nafter  %q", p, before, after)
		}
	})
}
