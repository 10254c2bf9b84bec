//go:build unix && !linux

package kernel

import "syscall"

// sysProcAttr puts the kernel in a new session (its own process group).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}
