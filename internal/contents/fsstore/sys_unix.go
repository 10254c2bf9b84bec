//go:build unix

package fsstore

import (
	"io/fs"
	"os"
	"syscall"
)

func device(p string) (uint64, bool) {
	fi, err := os.Stat(p)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true //nolint:unconvert // int32 on some platforms
}

// writable approximates access(W_OK) from the mode bits.
func writable(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi.Mode().Perm()&0o222 != 0
	}
	uid := os.Geteuid()
	switch {
	case uid == 0:
		return true
	case int(st.Uid) == uid:
		return st.Mode&0o200 != 0
	case inGroup(int(st.Gid)):
		return st.Mode&0o020 != 0
	}
	return st.Mode&0o002 != 0
}

func inGroup(gid int) bool {
	if gid == os.Getegid() {
		return true
	}
	groups, _ := os.Getgroups()
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}
