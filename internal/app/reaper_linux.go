package app

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"quire/internal/childwait"
)

// reapOrphans runs while ctx lives when Quire is PID 1 (in a container):
// orphaned processes are re-parented to PID 1 and would stay zombies unless
// it waits for them. managed reports children that their owner (os/exec)
// waits for itself; those are left alone so that owner gets the exit status.
func reapOrphans(ctx context.Context, log *slog.Logger, managed func(pid int) bool) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	for {
		var retry <-chan time.Time
		if reapOnce(log, managed) {
			// A managed child that exited hides the others from the
			// peek until its owner reaps it; their SIGCHLD may already
			// have come (a terminal's shell and its jobs die together),
			// so look again shortly rather than wait for the next one.
			retry = time.After(50 * time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return
		case <-sigs:
		case <-retry:
		}
	}
}

// reapOnce reaps the exited orphans it can see. It reports whether it
// stopped at an exited child that managed claims (its owner reaps it).
func reapOnce(log *slog.Logger, managed func(pid int) bool) (blocked bool) {
	for {
		// Peek first (not reaping) so a managed child's status is not stolen.
		exited, err := childwait.Exited()
		if err != nil || exited == 0 {
			return false
		}
		if managed != nil && managed(exited) {
			return true
		}
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(exited, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return false
		}
		log.Debug("reaped orphaned process", "pid", pid, "status", ws.ExitStatus())
	}
}
