//go:build unix

package fsroot

import "syscall"

// oNonblock keeps an open of a FIFO from waiting for its other end; it
// changes nothing for regular files and directories.
const oNonblock = syscall.O_NONBLOCK

// errNoReader is what a non-blocking open for writing of a FIFO without a
// reader, or an open of a socket, fails with.
const errNoReader = syscall.ENXIO
