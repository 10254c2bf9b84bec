package kernel

import (
	"os"
	"syscall"
	"unsafe"
)

// sysProcAttr puts the kernel in a new session and asks Linux to SIGKILL it
// if Quire dies without shutting it down (belt and braces: ipykernel also
// polls JPY_PARENT_PID). Pdeathsig fires when the forking OS thread exits;
// Go only retires threads whose goroutine exits while locked to them, which
// Quire never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}

// Linux ABI numbers the syscall package does not name.
const (
	sysPidfdOpen = 434 // pidfd_open(2), the same on every architecture
	pPIDFD       = 3   // waitid(2) idtype P_PIDFD
)

// waitExitable returns once the child process pid has exited and can be
// reaped, waiting in the runtime's poller on a pidfd. exec.Cmd.Wait alone
// blocks in a waitid system call, which holds an OS thread for the whole
// life of every kernel (with its stacks: ~40 threads at 32 kernels). Where
// pidfds cannot be polled (Linux before 5.3) it returns at once, and Wait
// blocks as before.
func waitExitable(pid int) {
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
	// poller. A poller error (not pollable) ends the wait too.
	_ = rc.Read(func(fd uintptr) bool { return exitable(fd) })
}

// exitable reports whether the process behind pidfd has exited, without
// reaping it (WNOWAIT) or blocking (WNOHANG). An error also reports true:
// Wait will tell what it is.
func exitable(pidfd uintptr) bool {
	var info [128]byte // siginfo_t
	_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPIDFD, pidfd, uintptr(unsafe.Pointer(&info[0])),
		syscall.WEXITED|syscall.WNOHANG|syscall.WNOWAIT, 0, 0)
	if errno != 0 {
		return true
	}
	// si_pid (after si_signo, si_errno, si_code and padding) stays 0
	// while the process runs.
	return *(*int32)(unsafe.Pointer(&info[16])) != 0
}
