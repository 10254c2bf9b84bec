//go:build unix

package safefile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"quire/internal/safefile"
)

func mkdir(t *testing.T, p string, mode fs.FileMode) string {
	t.Helper()
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	private := mkdir(t, filepath.Join(base, "private"), 0o700)
	open := mkdir(t, filepath.Join(base, "open"), 0o777)
	for _, tc := range []struct {
		dir     string
		wantErr string // "" = accepted
	}{
		{private, ""},
		{mkdir(t, filepath.Join(base, "readable"), 0o755), ""},
		{open, "chmod 700 " + open},
		{mkdir(t, filepath.Join(base, "group"), 0o770), "writable by group or others"},
		{mkdir(t, filepath.Join(base, "other"), 0o703), "writable by group or others"},
		{mkdir(t, filepath.Join(base, "sticky"), 0o777|fs.ModeSticky), "writable by group or others"},
		{file, "not a directory"},
		{filepath.Join(base, "missing"), "no such file"},
	} {
		err := safefile.CheckDir(tc.dir)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("CheckDir(%s) = %v, want nil", tc.dir, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.dir)):
			t.Errorf("CheckDir(%s) = %v, want an error naming it and %q", tc.dir, err, tc.wantErr)
		}
	}
	// A symlink to a directory is judged by the directory.
	for _, tc := range []struct {
		target string
		ok     bool
	}{{private, true}, {open, false}} {
		link := filepath.Join(base, "link-to-"+filepath.Base(tc.target))
		if err := os.Symlink(tc.target, link); err != nil {
			t.Fatal(err)
		}
		if err := safefile.CheckDir(link); (err == nil) != tc.ok {
			t.Errorf("CheckDir(link to %s) = %v, want ok=%v", tc.target, err, tc.ok)
		}
	}
}

func TestMkdirAll(t *testing.T) {
	base := t.TempDir()
	d := filepath.Join(base, "a", "b", "c")
	if err := safefile.MkdirAll(d); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(base, "a"), d} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want a 0700 directory", p, fi.Mode(), err)
		}
	}
	open := mkdir(t, filepath.Join(base, "open"), 0o777)
	if err := safefile.MkdirAll(open); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("MkdirAll(0777 dir) = %v, want refused with the fix", err)
	}
	if fi, _ := os.Stat(open); fi.Mode().Perm() != 0o777 {
		t.Errorf("MkdirAll changed an existing directory's mode to %v", fi.Mode())
	}
}

// The umask does not decide a file's mode: perm does.
func TestModes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		write func(string, fs.FileMode) error
	}{
		{"WriteFile", func(p string, m fs.FileMode) error { return safefile.WriteFile(p, []byte("x"), m) }},
		{"WriteNew", func(p string, m fs.FileMode) error { return safefile.WriteNew(p, []byte("x"), m) }},
		{"Create", func(p string, m fs.FileMode) error {
			f, err := safefile.Create(p, m)
			if err == nil {
				err = f.Close()
			}
			return err
		}},
	} {
		for _, perm := range []fs.FileMode{0o600, 0o644} {
			p := filepath.Join(dir, tc.name+perm.String())
			if err := tc.write(p, perm); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if fi, err := os.Lstat(p); err != nil || fi.Mode() != perm {
				t.Errorf("%s(%v): mode %v, %v", tc.name, perm, fi.Mode(), err)
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".quire-tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A symlink planted at the name being written never receives the secret:
// WriteFile replaces the link, WriteNew and Create refuse it.
func TestPlantedSymlink(t *testing.T) {
	const secret = "SECRET-token-0123"
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(t.TempDir(), "not-yet")
	plant := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(what string) {
		t.Helper()
		if b, _ := os.ReadFile(victim); string(b) != "original" {
			t.Errorf("%s: link target now holds %q", what, b)
		}
		if _, err := os.Lstat(dangling); err == nil {
			t.Errorf("%s: created the dangling link's target", what)
		}
	}

	p := plant("runtime.json", victim)
	if err := safefile.WriteFile(p, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	check("WriteFile over a symlink")
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("WriteFile over a symlink: %s is %v, %v; want a 0600 file", p, fi.Mode(), err)
	}
	if b, _ := os.ReadFile(p); string(b) != secret {
		t.Errorf("WriteFile: %s holds %q", p, b)
	}

	for _, target := range []string{victim, dangling} {
		p := plant("new-"+filepath.Base(target), target)
		if err := safefile.WriteNew(p, []byte(secret), 0o600); !errors.Is(err, fs.ErrExist) {
			t.Errorf("WriteNew over a symlink to %s: %v, want ErrExist", target, err)
		}
		check("WriteNew over a symlink")
		p = plant("create-"+filepath.Base(target), target)
		if f, err := safefile.Create(p, 0o600); !errors.Is(err, fs.ErrExist) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Create over a symlink to %s: %v, want ErrExist", target, err)
		}
		check("Create over a symlink")
	}
}

// Nothing is written into a directory that fails CheckDir.
func TestRefusesOpenDir(t *testing.T) {
	dir := mkdir(t, filepath.Join(t.TempDir(), "shared"), 0o777)
	p := filepath.Join(dir, "secret")
	for name, err := range map[string]error{
		"WriteFile": safefile.WriteFile(p, []byte("x"), 0o600),
		"WriteNew":  safefile.WriteNew(p, []byte("x"), 0o600),
	} {
		if err == nil || !strings.Contains(err.Error(), "chmod 700 "+dir) {
			t.Errorf("%s in a 0777 dir: %v, want refused naming the fix", name, err)
		}
	}
	if f, err := safefile.Create(p, 0o600); err == nil {
		f.Close()
		t.Error("Create in a 0777 dir succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left in the refused dir: %v", ents)
	}
}
