// Package fsstore is the disk implementation of contents.Store: every
// path goes through an fsroot.Root, writes are atomic (temp file, fsync,
// rename, fsync of the directory) and deletes can go to the freedesktop
// trash.
package fsstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"quire/internal/contents"
	"quire/internal/errkind"
	"quire/internal/fsroot"
)

// Options configures a Store.
type Options struct {
	// TrashDir, if set, is the trash can to use (it gets "files" and "info"
	// subdirectories). Empty means the freedesktop default: the home trash
	// ($XDG_DATA_HOME/Trash or ~/.local/share/Trash) when the root is on
	// its file system, else "<topdir>/.Trash-<uid>" on the root's file
	// system. Tests set it to a temp directory.
	TrashDir string
}

// Store is a contents.Store on a directory tree.
type Store struct {
	root *fsroot.Root
	opt  Options
	// instance starts the random part of this store's temp names, so a
	// save can tell the temps a crashed process left behind (removed)
	// from its own in-flight ones (kept).
	instance string
}

// New returns a store over root. The caller keeps ownership of root.
func New(root *fsroot.Root, opt Options) *Store {
	return &Store{root: root, opt: opt, instance: rand.Text()[:tmpInstanceLen]}
}

// tmpMarker is in the names of in-flight atomic writes:
// "." + name + tmpMarker + instance + random, the last two of
// tmpInstanceLen and tmpRandomLen base32 letters.
const (
	tmpMarker      = ".quire-tmp-"
	tmpInstanceLen = 8
	tmpRandomLen   = 12
)

// internal reports whether name is one of the store's own temp files.
func internal(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.Contains(name, tmpMarker) || strings.HasSuffix(name, contents.UploadSuffix))
}

// Clean applies fsroot's path rule, the only one.
func (s *Store) Clean(p string) (string, error) {
	c, err := fsroot.Clean(p)
	if errors.Is(err, fsroot.ErrNameTooLong) {
		return "", nameTooLong(err)
	}
	if err != nil {
		return "", errkind.New(errkind.NotFound, strings.ReplaceAll(p, "\x00", "")+" is not a valid path inside the root", err)
	}
	return c, nil
}

// kindErr classifies an OS error with a client-safe message.
func kindErr(p string, err error) error {
	var errno syscall.Errno
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fsroot.ErrNameTooLong), errors.Is(err, syscall.ENAMETOOLONG):
		return nameTooLong(err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return errkind.New(errkind.Storage, "Cannot write "+p+": the disk is full (or the disk quota is used up)", err)
	case errors.Is(err, fsroot.ErrInvalidPath):
		return errkind.New(errkind.NotFound, p+" is outside root contents directory", err)
	case errors.Is(err, fsroot.ErrProtected):
		// Quire's own state answers like a missing file (as hidden files
		// do), not 403: a distinct answer would confirm that the runtime
		// or data directory is there and where. The log keeps the reason.
		return errkind.New(errkind.NotFound, "No such file or directory: "+p, err)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ELOOP):
		return errkind.New(errkind.NotFound, "No such file or directory: "+p, err)
	case errors.Is(err, fs.ErrExist), errors.Is(err, syscall.ENOTEMPTY):
		return errkind.New(errkind.Conflict, "File already exists: "+p, err)
	case errors.Is(err, fs.ErrPermission):
		return errkind.New(errkind.Forbidden, "Permission denied: "+p, err)
	case errors.Is(err, syscall.EISDIR):
		return errkind.New(errkind.Invalid, p+" is a directory", err)
	case errors.Is(err, fsroot.ErrNotRegular):
		return errkind.New(errkind.Invalid, p+" is not a regular file or directory (a FIFO, socket or device)", err)
	case errors.As(err, &errno) && (errno == syscall.EINVAL || errno == syscall.EXDEV):
		return errkind.New(errkind.Invalid, "Invalid operation on "+p, err)
	case strings.Contains(err.Error(), "escapes from parent"):
		// os.Root refusing a symlink or path that leaves the root.
		return errkind.New(errkind.NotFound, p+" is outside root contents directory", err)
	}
	return err
}

// nameTooLong is the client's error for a name or path over the file
// system's limits; the path itself is left out of the message (it is long).
func nameTooLong(err error) error {
	return errkind.New(errkind.Invalid, fmt.Sprintf("File name too long: a name may be at most %d bytes and a path at most %d bytes", fsroot.MaxName, fsroot.MaxPath), err)
}

func (s *Store) info(name string, fi fs.FileInfo) contents.Info {
	return contents.Info{
		Name:     name,
		Dir:      fi.IsDir(),
		Size:     sizeOf(fi),
		ModTime:  fi.ModTime(),
		Created:  created(fi),
		Writable: writable(fi),
		Mode:     uint32(fi.Mode().Perm()),
	}
}

func sizeOf(fi fs.FileInfo) int64 {
	if fi.IsDir() {
		return 0
	}
	return fi.Size()
}

// Stat implements contents.Store.
func (s *Store) Stat(ctx context.Context, p string) (contents.Info, error) {
	fi, err := s.root.Stat(p)
	if err != nil {
		return contents.Info{}, kindErr(p, err)
	}
	return s.info(contents.Base(p), fi), nil
}

// List implements contents.Store.
func (s *Store) List(ctx context.Context, dir string) ([]contents.Info, error) {
	entries, err := s.root.ReadDir(dir)
	if err != nil {
		return nil, kindErr(dir, err)
	}
	out := make([]contents.Info, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if internal(name) {
			continue
		}
		var fi fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err = s.root.Stat(join(dir, name))
		} else {
			fi, err = e.Info()
		}
		if err != nil || !(fi.Mode().IsRegular() || fi.IsDir()) {
			continue // dangling or refused link, vanished, device, socket…
		}
		out = append(out, s.info(name, fi))
	}
	return out, nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Open implements contents.Store.
func (s *Store) Open(ctx context.Context, p string) (io.ReadSeekCloser, contents.Info, error) {
	f, fi, err := s.root.OpenInfo(p)
	if err != nil {
		return nil, contents.Info{}, kindErr(p, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, contents.Info{}, errkind.Newf(errkind.Invalid, "%s is a directory", p)
	}
	return f, s.info(contents.Base(p), fi), nil
}

// Write implements contents.Store: the bytes go to a temp file beside p,
// which is synced, given p's mode and renamed over p; then the directory
// is synced. If p is a symlink (inside the root) its target is rewritten
// in place instead, so the link survives — that write is not atomic.
func (s *Store) Write(ctx context.Context, p string, r io.Reader) (contents.Info, error) {
	if err := ctx.Err(); err != nil {
		return contents.Info{}, err
	}
	if p == "" {
		return contents.Info{}, errkind.New(errkind.Invalid, "Cannot write the root directory", nil)
	}
	old, err := s.root.Lstat(p)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return contents.Info{}, kindErr(p, err)
	}
	if exists && old.IsDir() {
		return contents.Info{}, errkind.Newf(errkind.Invalid, "%s is a directory", p)
	}
	if exists && old.Mode()&fs.ModeSymlink != 0 {
		return s.writeInPlace(p, r)
	}
	if exists && !old.Mode().IsRegular() { // never replace a FIFO or device
		return contents.Info{}, kindErr(p, &fs.PathError{Op: "write", Path: p, Err: fsroot.ErrNotRegular})
	}
	dir := contents.Parent(p)
	tmp := join(dir, "."+contents.Base(p)+tmpMarker+s.instance+rand.Text()[:tmpRandomLen])
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return contents.Info{}, kindErr(p, err)
	}
	fail := func(err error) (contents.Info, error) {
		f.Close()
		_ = s.root.Remove(tmp)
		return contents.Info{}, kindErr(p, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		return fail(fmt.Errorf("write %s: %w", p, err))
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if exists {
		if err := f.Chmod(old.Mode().Perm()); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		_ = s.root.Remove(tmp)
		return contents.Info{}, kindErr(p, err)
	}
	if err := s.root.Rename(tmp, p); err != nil {
		_ = s.root.Remove(tmp)
		return contents.Info{}, kindErr(p, err)
	}
	s.syncDirDropTemps(dir, contents.Base(p))
	return s.Stat(ctx, p)
}

// syncDirDropTemps makes the rename of name in dir durable and removes the
// temps of name that an earlier, killed process left there (hidden from
// listings, but taking space). Temps of this store are in-flight writes
// and stay. Best effort: a failure only leaves the leftovers for the next
// save. The names come from the directory handle the sync needs anyway.
func (s *Store) syncDirDropTemps(dir, name string) {
	d, err := s.root.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, n := range names {
		if staleTemp(n, name, s.instance) {
			_ = s.root.Remove(join(dir, n))
		}
	}
	_ = d.Sync()
}

// staleTemp reports whether n is a temp of name's atomic writes made by
// another store instance than instance (a process that died mid-save).
func staleTemp(n, name, instance string) bool {
	prefix := "." + name + tmpMarker
	rest, ok := strings.CutPrefix(n, prefix)
	return ok && len(rest) == tmpInstanceLen+tmpRandomLen && !strings.Contains(rest, ".") && !strings.HasPrefix(rest, instance)
}

func (s *Store) writeInPlace(p string, r io.Reader) (contents.Info, error) {
	f, err := s.root.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return contents.Info{}, kindErr(p, err)
	}
	if err := copySyncClose(f, r); err != nil {
		return contents.Info{}, kindErr(p, err)
	}
	return s.Stat(context.Background(), p)
}

// copySyncClose writes r's bytes to f, makes them durable and closes f;
// f is closed whatever happens.
func copySyncClose(f *os.File, r io.Reader) error {
	_, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable (best effort).
func (s *Store) syncDir(dir string) {
	if d, err := s.root.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Append implements contents.Store.
func (s *Store) Append(ctx context.Context, p string, r io.Reader) (contents.Info, error) {
	if err := ctx.Err(); err != nil {
		return contents.Info{}, err
	}
	f, err := s.root.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return contents.Info{}, kindErr(p, err)
	}
	if err := copySyncClose(f, r); err != nil {
		return contents.Info{}, kindErr(p, err)
	}
	return s.Stat(ctx, p)
}

// Mkdir implements contents.Store.
func (s *Store) Mkdir(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Conflict, "File already exists: root", nil)
	}
	return kindErr(p, s.root.Mkdir(p, 0o777))
}

// Rename implements contents.Store.
func (s *Store) Rename(ctx context.Context, from, to string) error {
	if err := s.root.Rename(from, to); err != nil {
		return kindErr(from, err)
	}
	s.syncDir(contents.Parent(to))
	return nil
}

// Remove implements contents.Store.
func (s *Store) Remove(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Invalid, "Can't delete root", nil)
	}
	if _, err := s.root.Lstat(p); err != nil {
		return kindErr(p, err)
	}
	return kindErr(p, s.root.RemoveAll(p))
}
