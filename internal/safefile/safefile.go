// Package safefile writes the files that hold Quire's secrets and its
// users' settings (runtime file, cookie secret, session store, config,
// TLS key, notebook trust files, kernel connection files) so that another
// local user cannot read them or redirect them.
//
// Every write goes into a directory that CheckDir accepted: a directory
// owned by the user (or root) that no group or other user may write, so
// nobody else can plant a file or a symlink in it. Even so, files are
// created with O_EXCL|O_NOFOLLOW under a random name, given their mode
// explicitly (whatever the umask), synced, and renamed or linked into place:
// a symlink planted at the temporary or the final name is never followed,
// and a reader never sees half a file.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckDir verifies that dir can hold private files: it is a directory
// (a symlink to one counts if the link and the directory are the user's),
// owned by the current user or root, and neither group- nor
// world-writable. The error names the directory and the fix.
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check directory %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// A link the user made (say, to another disk) is fine; one somebody
		// else planted is not, and its target is judged like any directory.
		if err := checkOwner(dir, fi); err != nil {
			return err
		}
		if fi, err = os.Stat(dir); err != nil {
			return fmt.Errorf("check directory %s: %w", dir, err)
		}
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory; remove it or choose another directory", dir)
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("directory %s is writable by group or others (mode %04o), so another user could plant files in it; fix it with: chmod 700 %s",
			dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// MkdirAll creates dir and any missing parents with mode 0700 and then
// checks dir with CheckDir. An existing directory keeps its mode: one that
// fails the check is refused, never silently changed.
func MkdirAll(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	return CheckDir(dir)
}

// WriteFile replaces name with data, mode perm: through a new file of a
// random name in the same (checked) directory, synced and renamed over
// name. A symlink at name is replaced, not followed. The directory is
// synced so the rename survives a crash.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(name)
	tmp, err := writeTemp(dir, data, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	syncDir(dir)
	return nil
}

// WriteNew creates name with data, mode perm, only if nothing (not even a
// dangling symlink) is there; otherwise it returns an error wrapping
// fs.ErrExist and leaves the existing entry alone. The file appears whole
// or not at all (it is linked into place), so two processes creating it at
// once agree on one content.
func WriteNew(name string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(name)
	tmp, err := writeTemp(dir, data, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, name); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	syncDir(dir)
	return nil
}

// Create creates name for writing with mode perm. It fails if anything,
// a symlink included, is already there (fs.ErrExist).
func Create(name string, perm fs.FileMode) (*os.File, error) {
	if err := CheckDir(filepath.Dir(name)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, perm)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil { // the umask may have taken bits
		f.Close()
		_ = os.Remove(name)
		return nil, err
	}
	return f, nil
}

// writeTemp writes data to a new file with a random name in dir (after
// checking dir) and returns its path.
func writeTemp(dir string, data []byte, perm fs.FileMode) (string, error) {
	if err := CheckDir(dir); err != nil {
		return "", err
	}
	var f *os.File
	var name string
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name = filepath.Join(dir, ".quire-tmp-"+hex.EncodeToString(b[:]))
		var err error
		f, err = Create(name, perm)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	if f == nil {
		return "", fmt.Errorf("no free temporary name in %s", dir)
	}
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

// syncDir makes a rename or link in dir durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
