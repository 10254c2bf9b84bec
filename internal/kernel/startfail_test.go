package kernel_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire/internal/errkind"
	"quire/internal/kernel"
	"quire/internal/kernelspec"

	"quire/internal/kernelspec/kernelspectest"
)

// TestKernelFailsAtStart: a kernel process that exits while starting (as
// ipykernel does when a port is taken) is refused to clients with its exit
// status, and its last output reaches the log at warning level, not only
// at debug.
func TestKernelFailsAtStart(t *testing.T) {
	specDir := t.TempDir()
	kernelspectest.Write(t, specDir, "failing", `{"argv": ["/bin/sh", "-c",
		"echo starting; echo 'zmq.error.ZMQError: Address already in use (addr=tcp://127.0.0.1:1)' >&2; sleep 0.3; exit 1",
		"{connection_file}"], "display_name": "Failing", "language": "shell"}`)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := kernel.NewManager(kernelspec.Load([]string{specDir}, nil), kernel.Options{
		RuntimeDir: t.TempDir(), Dial: dial, Log: log, ShutdownWait: 200 * time.Millisecond,
		KernelInfoTimeout: 30 * time.Second,
	})
	defer m.Close(context.Background())
	k, err := m.Start(t.Context(), "failing", kernel.StartOptions{Dir: t.TempDir()})
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

// TestKernelProgramCannotRun: a kernelspec whose program is missing or not
// executable is refused with a message naming the program and the cause,
// without the paths it was looked for at, and leaves nothing behind.
func TestKernelProgramCannotRun(t *testing.T) {
	specDir := t.TempDir()
	notExec := filepath.Join(t.TempDir(), "plainfile")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, argv0, want string
	}{
		{"abs-missing", "/nonexistent-quire-dir/python", "its program python was not found"},
		{"path-missing", "no-such-kernel-program-quire", "its program no-such-kernel-program-quire was not found"},
		{"not-executable", notExec, "its program plainfile may not be run (permission denied)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kernelspectest.Write(t, specDir, tc.name, `{"argv": [`+strconv.Quote(tc.argv0)+`, "{connection_file}"], "display_name": "X", "language": "x"}`)
			runtime := t.TempDir()
			m := kernel.NewManager(kernelspec.Load([]string{specDir}, nil), kernel.Options{
				RuntimeDir: runtime, Dial: dial, Log: testLog(t), ShutdownWait: 200 * time.Millisecond,
			})
			defer m.Close(context.Background())
			_, err := m.Start(t.Context(), tc.name, kernel.StartOptions{Dir: t.TempDir()})
			if errkind.Of(err) != errkind.Unavailable {
				t.Fatalf("Start = %v, want kind Unavailable", err)
			}
			msg, _ := errkind.Message(err)
			if !strings.Contains(msg, "Kernel "+tc.name+" cannot start: "+tc.want) || strings.Contains(msg, "/") {
				t.Errorf("message %q: want %q and no path", msg, tc.want)
			}
			if left, _ := os.ReadDir(runtime); len(left) != 0 {
				t.Errorf("left in the runtime dir: %v", left)
			}
			if len(m.List()) != 0 {
				t.Error("a kernel that did not start is listed")
			}
		})
	}
}
