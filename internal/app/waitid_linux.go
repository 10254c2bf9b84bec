package app

import (
	"syscall"
	"unsafe"
)

// siginfo is the prefix of Linux's siginfo_t that waitid fills for child
// events: signo, errno, code, then pid and uid.
type siginfo struct {
	signo int32
	errno int32
	code  int32
	_     int32 // padding on 64-bit
	pid   int32
	uid   uint32
	_     [112]byte
}

const (
	pALL    = 0
	wEXITED = 4
	wNOWAIT = 0x01000000
)

// waitidPeek reports an exited child without reaping it.
func waitidPeek(info *siginfo) error {
	_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pALL, 0, uintptr(unsafe.Pointer(info)),
		syscall.WNOHANG|wEXITED|wNOWAIT, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
