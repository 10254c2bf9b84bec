//go:build integration

package integration

import (
	"bufio"
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

// TestReapsOrphansAsPID1 runs Quire as PID 1 of a new PID namespace (as in a
// container without an init) and makes an orphan: the "browser" command
// backgrounds a short sleep and exits, so the sleep is re-parented to Quire.
// When it ends it must be reaped, not left a zombie.
func TestReapsOrphansAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not installed")
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "orphan-started")
	browser := filepath.Join(dir, "browser.sh")
	script := "#!/bin/sh\nsleep 0.5 &\necho started > " + marker + "\nexit 0\n"
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	runtime := filepath.Join(home, "runtime")
	cmd := exec.Command(unshare, "--pid", "--fork", "--kill-child", "--mount-proc", quireBin(t),
		"--port", "0", "--root-dir", dir, "--data-dir", filepath.Join(home, "data"))
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "JUPYTER_RUNTIME_DIR=" + runtime, "BROWSER=" + browser}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// unshare does not forward signals: stop Quire itself, then unshare
	// returns. WaitDelay keeps a stuck pipe from hanging the test.
	cmd.WaitDelay = 5 * time.Second
	var quirePID int
	defer func() {
		if quirePID != 0 {
			syscall.Kill(quirePID, syscall.SIGTERM)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			if quirePID != 0 {
				syscall.Kill(quirePID, syscall.SIGKILL)
			}
			cmd.Process.Kill()
			<-done
		}
	}()

	// Quire is the child of unshare; inside the namespace it is PID 1, so
	// its runtime file is quire-1.json.
	deadline := time.Now().Add(15 * time.Second)
	for quirePID == 0 || !fileExists(filepath.Join(runtime, "quire-1.json")) || !fileExists(marker) {
		if time.Now().After(deadline) {
			t.Fatalf("quire as PID 1 did not start or run the browser command (pid %d)\n%s", quirePID, stderr.String())
		}
		if kids := childrenOf(cmd.Process.Pid); len(kids) == 1 {
			quirePID = kids[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Wait for the orphan to finish and be reaped, then look for zombies
	// under Quire: one left is one it did not reap.
	for deadline := time.Now().Add(10 * time.Second); len(childrenOf(quirePID)) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, pid := range childrenOf(quirePID) {
		if state, _ := procStatus(pid); strings.HasPrefix(state, "Z") {
			t.Errorf("zombie child %d of quire (PID 1) was not reaped", pid)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
