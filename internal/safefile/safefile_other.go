//go:build !unix

package safefile

import "io/fs"

// oNoFollow: no O_NOFOLLOW here; O_EXCL alone refuses an existing entry.
const oNoFollow = 0

// checkOwner: file ownership is not a uid here; the mode check remains.
func checkOwner(string, fs.FileInfo) error { return nil }
