package wsbridge

import (
	"net"
	"syscall"
	"unsafe"
)

// sendQueueEmpty returns a check that c's socket has no byte waiting to be sent
// or acknowledged (SIOCOUTQ: TCP's unacknowledged bytes, a Unix socket's bytes
// its peer has not read), or nil for a connection it cannot ask. Wrappers that
// say what they wrap, as tls.Conn does with NetConn, are looked through.
func sendQueueEmpty(c net.Conn) func() bool {
	sc, ok := c.(syscall.Conn)
	for !ok {
		w, wraps := c.(interface{ NetConn() net.Conn })
		if !wraps {
			return nil
		}
		c = w.NetConn()
		sc, ok = c.(syscall.Conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() bool {
		var n int32
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n)))
		}); err != nil || errno != 0 {
			return false
		}
		return n == 0
	}
}
