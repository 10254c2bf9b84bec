//go:build !unix

package audit

import "os"

// Without flock, one process per audit log.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
