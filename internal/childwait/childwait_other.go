//go:build !linux

package childwait

// WaitExitable returns at once: exec.Cmd.Wait does the waiting.
func WaitExitable(pid int) {}
