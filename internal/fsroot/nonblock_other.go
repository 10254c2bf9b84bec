//go:build !unix

package fsroot

import "syscall"

const oNonblock = 0

// errNoReader never matches where FIFOs do not exist.
const errNoReader = syscall.Errno(0)
