package fsroot_test

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"quire/internal/fsroot"
)

// stateLayout builds a root holding Quire's state the way root=$HOME does:
//
//	root/run/quire-1.json, run/sub/k.json    runtime dir (whole)
//	root/state/quire/quire_cookie_secret     data dir (whole), one level down
//	root/share/notebook_secret, nbsignatures.db*, kernels/k.json
//	                                         trust dir (prefixes only)
//	root/notes/a.ipynb                       an ordinary file
//	base/outstate/secret                     a protected dir outside the root
//
// plus symlinks into them, and returns the options protecting them.
func stateLayout(t *testing.T) (base, root string, opt fsroot.Options) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "root")
	for _, d := range []string{"run/sub", "state/quire", "share/kernels", "notes"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(base, "outstate"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		"root/run/quire-1.json", "root/run/sub/k.json", "root/state/quire/quire_cookie_secret",
		"root/share/notebook_secret", "root/share/nbsignatures.db", "root/share/nbsignatures.db-wal",
		"root/share/.notebook_secret-x1", "root/share/kernels/k.json", "root/notes/a.ipynb",
		"outstate/secret",
	} {
		if err := os.WriteFile(filepath.Join(base, f), []byte(f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"runlink":    "run",
		"intorun":    "run/sub",
		"tokenlink":  "run/quire-1.json",
		"secretlink": "share/notebook_secret",
		"dotdot":     "notes/../run",
		"outlink":    filepath.Join(base, "outstate"),
		"noteslink":  "notes",
		"dangling":   "run/from-link", // creating through it creates the target
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	opt.Protected = []fsroot.Protected{
		{Dir: filepath.Join(root, "run")},
		// Given through a symlink and with "..": resolved all the same.
		{Dir: filepath.Join(root, "noteslink", "..", "state", "quire")},
		{Dir: filepath.Join(root, "share"), Prefixes: []string{"notebook_secret", ".notebook_secret", "nbsignatures.db"}},
		{Dir: filepath.Join(base, "outstate")},
	}
	return base, root, opt
}

func TestProtected(t *testing.T) {
	for _, follow := range []bool{false, true} {
		base, rootDir, opt := stateLayout(t)
		opt.FollowSymlinks = follow
		r, err := fsroot.Open(rootDir, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()

		refused := []string{
			"run", "run/quire-1.json", "/run//quire-1.json", "run/sub", "run/sub/k.json", "run/sub/deep/new",
			"runlink", "runlink/quire-1.json", "intorun/k.json", "tokenlink", "dotdot/quire-1.json",
			"state/quire", "state/quire/quire_cookie_secret", "state/quire/new",
			"share/notebook_secret", "share/NoteBook_Secret", "share/nbsignatures.db", "share/nbsignatures.db-wal",
			"share/.notebook_secret-x1", "secretlink", "dangling",
		}
		if follow {
			// Only a followed link reaches outside the root; without
			// FollowSymlinks os.Root refuses it anyway.
			refused = append(refused, "outlink", "outlink/secret")
		}
		for _, p := range refused {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, fsroot.ErrProtected) {
					t.Errorf("follow=%v: %s(%q) = %v; want ErrProtected", follow, op, p, err)
				}
			}
			_, err := r.Stat(p)
			check("Stat", err)
			_, err = r.Lstat(p)
			check("Lstat", err)
			f, err := r.Open(p)
			if err == nil {
				f.Close()
			}
			check("Open", err)
			_, err = r.ReadDir(p)
			check("ReadDir", err)
			f, err = r.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err == nil {
				f.Close()
			}
			check("OpenFile(create)", err)
			check("Mkdir", r.Mkdir(path.Join(p, "d"), 0o755))
			check("Chmod", r.Chmod(p, 0o777))
			if slices.Contains([]string{"runlink", "tokenlink", "secretlink", "outlink", "dangling"}, p) {
				// Removing, moving or replacing a link acts on the link,
				// not on the state it points to: not required to fail.
				continue
			}
			check("Remove", r.Remove(p))
			check("RemoveAll", r.RemoveAll(p))
			check("MoveOut", r.MoveOut(p, filepath.Join(base, "trashed")))
			check("Rename into", r.Rename("notes/a.ipynb", p))
			check("Rename from", r.Rename(p, "notes/moved"))
		}
		// The state is untouched and nothing landed in it.
		for _, f := range []string{"root/run/quire-1.json", "root/run/sub/k.json", "root/state/quire/quire_cookie_secret", "root/share/notebook_secret", "outstate/secret"} {
			b, err := os.ReadFile(filepath.Join(base, f))
			if err != nil || string(b) != f {
				t.Errorf("follow=%v: %s damaged: %q, %v", follow, f, b, err)
			}
		}
		for _, f := range []string{"root/run/a.ipynb", "root/state/quire/new", "root/run/sub/deep", "root/run/d", "root/run/from-link", "root/state/quire/d", "trashed", "root/notes/moved"} {
			if _, err := os.Lstat(filepath.Join(base, f)); err == nil {
				t.Errorf("follow=%v: %s exists", follow, f)
			}
		}

		// Removing or moving a directory that holds state is refused; the
		// trust directory is one (it holds notebook_secret).
		for _, p := range []string{"state", "share", "noteslink/../state"} {
			if _, err := fsroot.Clean(p); err != nil {
				continue
			}
			for op, err := range map[string]error{
				"RemoveAll": r.RemoveAll(p),
				"Remove":    r.Remove(p),
				"Rename":    r.Rename(p, "elsewhere"),
				"MoveOut":   r.MoveOut(p, filepath.Join(base, "trashed")),
			} {
				if !errors.Is(err, fsroot.ErrProtected) {
					t.Errorf("follow=%v: %s(%q) = %v; want ErrProtected", follow, op, p, err)
				}
			}
		}

		// Ordinary paths, and the rest of the trust directory, still work.
		for _, p := range []string{"notes/a.ipynb", "noteslink/a.ipynb", "share/kernels/k.json", "state", "share"} {
			if _, err := r.Stat(p); err != nil {
				t.Errorf("follow=%v: Stat(%q): %v", follow, p, err)
			}
		}
		f, err := r.OpenFile("share/kernels/new.json", os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Errorf("follow=%v: create share/kernels/new.json: %v", follow, err)
		} else {
			f.Close()
		}
		if err := r.Rename("notes/a.ipynb", "notes/b.ipynb"); err != nil {
			t.Errorf("follow=%v: rename inside notes: %v", follow, err)
		}

		// Listings omit the state like hidden files, links to it included.
		for dir, want := range map[string][]string{
			"":      {"noteslink", "notes", "share", "state"}, // not "dangling": it leads into run
			"share": {"kernels"},
			"state": nil,
		} {
			entries, err := r.ReadDir(dir)
			if err != nil {
				t.Fatalf("follow=%v: ReadDir(%q): %v", follow, dir, err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if !follow && dir == "" {
				got = slices.DeleteFunc(got, func(s string) bool { return s == "outlink" }) // refused by os.Root on use, listed
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("follow=%v: ReadDir(%q) = %q, want %q", follow, dir, got, want)
			}
		}
	}
}

func TestProtectedOpen(t *testing.T) {
	_, rootDir, opt := stateLayout(t)

	// A root inside (or equal to) a whole protected directory would refuse
	// every path: Open says so instead.
	for _, dir := range []string{filepath.Join(rootDir, "run"), filepath.Join(rootDir, "run", "sub"), filepath.Join(rootDir, "runlink", "sub")} {
		if r, err := fsroot.Open(dir, opt); err == nil {
			r.Close()
			t.Errorf("Open(%s) inside the runtime dir succeeded", dir)
		}
	}
	// Serving the trust directory itself is fine: only its files are kept.
	r, err := fsroot.Open(filepath.Join(rootDir, "share"), opt)
	if err != nil {
		t.Fatalf("Open(share): %v", err)
	}
	if _, err := r.Stat("notebook_secret"); !errors.Is(err, fsroot.ErrProtected) {
		t.Errorf("Stat(notebook_secret) in the trust dir = %v; want ErrProtected", err)
	}
	r.Close()

	// A protected directory that does not exist yet is matched by path
	// once it does.
	later := filepath.Join(rootDir, "later")
	r, err = fsroot.Open(rootDir, fsroot.Options{Protected: []fsroot.Protected{{Dir: later}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Mkdir("later", 0o755); !errors.Is(err, fsroot.ErrProtected) {
		t.Errorf("Mkdir(later) = %v; want ErrProtected", err)
	}
	if err := os.Mkdir(later, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(later, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Stat("later/x"); !errors.Is(err, fsroot.ErrProtected) {
		t.Errorf("Stat(later/x) = %v; want ErrProtected", err)
	}
	if _, err := r.Stat("notes/a.ipynb"); err != nil {
		t.Errorf("Stat(notes/a.ipynb): %v", err)
	}
}
