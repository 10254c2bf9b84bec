package contents_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/errkind"
	"quire/internal/fsroot"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory for the
// test; it skips the test when that is impossible (not root, no mount
// permission in this container).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("a disk-full test needs a small tmpfs, and mounting one failed (run as root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file until the disk is full, leaving about keep bytes free.
func fill(t *testing.T, path string, keep int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail)*int64(st.Bsize) - keep
	if keep == 0 {
		free += 1 << 20 // past the end: the write stops at ENOSPC
	}
	err := os.WriteFile(path, bytes.Repeat([]byte("f"), int(max(free, 0))), 0o644)
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("fill: %v", err)
	}
}

func notebookReq(t *testing.T, marker string, size int) contents.SaveRequest {
	t.Helper()
	content, err := json.Marshal(map[string]any{
		"cells": []any{map[string]any{"cell_type": "markdown", "id": "m", "metadata": map[string]any{},
			"source": marker + strings.Repeat("x", size)}},
		"metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	return contents.SaveRequest{Type: "notebook", Content: content}
}

// TestDiskFull: on a full disk a save, a checkpoint and a chunked upload
// fail with errkind.Storage (507) and a message that names no OS path; what
// was on disk before stays byte for byte, no temp or upload part is left,
// and saving works again once space is freed.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "2m")
	root, err := fsroot.Open(dir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	svc := contents.New(fsstore.New(root, fsstore.Options{TrashDir: t.TempDir()}), nil, contents.Options{}, nil)

	if _, _, err := svc.Save(ctx, "a.ipynb", notebookReq(t, "v1", 10_000)); err != nil {
		t.Fatal(err)
	}
	nbFile := filepath.Join(dir, "a.ipynb")
	cpFile := filepath.Join(dir, ".ipynb_checkpoints", "a-checkpoint.ipynb")
	v1, err := os.ReadFile(nbFile)
	if err != nil {
		t.Fatal(err)
	}
	cp1, err := os.ReadFile(cpFile)
	if err != nil || !bytes.Equal(cp1, v1) {
		t.Fatalf("first save made no checkpoint: %v", err)
	}
	filler := filepath.Join(dir, "filler")
	fill(t, filler, 0)

	isFull := func(what string, err error) {
		t.Helper()
		msg, _ := errkind.Message(err)
		if !errkind.Is(err, errkind.Storage) || !strings.Contains(msg, "disk is full") || strings.Contains(msg, dir) {
			t.Errorf("%s on a full disk: kind %v, message %q; want Storage saying the disk is full, without %s", what, errkind.Of(err), msg, dir)
		}
	}
	noLeftovers := func(when string) {
		t.Helper()
		for _, d := range []string{dir, filepath.Join(dir, ".ipynb_checkpoints")} {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".quire-") {
					t.Errorf("%s: %s left in %s", when, e.Name(), d)
				}
			}
		}
	}

	_, _, err = svc.Save(ctx, "a.ipynb", notebookReq(t, "v2", 300_000))
	isFull("notebook save", err)
	if b, _ := os.ReadFile(nbFile); !bytes.Equal(b, v1) {
		t.Errorf("the notebook changed after a failed save (%d bytes, was %d)", len(b), len(v1))
	}
	_, err = svc.CreateCheckpoint(ctx, "a.ipynb")
	isFull("checkpoint", err)
	if b, _ := os.ReadFile(cpFile); !bytes.Equal(b, cp1) {
		t.Error("the checkpoint changed after a failed checkpoint")
	}
	noLeftovers("after the failed save and checkpoint")

	// A chunked upload that runs out of space on its third chunk.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	fill(t, filler, 300_000)
	part := bytes.Repeat([]byte("u"), 100_000)
	for _, n := range []int{1, 2} {
		if _, _, err := svc.Save(ctx, "up.bin", chunkReq(n, part)); err != nil {
			t.Fatalf("chunk %d with space left: %v", n, err)
		}
	}
	_, _, err = svc.Save(ctx, "up.bin", chunkReq(3, bytes.Repeat(part, 4)))
	isFull("upload chunk", err)
	if msg, _ := errkind.Message(err); !strings.Contains(msg, "start the upload again") {
		t.Errorf("failed chunk message %q does not say to start again", msg)
	}
	noLeftovers("after the failed chunk")
	if _, err := os.Stat(filepath.Join(dir, "up.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed upload created its target: %v", err)
	}
	if _, _, err := svc.Save(ctx, "up.bin", chunkReq(-1, part)); !errkind.Is(err, errkind.Invalid) {
		t.Errorf("last chunk after a failed one: %v, want Invalid (no upload in progress)", err)
	}

	// Space freed: everything works again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Save(ctx, "a.ipynb", notebookReq(t, "v2", 300_000)); err != nil {
		t.Fatalf("save after freeing space: %v", err)
	}
	if _, err := svc.CreateCheckpoint(ctx, "a.ipynb"); err != nil {
		t.Fatalf("checkpoint after freeing space: %v", err)
	}
	b, _ := os.ReadFile(nbFile)
	if c, _ := os.ReadFile(cpFile); !bytes.Contains(b, []byte(`"v2x`)) || !bytes.Equal(b, c) {
		t.Error("after freeing space the notebook or its checkpoint is not the new version")
	}
	noLeftovers("at the end")
}
