//go:build unix

package fsroot_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"quire/internal/fsroot"
)

// Opening a FIFO would block until its other end appears, and a device
// may never end: Root opens regular files and directories only, at once.
func TestOpenSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Symlink("fifo", filepath.Join(dir, "fifolink")); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, follow := range []bool{false, true} {
		r, err := fsroot.Open(dir, fsroot.Options{FollowSymlinks: follow})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, tc := range []struct {
			p    string
			flag int
			ok   bool
		}{
			{"fifo", os.O_RDONLY, false},
			{"fifo", os.O_WRONLY | os.O_TRUNC, false},
			{"fifo", os.O_WRONLY | os.O_APPEND | os.O_CREATE, false},
			{"fifolink", os.O_RDONLY, false},
			{"sock", os.O_RDONLY, false},
			{"sock", os.O_WRONLY, false},
			{"file", os.O_RDONLY, true},
			{"file", os.O_WRONLY | os.O_APPEND, true},
			{"sub", os.O_RDONLY, true},
		} {
			done := make(chan error, 1)
			go func() {
				f, err := r.OpenFile(tc.p, tc.flag, 0o644)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				switch {
				case tc.ok && err != nil:
					t.Errorf("follow=%v OpenFile(%q, %#x) = %v", follow, tc.p, tc.flag, err)
				case !tc.ok && !errors.Is(err, fsroot.ErrNotRegular):
					t.Errorf("follow=%v OpenFile(%q, %#x) = %v, want ErrNotRegular", follow, tc.p, tc.flag, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("follow=%v OpenFile(%q, %#x) blocked", follow, tc.p, tc.flag)
			}
		}
	}
}
