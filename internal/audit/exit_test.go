package audit

import (
	"errors"
	"os/exec"
	"testing"
)

func TestAddExit(t *testing.T) {
	wait := func(script string) error { return exec.Command("/bin/sh", "-c", script).Run() }
	for _, tc := range []struct {
		name string
		err  error
		key  string
		want any
	}{
		{"clean exit", nil, "exit_code", 0},
		{"exit status", wait("exit 3"), "exit_code", 3},
		{"killed", wait("kill -KILL $$"), "signal", "killed"},
		{"terminated", wait("kill -TERM $$"), "signal", "terminated"},
		{"wait failed", errors.New("wait: no child"), "wait_error", "wait: no child"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := F{}
			AddExit(f, tc.err)
			if len(f) != 1 || f[tc.key] != tc.want {
				t.Errorf("AddExit(%v) = %v, want only %s=%v", tc.err, f, tc.key, tc.want)
			}
		})
	}
}
