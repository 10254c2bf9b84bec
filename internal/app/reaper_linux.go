package app

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

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
		reapOnce(log, managed)
		select {
		case <-ctx.Done():
			return
		case <-sigs:
		}
	}
}

func reapOnce(log *slog.Logger, managed func(pid int) bool) {
	for {
		// Peek first (not reaping) so a managed child's status is not stolen.
		exited, err := childwait.Exited()
		if err != nil || exited == 0 {
			return
		}
		if managed != nil && managed(exited) {
			return
		}
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(exited, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return
		}
		log.Debug("reaped orphaned process", "pid", pid, "status", ws.ExitStatus())
	}
}
