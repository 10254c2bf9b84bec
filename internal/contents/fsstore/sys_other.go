//go:build !unix

package fsstore

import "io/fs"

func device(string) (uint64, bool) { return 0, false }

func writable(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o222 != 0 }
