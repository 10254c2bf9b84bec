//go:build unix

package fsstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"quire/internal/contents/fsstore"
	"quire/internal/errkind"
)

// A FIFO in the root is not listed (as in Jupyter), and reading, saving
// over or appending to it is refused at once (400) instead of hanging the
// request, and it is left as it was.
func TestSpecialFileRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	s := fsstore.New(mustOpenRoot(t, dir), fsstore.Options{})
	ctx := context.Background()
	list, err := s.List(ctx, "")
	if err != nil || len(list) != 0 {
		t.Errorf("List = %+v, %v", list, err)
	}
	for name, op := range map[string]func() error{
		"Open":   func() error { _, _, err := s.Open(ctx, "fifo"); return err },
		"Write":  func() error { _, err := s.Write(ctx, "fifo", strings.NewReader("x")); return err },
		"Append": func() error { _, err := s.Append(ctx, "fifo", strings.NewReader("x")); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- op() }()
		select {
		case err := <-done:
			if errkind.Of(err) != errkind.Invalid || !strings.Contains(err.Error(), "fifo is not a regular file") {
				t.Errorf("%s of a FIFO = %v, want kind Invalid saying it is not a regular file", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s of a FIFO blocked", name)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("after %s: %v %v, want the FIFO still there", name, fi, err)
		}
	}
}
