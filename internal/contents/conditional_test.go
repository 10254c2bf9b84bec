package contents_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/errkind"
	"quire/internal/fsroot"
)

// versioned is a disk store that is a ConditionalWriter, as an S3 store
// is: a file's version is its modification time and size, and
// beforeWrite runs between the service's precondition check and the
// write, as another server's save would.
type versioned struct {
	contents.Store
	beforeWrite func()
	writeIfs    int
}

func version(i contents.Info) string { return fmt.Sprint(i.ModTime.UnixNano(), "/", i.Size) }

func (v *versioned) Stat(ctx context.Context, p string) (contents.Info, error) {
	i, err := v.Store.Stat(ctx, p)
	if err == nil && !i.Dir {
		i.Version = version(i)
	}
	return i, err
}

func (v *versioned) WriteIf(ctx context.Context, p string, r io.Reader, ver string) (contents.Info, error) {
	v.writeIfs++
	if v.beforeWrite != nil {
		v.beforeWrite()
	}
	cur, err := v.Stat(ctx, p)
	switch {
	case err != nil && !errkind.Is(err, errkind.NotFound):
		return contents.Info{}, err
	case (err == nil) != (ver != "") || (err == nil && cur.Version != ver):
		return contents.Info{}, errkind.New(errkind.Stale, p+" changed", nil)
	}
	return v.Store.Write(ctx, p, r)
}

// TestConditionalSave: a save guarded by If-Match reaches the store as a
// conditional write, so a change another server makes after the hash
// check is refused (412) instead of overwritten; unguarded saves stay
// plain writes.
func TestConditionalSave(t *testing.T) {
	dir := t.TempDir()
	root, err := fsroot.Open(dir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	store := &versioned{Store: fsstore.New(root, fsstore.Options{TrashDir: t.TempDir()})}
	svc := contents.New(store, nil, contents.Options{}, nil)
	text := func(s string) contents.SaveRequest {
		raw, _ := json.Marshal(s)
		return contents.SaveRequest{Type: "file", Format: "text", Content: raw}
	}
	if _, _, err := svc.Save(ctx, "a.txt", text("mine")); err != nil {
		t.Fatal(err)
	}
	if store.writeIfs != 0 {
		t.Errorf("an unguarded save used WriteIf")
	}
	h := sha256.Sum256([]byte("mine"))
	guarded := text("my edit")
	guarded.Cond.IfMatch = `"` + hex.EncodeToString(h[:]) + `"`

	// Another server saves between the hash check and the write.
	store.beforeWrite = func() {
		if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("theirs, longer"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = svc.Save(ctx, "a.txt", guarded)
	if !errkind.Is(err, errkind.Stale) {
		t.Fatalf("guarded save over a concurrent change: %v, want Stale", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "theirs, longer" {
		t.Errorf("the other server's save was overwritten: %q", b)
	}

	// Without a concurrent change the guarded save goes through.
	store.beforeWrite = nil
	h = sha256.Sum256([]byte("theirs, longer"))
	guarded.Cond.IfMatch = hex.EncodeToString(h[:])
	if _, _, err := svc.Save(ctx, "a.txt", guarded); err != nil {
		t.Fatalf("guarded save: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); !strings.EqualFold(string(b), "my edit") {
		t.Errorf("after the guarded save: %q", b)
	}
	if store.writeIfs != 2 {
		t.Errorf("WriteIf calls = %d, want 2", store.writeIfs)
	}
}

// TestCountedBytesKeepStoreWays: with byte counting on (metrics), saves
// still reach a ConditionalWriter's WriteIf, and the bytes written and
// read are counted.
func TestCountedBytesKeepStoreWays(t *testing.T) {
	root, err := fsroot.Open(t.TempDir(), fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	store := &versioned{Store: fsstore.New(root, fsstore.Options{TrashDir: t.TempDir()})}
	var read, written int
	svc := contents.New(store, nil, contents.Options{
		BytesRead:    func(n int) { read += n },
		BytesWritten: func(n int) { written += n },
	}, nil)
	raw, _ := json.Marshal("mine")
	if _, _, err := svc.Save(ctx, "a.txt", contents.SaveRequest{Type: "file", Format: "text", Content: raw}); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("mine"))
	raw, _ = json.Marshal("my edit")
	req := contents.SaveRequest{Type: "file", Format: "text", Content: raw, Cond: contents.Precondition{IfMatch: hex.EncodeToString(h[:])}}
	if _, _, err := svc.Save(ctx, "a.txt", req); err != nil {
		t.Fatal(err)
	}
	if store.writeIfs != 1 {
		t.Errorf("WriteIf calls = %d, want 1: counting hid the store's conditional writes", store.writeIfs)
	}
	if want := len("mine") + len("my edit"); written != want {
		t.Errorf("bytes written = %d, want %d", written, want)
	}
	read = 0
	m, err := svc.Get(ctx, "a.txt", contents.GetOptions{Content: true, Format: "text"})
	if err != nil {
		t.Fatal(err)
	}
	m.Release()
	if read != len("my edit") {
		t.Errorf("bytes read = %d, want %d", read, len("my edit"))
	}
}
