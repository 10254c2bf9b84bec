//go:build !unix

package zmqx

import (
	"net"
	"syscall"
)

// rawConn returns nil: Read waits for data holding its buffer.
func rawConn(net.Conn) syscall.RawConn { return nil }

func readable(syscall.RawConn) error { return nil }
