//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/kernel/wire"
)

// TestIPCKernel: with --kernel-transport ipc a kernel's sockets are Unix
// sockets beside its connection file, clients work as over TCP, and
// nothing is left after DELETE.
func TestIPCKernel(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{args: []string{"--kernel-transport", "ipc"}})
	if real, err := filepath.EvalSymlinks(in.RuntimeDir); err != nil || len(real) > 57 {
		t.Skipf("runtime dir %s (%v) is too long for ipc sockets: set a shorter TMPDIR", real, err)
	}
	k := startKernel(t, in)
	pid := kernelPID(t, in, k.ID)
	w := mustDial(t, in, k.ID, wire.NewID(), false)
	if r := w.execute("print(1+1)", 30*time.Second); r.Stdout != "2\n" {
		t.Errorf("print(1+1) over ipc: %q", r.Stdout)
	}
	b, err := os.ReadFile(filepath.Join(in.RuntimeDir, "kernel-"+k.ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Transport string `json:"transport"`
		IP        string `json:"ip"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if info.Transport != "ipc" || filepath.Base(info.IP) != "kernel-"+k.ID+"-ipc" {
		t.Errorf("connection file: transport %q, ip %q", info.Transport, info.IP)
	}
	if socks, _ := filepath.Glob(info.IP + "-*"); len(socks) != 5 {
		t.Errorf("socket files %q, want 5", socks)
	}

	if status, body, _ := apiJSON(t, in, "DELETE", "api/kernels/"+k.ID, nil); status != 204 {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	waitGone(t, pid, 10*time.Second, "kernel after DELETE")
	if left, _ := filepath.Glob(filepath.Join(in.RuntimeDir, "kernel-"+k.ID+"*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}

// TestIPCRuntimeDirTooLong: a runtime dir too long for ipc socket paths
// stops the server at start with the remedy, instead of failing at the
// first kernel (the kernel package's own refusal is tested there).
func TestIPCRuntimeDirTooLong(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("r", 80))
	_, errOut, err := runQuire(t, []string{"HOME=" + t.TempDir()}, "",
		"--no-browser", "--port", "0", "--kernel-transport", "ipc", "--runtime-dir", long, "--root-dir", t.TempDir())
	if err == nil {
		t.Fatal("quire started with a runtime dir too long for ipc sockets")
	}
	if !strings.Contains(errOut, "--runtime-dir of at most") || !strings.Contains(errOut, long) {
		t.Errorf("no clear refusal naming the dir and the limit:\n%s", errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(long, "*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}
