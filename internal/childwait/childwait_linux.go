// Package childwait waits for child processes to end without reaping
// them, so that whoever owns a child (os/exec's Wait) still collects its
// exit status: the kernel manager waits for a kernel in the runtime poller
// before calling Wait, and Quire as PID 1 finds orphans to reap.
package childwait

import (
	"os"
	"syscall"
	"unsafe"
)

// Linux ABI numbers the syscall package does not name.
const (
	sysPidfdOpen = 434 // pidfd_open(2), the same on every architecture
	pAll         = 0   // waitid(2) idtype P_ALL
	pPID         = 1   // waitid(2) idtype P_PID
	pPIDFD       = 3   // waitid(2) idtype P_PIDFD
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

// peek returns the pid of a child selected by idtype and id that has
// exited and is not reaped yet, or 0 while there is none, without reaping
// it (WNOWAIT) or blocking (WNOHANG).
func peek(idtype, id uintptr) (int, error) {
	var info siginfo
	_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, idtype, id, uintptr(unsafe.Pointer(&info)),
		syscall.WEXITED|syscall.WNOHANG|syscall.WNOWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(info.pid), nil
}

// Exited returns the pid of any child that has exited and is not reaped
// yet, or 0 while there is none.
func Exited() (int, error) { return peek(pAll, 0) }

// WaitExitable returns once the child process pid has exited and can be
// reaped, waiting in the runtime's poller on a pidfd. exec.Cmd.Wait alone
// blocks in a waitid system call, which holds an OS thread for the whole
// life of the child (with its stacks: ~40 threads at 32 kernels). Where
// pidfds cannot be polled (Linux before 5.3) it returns at once, and Wait
// blocks as before.
func WaitExitable(pid int) {
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		return
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		syscall.Close(int(fd))
		return
	}
	f := os.NewFile(fd, "pidfd") // non-blocking: registered with the poller
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	// The callback runs before each wait for readability, so an exit
	// before the first wait is seen by the check, one after it by the
	// poller. A poller error (not pollable) ends the wait too, and so
	// does a waitid error: Wait will tell what it is.
	_ = rc.Read(func(fd uintptr) bool {
		pid, err := peek(pPIDFD, fd)
		return err != nil || pid != 0
	})
}

// HasExited reports whether the child process pid has exited and is not
// reaped yet, without reaping it or blocking: its owner may then call
// Wait and get its status at once.
func HasExited(pid int) bool {
	p, err := peek(pPID, uintptr(pid))
	return err == nil && p == pid
}
