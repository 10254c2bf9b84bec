package audit

import (
	"errors"
	"os/exec"
	"syscall"
)

// AddExit records how a child process ended, from cmd.Wait's error, into
// f: "signal" (its name) when a signal killed it, else "exit_code"; a
// Wait that failed for another reason gives "wait_error".
func AddExit(f F, err error) {
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			f["signal"] = ws.Signal().String()
		} else {
			f["exit_code"] = ee.ExitCode()
		}
	case err == nil:
		f["exit_code"] = 0
	default:
		f["wait_error"] = err.Error()
	}
}
