// Package harness is what the test suites that run the real quire binary
// share: finding the binary, starting a child process, waiting until it is
// ready and stopping it. tests/integration and tests/gateway build their
// servers on it.
package harness

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bin returns the quire binary under test: $QUIRE_BIN, else bin/quire of
// the repository (the suites run two levels below it). It fails the test
// when the file is missing.
func Bin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("QUIRE_BIN")
	if bin == "" {
		abs, _ := filepath.Abs("../../bin/quire")
		bin = abs
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("quire binary not found at %s (run make build or set QUIRE_BIN)", bin)
	}
	return bin
}

// Buffer is a bytes.Buffer safe for a writer goroutine and readers.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Process is a started child process.
type Process struct {
	Name   string
	Cmd    *exec.Cmd
	Exited chan struct{} // closed once the process has exited
	err    error
}

// Start starts cmd (its output already directed by the caller) so that it
// dies with the test process (Pdeathsig), and waits for it in the
// background. The caller registers Stop with t.Cleanup.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{Name: name, Cmd: cmd, Exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.Exited) }()
	return p
}

// Err is the process's exit error (nil for status 0), once Exited is closed.
func (p *Process) Err() error {
	<-p.Exited
	return p.err
}

// Stop sends SIGTERM and waits; after 10 s it sends SIGKILL, to the whole
// process group when the process leads one (SysProcAttr.Setpgid). It
// returns the exit error.
func (p *Process) Stop() error {
	select {
	case <-p.Exited:
		return p.err
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
	case <-time.After(10 * time.Second):
		if p.Cmd.SysProcAttr.Setpgid {
			_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		} else {
			_ = p.Cmd.Process.Kill()
		}
		<-p.Exited
	}
	return p.err
}

// WaitExit waits up to d for the process to end by itself and returns its
// exit error; it fails the test if it is still running.
func (p *Process) WaitExit(t testing.TB, d time.Duration) error {
	t.Helper()
	select {
	case <-p.Exited:
		return p.err
	case <-time.After(d):
		t.Fatalf("%s still running after %s", p.Name, d)
		return nil
	}
}

// WaitReady polls ready every interval until it reports true. It fails the
// test, showing output(), if the process exits first or ready is still
// false after timeout; why is ready's last explanation.
func (p *Process) WaitReady(t testing.TB, timeout, interval time.Duration, output func() string, ready func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.Exited:
			t.Fatalf("%s exited early: %v\n%s", p.Name, p.err, output())
		default:
		}
		ok, why := ready()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s: %s\n%s", p.Name, timeout, why, output())
		}
		time.Sleep(interval)
	}
}
