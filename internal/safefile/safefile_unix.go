//go:build unix

package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW | syscall.O_CLOEXEC

// checkOwner refuses fi unless the current user or root owns it.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid && st.Uid != 0 {
		return fmt.Errorf("%s belongs to user id %d, not to you (user id %d), so it may not hold Quire's private files; use a directory of your own (or chown it)",
			path, st.Uid, uid)
	}
	return nil
}
