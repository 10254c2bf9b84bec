//go:build unix

package app

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGoroutineDumpOnSignal: with QUIRE_GOROUTINE_DUMP set, SIGUSR1 writes
// a 0600 goroutine profile whose first line holds the count, and a heap
// profile and the runtime's memory classes beside it.
func TestGoroutineDumpOnSignal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goroutines.txt")
	env := envFunc(func(k string) (string, bool) {
		if k == "QUIRE_GOROUTINE_DUMP" {
			return path, true
		}
		return "", false
	})
	stop := startProfiles(env, io.Discard)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var data []byte
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			data = b
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	first, _, _ := strings.Cut(string(data), "\n")
	if !strings.HasPrefix(first, "goroutine profile: total ") {
		t.Fatalf("dump starts %q, want pprof's goroutine profile header", first)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("dump file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(path + ".heap"); err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("no 0600 heap profile beside the dump: %v", err)
	}
	mem, err := os.ReadFile(path + ".mem")
	if err != nil {
		t.Fatalf("no memory classes beside the dump: %v", err)
	}
	total := ""
	for line := range strings.Lines(string(mem)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "/memory/classes/total:bytes "); ok {
			total = v
		}
	}
	if n, err := strconv.ParseUint(total, 10, 64); err != nil || n == 0 {
		t.Errorf("memory classes have no total (%q): %s", total, mem)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temp file of the dump is left: %v", err)
	}
}
