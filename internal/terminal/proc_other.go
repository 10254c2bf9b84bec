//go:build unix && !linux

package terminal

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true}
}

// sessionMembers cannot list a session without /proc: only the shell's
// own process group is signalled.
func sessionMembers(sid int) []int { return nil }

func signalSession(sid int, sig syscall.Signal) { _ = syscall.Kill(-sid, sig) }
