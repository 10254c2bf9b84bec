//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tinyCells returns a notebook of n tiny code cells: the shape that costs
// the most memory per byte.
func tinyCells(n int) string {
	var b strings.Builder
	b.WriteString(`{"cells":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cell_type":"code","execution_count":%d,"id":"c%07d","metadata":{},"outputs":[],"source":"x = %d"}`, i+1, i, i)
	}
	b.WriteString(`],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	return b.String()
}

func TestRequestMemoryBudget(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--max-request-memory", "16MiB"}})
	// About 5 MiB of tiny cells: estimated at over 16 MiB (3× its bytes,
	// 48 bytes a cell, 8 MiB).
	if err := os.WriteFile(filepath.Join(in.Root, "huge.ipynb"), []byte(tinyCells(50000)), 0o644); err != nil {
		t.Fatal(err)
	}
	// About 300 KiB: estimated at about 9 MiB, so fits.
	small := tinyCells(3000)
	if err := os.WriteFile(filepath.Join(in.Root, "small.ipynb"), []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}

	status, body, _ := in.do(in.req("GET", "api/contents/huge.ipynb", nil))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(messageOf(body), "--max-request-memory") {
		t.Fatalf("GET of a notebook over the whole budget: %d %s; want 413 naming --max-request-memory", status, body)
	}
	status, body, _ = in.do(in.req("PUT", "api/contents/copy.ipynb", strings.NewReader(`{"type":"notebook","content":`+tinyCells(50000)+`}`)))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(messageOf(body), "--max-request-memory") {
		t.Fatalf("PUT of a notebook over the whole budget: %d %s; want 413 naming --max-request-memory", status, body)
	}
	if _, err := os.Stat(filepath.Join(in.Root, "copy.ipynb")); err == nil {
		t.Error("the refused PUT wrote its file")
	}
	status, body, _ = in.do(in.req("GET", "api/contents/huge.ipynb?content=0", nil))
	if status != http.StatusOK {
		t.Fatalf("GET content=0 is not charged, yet: %d %s", status, body)
	}

	// Requests within the budget pass; once a burst of them (here 50 × ~9
	// MiB charged, over the 256 MiB that makes a burst) is over, memory is
	// given back to the OS.
	for i := range 50 {
		if status, body, _ := in.do(in.req("GET", "api/contents/small.ipynb", nil)); status != http.StatusOK {
			t.Fatalf("GET %d of a notebook within the budget: %d %s", i, status, body)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(in.Stderr.String(), "returned memory to the OS") {
		if time.Now().After(deadline) {
			t.Fatal("no memory returned to the OS within 10s of the burst")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// With the budget off, the same notebook is served.
	off := startQuire(t, opts{args: []string{"--max-request-memory", "0"}})
	if err := os.WriteFile(filepath.Join(off.Root, "huge.ipynb"), []byte(tinyCells(50000)), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := off.do(off.req("GET", "api/contents/huge.ipynb", nil)); status != http.StatusOK {
		t.Fatalf("--max-request-memory 0: %d %s", status, body)
	}
}
