package contents_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/errkind"
	"quire/internal/fsroot"
)

// fakeClock is a settable clock for the upload expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSweepUploads(t *testing.T) {
	part := []byte("0123456789")
	cases := []struct {
		name       string
		expiry     time.Duration
		chunks     []int         // chunks sent before the sweep
		idle       time.Duration // clock advance before the sweep
		wantSwept  int
		wantLeft   bool // the hidden upload file still exists after the sweep
		thenChunk  int  // a chunk sent after the sweep (0 = none)
		wantThenOK bool
	}{
		{name: "abandoned upload is removed", expiry: time.Hour, chunks: []int{1, 2}, idle: time.Hour + time.Second,
			wantSwept: 1, thenChunk: 3, wantThenOK: false},
		{name: "recent upload is kept", expiry: time.Hour, chunks: []int{1, 2}, idle: 59 * time.Minute,
			wantLeft: true, thenChunk: -1, wantThenOK: true},
		{name: "finished upload leaves nothing to sweep", expiry: time.Hour, chunks: []int{1, -1}, idle: 2 * time.Hour},
		{name: "negative expiry never sweeps", expiry: -1, chunks: []int{1}, idle: 1000 * time.Hour,
			wantLeft: true, thenChunk: -1, wantThenOK: true},
		{name: "a new chunk 1 restarts an expired upload", expiry: time.Minute, chunks: []int{1, 2}, idle: time.Hour,
			wantSwept: 1, thenChunk: 1, wantThenOK: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			root, err := fsroot.Open(dir, fsroot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			svc := contents.New(fsstore.New(root, fsstore.Options{TrashDir: t.TempDir()}), nil,
				contents.Options{UploadExpiry: tc.expiry, Now: clock.now}, nil)
			for _, n := range tc.chunks {
				if _, _, err := svc.Save(ctx, "up.bin", chunkReq(n, part)); err != nil {
					t.Fatalf("chunk %d: %v", n, err)
				}
				clock.advance(time.Second)
			}
			clock.advance(tc.idle)
			if got := svc.SweepUploads(ctx); got != tc.wantSwept {
				t.Errorf("SweepUploads = %d, want %d", got, tc.wantSwept)
			}
			hidden := filepath.Join(dir, ".up.bin"+contents.UploadSuffix)
			if _, err := os.Stat(hidden); (err == nil) != tc.wantLeft {
				t.Errorf("upload file exists = %v, want %v", err == nil, tc.wantLeft)
			}
			if tc.thenChunk == 0 {
				return
			}
			_, _, err = svc.Save(ctx, "up.bin", chunkReq(tc.thenChunk, part))
			if (err == nil) != tc.wantThenOK {
				t.Fatalf("chunk %d after the sweep: err = %v, want ok = %v", tc.thenChunk, err, tc.wantThenOK)
			}
			if err != nil && !errkind.Is(err, errkind.Invalid) {
				t.Errorf("chunk after an expired upload: %v, want Invalid", err)
			}
			// A second sweep right after finds nothing new.
			if got := svc.SweepUploads(ctx); got != 0 {
				t.Errorf("second SweepUploads = %d, want 0", got)
			}
		})
	}
}

// TestSweepUploadsKeepsTarget checks that sweeping an abandoned upload of an
// existing file leaves that file as it was. It runs in a synctest bubble,
// whose clock time.Sleep moves on at once.
func TestSweepUploadsKeepsTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc, dir := newService(t, contents.Options{UploadExpiry: time.Minute})
		target := filepath.Join(dir, "keep.txt")
		if err := os.WriteFile(target, []byte("original"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Save(ctx, "keep.txt", chunkReq(1, []byte("partial new content"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if got := svc.SweepUploads(ctx); got != 0 {
			t.Fatalf("SweepUploads after exactly the expiry = %d, want 0", got)
		}
		time.Sleep(time.Nanosecond)
		if got := svc.SweepUploads(ctx); got != 1 {
			t.Fatalf("SweepUploads = %d, want 1", got)
		}
		b, err := os.ReadFile(target)
		if err != nil || string(b) != "original" {
			t.Fatalf("target after sweep = %q, %v; want the original", b, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("directory holds %d entries after the sweep, want only keep.txt", len(entries))
		}
	})
}
