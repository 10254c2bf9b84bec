package terminal

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// sysProcAttr starts the shell as the leader of a new session whose
// controlling terminal is the pty (its stdin), and asks Linux to SIGKILL it
// if Quire dies without ending it (as kernels are started).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true, Pdeathsig: syscall.SIGKILL}
}

// sessionMembers lists the processes of session sid (the shell's pid) by
// reading /proc: the shell, its pipelines and the background jobs an
// interactive shell puts in process groups of their own, which a signal to
// the shell's group alone would miss. Linux does not hand out a pid still
// in use as a session id, so after the shell exits its pid names only its
// leftovers.
func sessionMembers(sid int) []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var out []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp session …; comm may hold spaces
		// and parentheses, so fields are counted after the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 4 || string(f[0]) == "Z" {
			continue // a zombie is dead already; its parent reaps it
		}
		if s, err := strconv.Atoi(string(f[3])); err == nil && s == sid {
			out = append(out, pid)
		}
	}
	return out
}

// signalSession sends sig to every process of session sid.
func signalSession(sid int, sig syscall.Signal) {
	_ = syscall.Kill(-sid, sig) // the shell's own group, even if /proc is not mounted
	for _, pid := range sessionMembers(sid) {
		_ = syscall.Kill(pid, sig)
	}
}
