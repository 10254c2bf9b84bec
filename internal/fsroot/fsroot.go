// Package fsroot is Quire's only mapping from API paths to files. Every
// file operation the contents store performs goes through a Root, which is
// built on os.Root: by default no path, symlink or ".." may reach outside
// the root directory, for reads and writes alike.
package fsroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrInvalidPath reports an API path that Clean refuses.
var ErrInvalidPath = errors.New("invalid path")

// ErrNotRegular reports a file that is neither a regular file nor a
// directory (a FIFO, socket or device), which Root does not open: reading
// or writing one can block for ever or never end.
var ErrNotRegular = errors.New("not a regular file or directory")

// ErrNameTooLong reports an API path with a segment over MaxName bytes or,
// cleaned, over MaxPath bytes: the file system would refuse it anyway
// (ENAMETOOLONG), so Clean refuses it first with the limit in the message.
var ErrNameTooLong = errors.New("name too long")

// Limits of a name and of a cleaned API path, in bytes: Linux's NAME_MAX
// and PATH_MAX less its terminating NUL. The root directory's own path
// counts towards the OS limit too; a path within MaxPath that is still too
// long for the OS fails with ENAMETOOLONG, which callers treat alike.
const (
	MaxName = 255
	MaxPath = 4095
)

// Clean normalises an API path into a clean, slash-separated path relative
// to the root ("" is the root itself). It splits on "/", drops empty and "."
// segments (so leading, trailing and repeated slashes are harmless) and
// refuses, with an error wrapping ErrInvalidPath:
//   - a ".." segment (Clean never resolves it: "a/../b" is refused, not "b");
//   - a NUL byte;
//   - a backslash anywhere: it is a separator on Windows and a source of
//     confusion everywhere, so Quire refuses it on every platform;
//   - a first segment that looks like a drive letter ("C:", "c:foo");
//   - a segment over MaxName bytes, or a result over MaxPath bytes, with an
//     error wrapping ErrNameTooLong instead.
//
// The result is never absolute and never contains "..".
func Clean(apiPath string) (string, error) {
	if strings.IndexByte(apiPath, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL byte", ErrInvalidPath)
	}
	if strings.IndexByte(apiPath, '\\') >= 0 {
		return "", fmt.Errorf("%w: backslash", ErrInvalidPath)
	}
	// Fast path: already clean.
	if isClean(apiPath) {
		if hasDrive(apiPath) {
			return "", fmt.Errorf("%w: drive letter", ErrInvalidPath)
		}
		if err := checkLength(apiPath); err != nil {
			return "", err
		}
		return apiPath, nil
	}
	parts := strings.Split(apiPath, "/")
	out := parts[:0]
	for _, s := range parts {
		switch s {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("%w: parent segment", ErrInvalidPath)
		}
		out = append(out, s)
	}
	p := strings.Join(out, "/")
	if hasDrive(p) {
		return "", fmt.Errorf("%w: drive letter", ErrInvalidPath)
	}
	if err := checkLength(p); err != nil {
		return "", err
	}
	return p, nil
}

// checkLength refuses a clean path p over MaxPath bytes or with a segment
// over MaxName bytes.
func checkLength(p string) error {
	if len(p) > MaxPath {
		return fmt.Errorf("%w: path of %d bytes, over the %d-byte limit", ErrNameTooLong, len(p), MaxPath)
	}
	if len(p) <= MaxName {
		return nil
	}
	for s := range strings.SplitSeq(p, "/") {
		if len(s) > MaxName {
			return fmt.Errorf("%w: a name of %d bytes, over the %d-byte limit", ErrNameTooLong, len(s), MaxName)
		}
	}
	return nil
}

func isClean(p string) bool {
	if p == "" {
		return true
	}
	for s := range strings.SplitSeq(p, "/") {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}

func hasDrive(p string) bool {
	return len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z')
}

// Options configures a Root.
type Options struct {
	// FollowSymlinks, an explicit opt-in, lets symlinks inside the root
	// point anywhere (Jupyter's behaviour). Paths are still cleaned, so no
	// ".." can leave the root, but a link to /etc is followed. When false
	// (the default) os.Root refuses every symlink that resolves outside the
	// root, on every read and write.
	FollowSymlinks bool
	// Protected lists Quire's own state directories. No path inside one
	// (directly, through a symlink or a bind mount) can be read, written,
	// listed, renamed or copied into, and none of their ancestors can be
	// removed or renamed: such requests fail with an error wrapping
	// ErrProtected, and listings omit them. Open refuses a root inside a
	// whole protected directory.
	Protected []Protected
}

// Root is an open root directory.
type Root struct {
	dir    string // absolute
	r      *os.Root
	follow bool
	guard  *guard // nil: nothing protected
}

// Open opens dir (made absolute) as a root.
func Open(dir string, opt Options) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	g, err := newGuard(abs, opt.Protected)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("open root: %w", err)
	}
	return &Root{dir: abs, r: r, follow: opt.FollowSymlinks, guard: g}, nil
}

// Close releases the root's directory handle.
func (r *Root) Close() error { return r.r.Close() }

// Dir returns the root's absolute OS path. Only the store's trash code
// needs it (to find the right trash can); nothing maps API paths with it.
func (r *Root) Dir() string { return r.dir }

// FollowsSymlinks reports whether the root was opened with FollowSymlinks.
func (r *Root) FollowsSymlinks() bool { return r.follow }

// name cleans an API path into an os.Root name ("." for the root) and
// refuses one that is Quire's state.
func (r *Root) name(op, p string) (string, error) {
	n, err := r.clean(p)
	if err != nil {
		return "", err
	}
	if r.guard.protected(r.dir, n) {
		return "", &fs.PathError{Op: op, Path: p, Err: ErrProtected}
	}
	return n, nil
}

// whole is name for operations that remove or move p itself: p must not
// hold Quire's state either.
func (r *Root) whole(op, p string) (string, error) {
	n, err := r.clean(p)
	if err != nil {
		return "", err
	}
	if r.guard.holdsState(r.dir, n) {
		return "", &fs.PathError{Op: op, Path: p, Err: ErrProtected}
	}
	return n, nil
}

func (r *Root) clean(p string) (string, error) {
	c, err := Clean(p)
	if err != nil {
		return "", &fs.PathError{Op: "clean", Path: p, Err: err}
	}
	if c == "" {
		return ".", nil
	}
	return filepath.FromSlash(c), nil
}

// osPath is used only in FollowSymlinks mode: the cleaned name joined to
// the root, lexically inside it.
func (r *Root) osPath(n string) string { return filepath.Join(r.dir, n) }

// Stat returns the FileInfo of p, following symlinks.
func (r *Root) Stat(p string) (fs.FileInfo, error) {
	n, err := r.name("stat", p)
	if err != nil {
		return nil, err
	}
	if r.follow {
		return os.Stat(r.osPath(n))
	}
	return r.r.Stat(n)
}

// Lstat returns the FileInfo of p without following a final symlink.
func (r *Root) Lstat(p string) (fs.FileInfo, error) {
	n, err := r.name("lstat", p)
	if err != nil {
		return nil, err
	}
	if r.follow {
		return os.Lstat(r.osPath(n))
	}
	return r.r.Lstat(n)
}

// Open opens p for reading.
func (r *Root) Open(p string) (*os.File, error) {
	return r.OpenFile(p, os.O_RDONLY, 0)
}

// OpenInfo opens p for reading and returns its FileInfo, from the same
// fstat that vets its type.
func (r *Root) OpenInfo(p string) (*os.File, fs.FileInfo, error) {
	return r.open(p, os.O_RDONLY, 0)
}

// OpenFile opens p with the given flags and permission. It opens only
// regular files and directories: the open itself does not block (on a FIFO
// without a writer it would, until one came), and anything else is closed
// again with an error wrapping ErrNotRegular.
func (r *Root) OpenFile(p string, flag int, perm fs.FileMode) (*os.File, error) {
	f, _, err := r.open(p, flag, perm)
	return f, err
}

func (r *Root) open(p string, flag int, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	n, err := r.name("open", p)
	if err != nil {
		return nil, nil, err
	}
	var f *os.File
	if r.follow {
		f, err = os.OpenFile(r.osPath(n), flag|oNonblock, perm)
	} else {
		f, err = r.r.OpenFile(n, flag|oNonblock, perm)
	}
	if errors.Is(err, errNoReader) { // a FIFO without a reader, or a socket
		return nil, nil, &fs.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	return f, fi, nil
}

// ReadDir lists directory p (unsorted, as the OS returns it).
func (r *Root) ReadDir(p string) ([]fs.DirEntry, error) {
	f, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	n, _ := r.clean(p) // Open accepted it
	return r.guard.filter(r.dir, n, entries), nil
}

// Mkdir creates directory p.
func (r *Root) Mkdir(p string, perm fs.FileMode) error {
	n, err := r.name("mkdir", p)
	if err != nil {
		return err
	}
	if r.follow {
		return os.Mkdir(r.osPath(n), perm)
	}
	return r.r.Mkdir(n, perm)
}

// Remove removes the file or empty directory p.
func (r *Root) Remove(p string) error {
	n, err := r.whole("remove", p)
	if err != nil {
		return err
	}
	if n == "." {
		return &fs.PathError{Op: "remove", Path: p, Err: fs.ErrPermission}
	}
	if r.follow {
		return os.Remove(r.osPath(n))
	}
	return r.r.Remove(n)
}

// RemoveAll removes p and everything below it. It never removes the root.
// Symlinks inside are removed, never followed.
func (r *Root) RemoveAll(p string) error {
	n, err := r.whole("removeall", p)
	if err != nil {
		return err
	}
	if n == "." {
		return &fs.PathError{Op: "removeall", Path: p, Err: fs.ErrPermission}
	}
	if r.follow {
		return os.RemoveAll(r.osPath(n))
	}
	return r.r.RemoveAll(n)
}

// Rename renames oldp to newp, replacing a file at newp.
func (r *Root) Rename(oldp, newp string) error {
	o, err := r.whole("rename", oldp)
	if err != nil {
		return err
	}
	n, err := r.whole("rename", newp)
	if err != nil {
		return err
	}
	if o == "." || n == "." {
		return &os.LinkError{Op: "rename", Old: oldp, New: newp, Err: fs.ErrPermission}
	}
	if r.follow {
		return os.Rename(r.osPath(o), r.osPath(n))
	}
	return r.r.Rename(o, n)
}

// Chmod changes the mode of p.
func (r *Root) Chmod(p string, mode fs.FileMode) error {
	n, err := r.name("chmod", p)
	if err != nil {
		return err
	}
	if r.follow {
		return os.Chmod(r.osPath(n), mode)
	}
	return r.r.Chmod(n, mode)
}

// Readlink returns the target of symlink p.
func (r *Root) Readlink(p string) (string, error) {
	n, err := r.name("readlink", p)
	if err != nil {
		return "", err
	}
	if r.follow {
		return os.Readlink(r.osPath(n))
	}
	return r.r.Readlink(n)
}

// MoveOut moves p (file, directory or symlink itself) to dst, an absolute
// OS path outside the root — the trash can. p's parent is opened through
// the root, so the move cannot be redirected outside it.
func (r *Root) MoveOut(p, dst string) error {
	n, err := r.whole("rename", p)
	if err != nil {
		return err
	}
	if n == "." {
		return &os.LinkError{Op: "rename", Old: p, New: dst, Err: fs.ErrPermission}
	}
	if !filepath.IsAbs(dst) {
		return &os.LinkError{Op: "rename", Old: p, New: dst, Err: errors.New("destination not absolute")}
	}
	if r.follow {
		return os.Rename(r.osPath(n), dst)
	}
	return r.moveOut(n, dst)
}
