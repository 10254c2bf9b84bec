package fsroot

import (
	"os"
	"path/filepath"
	"syscall"
)

// moveOut renames n (relative to the root) to dst with renameat on a
// handle of n's parent opened through os.Root, so no symlink in n's
// directories can redirect it.
func (r *Root) moveOut(n, dst string) error {
	dir, base := filepath.Split(n)
	if dir == "" {
		dir = "."
	}
	d, err := r.r.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	sc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	var rerr error
	if err := sc.Control(func(fd uintptr) {
		rerr = syscall.Renameat(int(fd), base, atFDCWD, dst)
	}); err != nil {
		return err
	}
	if rerr != nil {
		return &os.LinkError{Op: "renameat", Old: n, New: dst, Err: rerr}
	}
	return nil
}

// atFDCWD is AT_FDCWD on Linux (absent from package syscall).
const atFDCWD = -100
