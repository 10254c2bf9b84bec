package kernel_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/errkind"
	"quire/internal/kernel"
)

// TestKernelFailsAtStart: a kernel process that exits while starting (as
// ipykernel does when a port is taken) is refused to clients with its exit
// status, and its last output reaches the log at warning level, not only
// at debug.
func TestKernelFailsAtStart(t *testing.T) {
	specDir := t.TempDir()
	writeSpec(t, specDir, "failing", `{"argv": ["/bin/sh", "-c",
		"echo starting; echo 'zmq.error.ZMQError: Address already in use (addr=tcp://127.0.0.1:1)' >&2; sleep 0.3; exit 1",
		"{connection_file}"], "display_name": "Failing", "language": "shell"}`)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := kernel.NewManager(kernel.LoadSpecs([]string{specDir}, nil), kernel.Options{
		RuntimeDir: t.TempDir(), Dial: dial, Log: log, ShutdownWait: 200 * time.Millisecond,
		KernelInfoTimeout: 30 * time.Second,
	})
	defer m.Close(context.Background())
	k, err := m.Start(t.Context(), "failing", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err = k.Connect(ctx, "client-1")
	if err == nil {
		t.Fatal("Connect to a kernel that exited at start succeeded")
	}
	if !errkind.Is(err, errkind.Unavailable) || !strings.Contains(err.Error(), "exit code 1") {
		t.Errorf("Connect error = %v; want Unavailable naming exit code 1", err)
	}
	if st := k.Model().ExecutionState; st != "dead" {
		t.Errorf("state = %q, want dead", st)
	}
	// The warning is logged as the process is reaped, which may come just
	// after Connect has seen the kernel dead.
	var out string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		logged, err := os.ReadFile(logFile.Name())
		if err != nil {
			t.Fatal(err)
		}
		out = string(logged)
		if strings.Contains(out, "kernel died") || time.Now().After(deadline) {
			break
		}
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "Address already in use") || !strings.Contains(out, "starting") {
		t.Errorf("the warning lacks the kernel's last output:\n%s", out)
	}
}
