package kernel_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"quire/internal/errkind"
	"quire/internal/kernel"
)

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKernelFailsAtStart: a kernel process that exits while starting (as
// ipykernel does when a port is taken) is refused to clients with its exit
// status, and its last output reaches the log at warning level, not only
// at debug.
func TestKernelFailsAtStart(t *testing.T) {
	specDir := t.TempDir()
	writeSpec(t, specDir, "failing", `{"argv": ["/bin/sh", "-c",
		"echo starting; echo 'zmq.error.ZMQError: Address already in use (addr=tcp://127.0.0.1:1)' >&2; sleep 0.3; exit 1",
		"{connection_file}"], "display_name": "Failing", "language": "shell"}`)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
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
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "Address already in use") || !strings.Contains(out, "starting") {
		t.Errorf("the warning lacks the kernel's last output:\n%s", out)
	}
}
