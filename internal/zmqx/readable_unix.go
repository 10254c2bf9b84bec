//go:build unix

package zmqx

import (
	"errors"
	"net"
	"syscall"
)

// rawConn returns conn's RawConn for readable, or nil.
func rawConn(conn net.Conn) syscall.RawConn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// readable waits in the runtime poller until the socket has data, end of
// stream or an error to report, without reading it (a one-byte MSG_PEEK):
// the Read that follows reports which. It honours the connection's read
// deadline and returns when the connection is closed.
func readable(rc syscall.RawConn) error {
	var b [1]byte
	return rc.Read(func(fd uintptr) bool {
		for {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
				return false // nothing yet: wait for the poller
			}
			return true
		}
	})
}
