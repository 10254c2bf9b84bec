//go:build !linux

package fsroot

import (
	"errors"
	"io/fs"
	"os"
)

// moveOut checks with Lstat through os.Root that n is inside the root, then
// renames by OS path. There is a small race window on these platforms
// (the parent could be swapped for a symlink between check and rename).
func (r *Root) moveOut(n, dst string) error {
	if _, err := r.r.Lstat(n); err != nil {
		return err
	}
	if r.dir == "" {
		return &fs.PathError{Op: "rename", Path: n, Err: errors.New("no root")}
	}
	return os.Rename(r.osPath(n), dst)
}
