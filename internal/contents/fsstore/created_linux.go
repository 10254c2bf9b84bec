package fsstore

import (
	"io/fs"
	"syscall"
	"time"
)

// created is the inode change time (what Python reports as st_ctime on
// Linux when no birth time is available).
func created(fi fs.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	}
	return fi.ModTime()
}
