package childwait

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// WaitExitable returns only once the process has exited, leaves it to be
// reaped by Wait (which still reports its status), and does not hold an
// OS thread while it waits.
func TestWaitExitable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		end    func(cmd *exec.Cmd) error // nil: the process exits by itself
		status string
	}{
		{"exits by itself", nil, "exit status 3"},
		{"killed", func(cmd *exec.Cmd) error { return cmd.Process.Signal(syscall.SIGKILL) }, "signal: killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := "sleep 0.3; exit 3"
			if tc.end != nil {
				script = "exec sleep 60"
			}
			cmd := exec.Command("/bin/sh", "-c", script)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := waitInBackground(cmd.Process.Pid)
			select {
			case <-done:
				t.Fatal("returned while the process runs")
			case <-time.After(100 * time.Millisecond):
			}
			if tc.end != nil {
				if err := tc.end(cmd); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("did not return after the process ended")
			}
			err := cmd.Wait()
			if err == nil || !strings.Contains(err.Error(), tc.status) {
				t.Errorf("Wait after WaitExitable = %v, want %q", err, tc.status)
			}
		})
	}
}

// An exit before the wait begins is seen too (the check before the
// first wait for readability).
func TestWaitExitableAlreadyExited(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitZombie(t, cmd.Process.Pid)
	done := waitInBackground(cmd.Process.Pid)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("did not return for a process that had exited")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
}

// Many waits park in the poller: the process gains no OS thread per wait.
func TestWaitExitableHoldsNoThread(t *testing.T) {
	const n = 20
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = exec.Command("/bin/sh", "-c", "exec sleep 60")
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmds[i].Process.Kill()
			_ = cmds[i].Wait()
		})
	}
	before := threads(t)
	dones := make([]<-chan struct{}, n)
	for i, c := range cmds {
		dones[i] = waitInBackground(c.Process.Pid)
	}
	waitParked(t, n)
	if after := threads(t); after >= before+n/2 {
		t.Errorf("threads %d → %d while %d waits run", before, after, n)
	}
	for _, c := range cmds {
		_ = c.Process.Kill()
	}
	for _, done := range dones {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a wait did not return after its process was killed")
		}
	}
}

// waitParked waits until n goroutines wait in WaitExitable for the poller
// ("IO wait"), rather than run or sit in a system call.
func waitParked(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		parked := 0
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, " [IO wait") && strings.Contains(g, "childwait.WaitExitable(") {
				parked++
			}
		}
		if parked >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d waits parked in the poller after 10 s", parked, n)
		}
	}
}

// waitZombie waits until pid has exited and awaits its reaping (state Z
// in /proc/<pid>/stat).
func waitZombie(t *testing.T, pid int) {
	t.Helper()
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("process %d: %v", pid, err)
		}
		// pid (comm) state ...: comm may hold spaces and parentheses.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i:]), ") Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not exit in 10 s: %s", pid, b)
		}
	}
}

// waitInBackground runs WaitExitable(pid); the channel closes when it returns.
func waitInBackground(pid int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		WaitExitable(pid)
		close(done)
	}()
	return done
}

func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// Exited finds an exited child without reaping it: its owner's Wait still
// gets the status.
func TestExited(t *testing.T) {
	if pid, err := Exited(); err == nil && pid != 0 {
		t.Fatalf("Exited before any child exited = %d", pid)
	}
	cmd := exec.Command("/bin/sh", "-c", "exit 3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-waitInBackground(cmd.Process.Pid)
	pid, err := Exited()
	if err != nil || pid != cmd.Process.Pid {
		t.Errorf("Exited = %d, %v; want %d", pid, err, cmd.Process.Pid)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Wait after Exited = %v, want exit status 3", err)
	}
}

// HasExited is false while the child runs, true once it has exited, and
// leaves the status to Wait.
func TestHasExited(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 0.2; exit 4")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if HasExited(pid) {
		t.Fatal("HasExited is true while the child runs")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !HasExited(pid) {
		if time.Now().After(deadline) {
			t.Fatal("HasExited never became true")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Wait(); err == nil || err.Error() != "exit status 4" {
		t.Errorf("Wait after HasExited = %v; want exit status 4", err)
	}
	if HasExited(pid) {
		t.Error("HasExited is true for a reaped child")
	}
}
