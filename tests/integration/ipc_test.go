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
// refuses kernel starts with advice, over REST and sessions alike, and
// logs the path for whoever runs the server.
func TestIPCRuntimeDirTooLong(t *testing.T) {
	needIPyKernel(t)
	long := filepath.Join(t.TempDir(), strings.Repeat("r", 80))
	in := startQuire(t, opts{args: []string{"--kernel-transport", "ipc", "--runtime-dir", long}, noWait: true})
	in.RuntimeDir = long // where the server writes its runtime file
	in.waitReady()
	for _, tc := range []struct {
		path string
		body map[string]any
	}{
		{"api/kernels", map[string]any{"name": "python3"}},
		{"api/sessions", map[string]any{"path": "a.ipynb", "type": "notebook", "name": "a.ipynb", "kernel": map[string]any{"name": "python3"}}},
	} {
		status, b, _ := apiJSON(t, in, "POST", tc.path, tc.body)
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		if status != 400 || !strings.Contains(e.Message, "shorter --runtime-dir") || strings.Contains(e.Message, long) {
			t.Errorf("POST %s: %d %s; want 400 suggesting a shorter --runtime-dir, without the path", tc.path, status, b)
		}
	}
	if !strings.Contains(in.Stderr.String(), long+"/kernel-") {
		t.Errorf("the log does not name the socket path:\n%s", in.Stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(long, "kernel-*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}
