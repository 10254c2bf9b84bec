package harness

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestStartStopAndWait(t *testing.T) {
	long := Start(t, "sleep", exec.Command("sleep", "30"))
	begin := time.Now()
	if err := long.Stop(); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Fatalf("Stop of sleep: %v, want killed by SIGTERM", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Fatalf("Stop took %s; SIGTERM should end sleep at once", d)
	}

	var out Buffer
	cmd := exec.Command("sh", "-c", "echo hello; exit 3")
	cmd.Stdout = &out
	short := Start(t, "sh", cmd)
	if err := short.WaitExit(t, 10*time.Second); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("WaitExit: %v, want exit status 3", err)
	}
	if out.String() != "hello\n" {
		t.Fatalf("output %q", out.String())
	}

	n := 0
	ready := Start(t, "sleep", exec.Command("sleep", "30"))
	defer ready.Stop()
	ready.WaitReady(t, 10*time.Second, time.Millisecond, out.String, func() (bool, string) {
		n++
		return n == 3, "not yet"
	})
	if n != 3 {
		t.Fatalf("ready polled %d times, want 3", n)
	}
}
