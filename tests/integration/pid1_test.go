//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procStatus returns State and PPid of a process from /proc.
func procStatus(pid int) (state string, ppid int) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "", 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		v = strings.TrimSpace(v)
		switch k {
		case "State":
			state = v
		case "PPid":
			ppid, _ = strconv.Atoi(v)
		}
	}
	return state, ppid
}

func childrenOf(ppid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, p := procStatus(pid); p == ppid {
			out = append(out, pid)
		}
	}
	return out
}

// pid1Quire is bin/quire running as PID 1 of a new PID namespace, as in a
// container without an init.
type pid1Quire struct {
	pid     int    // Quire's PID as seen from outside the namespace
	url     string // from its runtime file, quire-1.json
	runtime string // its JUPYTER_RUNTIME_DIR
	stderr  *syncBuffer
}

// startAsPID1 starts Quire with args as PID 1 of a new PID namespace
// (unshare --pid --fork) with HOME=home and env added, waits until it has
// written its runtime file, and stops it when t ends. It skips t without
// root or unshare.
func startAsPID1(t *testing.T, home string, env []string, args ...string) *pid1Quire {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not installed")
	}
	q := &pid1Quire{runtime: filepath.Join(home, "runtime"), stderr: &syncBuffer{}}
	cmd := exec.Command(unshare, append([]string{"--pid", "--fork", "--kill-child", "--mount-proc", quireBin(t),
		"--port", "0", "--data-dir", filepath.Join(home, "data")}, args...)...)
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "JUPYTER_RUNTIME_DIR=" + q.runtime}, env...)
	cmd.Stderr = q.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// unshare does not forward signals: the cleanup stops Quire itself,
	// then unshare returns. WaitDelay keeps a stuck pipe from hanging it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if q.pid != 0 {
			syscall.Kill(q.pid, syscall.SIGTERM)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			if q.pid != 0 {
				syscall.Kill(q.pid, syscall.SIGKILL)
			}
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("quire (PID 1) stderr:\n%s", q.stderr.String())
		}
	})
	// Quire is the child of unshare; inside the namespace it is PID 1, so
	// its runtime file is quire-1.json.
	info := filepath.Join(q.runtime, "quire-1.json")
	for deadline := time.Now().Add(15 * time.Second); q.url == "" || q.pid == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("quire as PID 1 did not start (pid %d)", q.pid)
		}
		if kids := childrenOf(cmd.Process.Pid); len(kids) == 1 {
			q.pid = kids[0]
		}
		var ri struct {
			URL string `json:"url"`
		}
		if b, err := os.ReadFile(info); err == nil && json.Unmarshal(b, &ri) == nil {
			q.url = ri.URL
		}
		time.Sleep(20 * time.Millisecond)
	}
	return q
}

// TestReapsOrphansAsPID1 runs Quire as PID 1 of a new PID namespace (as in a
// container without an init) and makes an orphan: the "browser" command
// backgrounds a short sleep and exits, so the sleep is re-parented to Quire.
// When it ends it must be reaped, not left a zombie.
func TestReapsOrphansAsPID1(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "orphan-started")
	browser := filepath.Join(dir, "browser.sh")
	script := "#!/bin/sh\nsleep 0.5 &\necho started > " + marker + "\nexit 0\n"
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	q := startAsPID1(t, t.TempDir(), []string{"BROWSER=" + browser}, "--root-dir", dir)
	for deadline := time.Now().Add(15 * time.Second); !fileExists(marker); {
		if time.Now().After(deadline) {
			t.Fatalf("quire as PID 1 did not run the browser command")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Wait for the orphan to finish and be reaped, then look for zombies
	// under Quire: one left is one it did not reap.
	for deadline := time.Now().Add(10 * time.Second); len(childrenOf(q.pid)) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, pid := range childrenOf(q.pid) {
		if state, _ := procStatus(pid); strings.HasPrefix(state, "Z") {
			t.Errorf("zombie child %d of quire (PID 1) was not reaped", pid)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
