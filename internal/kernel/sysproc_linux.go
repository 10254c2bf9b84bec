package kernel

import "syscall"

// sysProcAttr puts the kernel in a new session and asks Linux to SIGKILL it
// if Quire dies without shutting it down (belt and braces: ipykernel also
// polls JPY_PARENT_PID). Pdeathsig fires when the forking OS thread exits;
// Go only retires threads whose goroutine exits while locked to them, which
// Quire never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}
